"""Target preparation: turn a TargetAsset into something tools can scan.

- git repositories: shallow clone of the branch or commit, with a timeout; credentials in the
  URL are never logged or stored in errors;
- local codebase paths: only under SECULITE_ALLOWED_PATHS, scanned in place;
- uploaded archives: extracted with no path escape, no links, and size/file-count limits;
- URLs, domains and IPs: checked against the target policy before any tool touches them;
- container images: validated reference, passed to tools as data.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from apps.targets import validators
from apps.targets.policy import TargetPolicyError, target_policy_check
from apps.tools.adapters.base import PreparedTarget
from apps.tools.adapters.runner import run_process

GIT_TIMEOUT_SECONDS = 300


class TargetPreparationError(Exception):
    """The target cannot be prepared; the message is safe to show to users."""


def redact_url(url: str) -> str:
    """The URL with any user:password removed, for logs and error messages."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


def _git(args: list[str], *, cwd: Path, timeout: float) -> None:
    git = shutil.which("git")
    if git is None:
        raise TargetPreparationError("git is not installed on this worker.")
    env = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "/bin/true", "GIT_CONFIG_NOSYSTEM": "1"}
    outcome = run_process([git, *args], timeout_seconds=timeout, cwd=cwd, env=env)
    if outcome.timed_out:
        raise TargetPreparationError(f"git {args[0]} timed out after {int(timeout)} s.")
    if outcome.exit_code != 0:
        last = outcome.stderr_tail.strip().splitlines()[-1:] or [outcome.start_error]
        raise TargetPreparationError(f"git {args[0]} failed: {last[0]}")


def prepare_git(
    *, url: str, metadata: dict[str, Any], workdir: Path, timeout: float = GIT_TIMEOUT_SECONDS
) -> Path:
    url = validators.validate_git_url(url)
    dest = workdir / "src"
    dest.mkdir(parents=True)
    commit = metadata.get("commit")
    branch = metadata.get("branch")
    try:
        _git(["init", "-q"], cwd=dest, timeout=timeout)
        # `--` keeps the URL and refs from ever being read as options.
        _git(["remote", "add", "origin", "--", url], cwd=dest, timeout=timeout)
        ref = commit or (f"refs/heads/{branch}" if branch else "HEAD")
        _git(
            ["fetch", "-q", "--depth", "1", "--no-tags", "origin", "--", ref],
            cwd=dest,
            timeout=timeout,
        )
        _git(
            ["-c", "advice.detachedHead=false", "checkout", "-q", "FETCH_HEAD"],
            cwd=dest,
            timeout=timeout,
        )
    except TargetPreparationError as exc:
        # git may echo the URL; never let credentials reach the scan's error message.
        message = str(exc)
        if url != redact_url(url):
            message = message.replace(url, redact_url(url))
            parts = urlsplit(url)
            for secret in (parts.password, parts.username):
                if secret:
                    message = message.replace(secret, "***")
        raise TargetPreparationError(message) from None
    return dest


def prepare_local_path(path: str, *, allowed_roots: Iterable[str] | None = None) -> Path:
    roots = [
        Path(r).resolve()
        for r in (
            allowed_roots
            if allowed_roots is not None
            else getattr(settings, "SECULITE_ALLOWED_PATHS", [])
        )
    ]
    if not roots:
        raise TargetPreparationError(
            "Local codebase paths are disabled: set SECULITE_ALLOWED_PATHS to allow some."
        )
    resolved = Path(path).resolve()
    if not any(resolved == root or resolved.is_relative_to(root) for root in roots):
        raise TargetPreparationError(f"{path} is outside SECULITE_ALLOWED_PATHS.")
    if not resolved.is_dir():
        raise TargetPreparationError(f"{path} is not a readable directory on this worker.")
    return resolved


def _safe_member_path(name: str, dest: Path) -> Path:
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or "\x00" in name:
        raise TargetPreparationError(f"The archive entry {name!r} would escape the folder.")
    target = (dest / pure).resolve()
    if not target.is_relative_to(dest):
        raise TargetPreparationError(f"The archive entry {name!r} would escape the folder.")
    return target


def extract_archive(
    archive: Path, dest: Path, *, max_bytes: int | None = None, max_files: int | None = None
) -> Path:
    """Extract a zip or tar archive into `dest`, refusing links, devices, path escapes,
    and archives whose uncompressed size or file count passes the limits."""
    byte_limit: int = max_bytes or settings.SECULITE_EXTRACT_MAX_BYTES
    file_limit: int = max_files or settings.SECULITE_EXTRACT_MAX_FILES
    dest.mkdir(parents=True, exist_ok=True)
    dest = dest.resolve()
    total = count = 0
    # Every entry counts, folders too, and so does each folder a deep path creates on its own:
    # 60,000 empty folders cost as much to extract (and to scan) as 60,000 files.
    made: set[Path] = {dest}

    def account(size: int) -> None:
        nonlocal total, count
        total += size
        count += 1
        if total > byte_limit:
            raise TargetPreparationError(f"The archive unpacks to more than {byte_limit} bytes.")
        if count > file_limit:
            raise TargetPreparationError(
                f"The archive holds more than {file_limit} files and folders."
            )

    def make_dirs(folder: Path) -> None:
        missing: list[Path] = []
        while folder not in made:
            missing.append(folder)
            folder = folder.parent
        for new in reversed(missing):
            account(0)
            try:
                new.mkdir(exist_ok=True)
            except OSError:
                raise TargetPreparationError("The archive's folders and files overlap.") from None
            made.add(new)

    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                target = _safe_member_path(info.filename, dest)
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    raise TargetPreparationError(f"The archive entry {info.filename!r} is a link.")
                if info.is_dir():
                    make_dirs(target)
                    continue
                make_dirs(target.parent)
                account(info.file_size)
                with zf.open(info) as src, open(target, "wb") as out:
                    written = 0
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > info.file_size:  # lying header: stop a zip bomb
                            raise TargetPreparationError("The archive's sizes do not add up.")
                        out.write(chunk)
        return dest
    try:
        tf = tarfile.open(archive)  # noqa: SIM115 - closed below
    except tarfile.TarError as exc:
        raise TargetPreparationError("The upload is not a zip or tar archive.") from exc
    with tf:
        for member in tf:
            target = _safe_member_path(member.name, dest)
            if member.issym() or member.islnk():
                raise TargetPreparationError(f"The archive entry {member.name!r} is a link.")
            if member.isdir():
                make_dirs(target)
                continue
            if not member.isfile():
                raise TargetPreparationError(
                    f"The archive entry {member.name!r} is not a regular file."
                )
            make_dirs(target.parent)
            account(member.size)
            member_file = tf.extractfile(member)
            if member_file is None:
                continue
            with member_file, open(target, "wb") as out:
                shutil.copyfileobj(member_file, out, 1 << 20)
            os.chmod(target, 0o644)
    return dest


def prepare_target(target: Any, *, workdir: Path) -> PreparedTarget:
    """A PreparedTarget for `target` (a TargetAsset), using `workdir` for clones/extracts."""
    kind = target.asset_type
    metadata = dict(target.metadata or {})
    base = {"asset_type": kind, "identifier": target.identifier, "metadata": metadata}
    try:
        if kind == validators.GIT_REPOSITORY:
            return PreparedTarget(
                path=prepare_git(url=target.identifier, metadata=metadata, workdir=workdir), **base
            )
        if kind == validators.CODEBASE_PATH:
            return PreparedTarget(path=prepare_local_path(target.identifier), **base)
        if kind == validators.FILE_UPLOAD:
            if not target.upload:
                raise TargetPreparationError("The target has no uploaded archive.")
            extracted = extract_archive(Path(target.upload.path), workdir / "src")
            return PreparedTarget(path=extracted, **base)
        if kind == validators.URL:
            url = validators.validate_url(target.identifier)
            target_policy_check(urlsplit(url).hostname or "")
            return PreparedTarget(url=url, host=urlsplit(url).hostname or "", **base)
        if kind == validators.DOMAIN:
            host = validators.validate_domain(target.identifier)
            target_policy_check(host)
            return PreparedTarget(host=host, **base)
        if kind == validators.IP_RANGE:
            network = validators.validate_ip_range(target.identifier)
            target_policy_check(network.split("/")[0])
            return PreparedTarget(host=network, **base)
        if kind == validators.CONTAINER_IMAGE:
            return PreparedTarget(
                image=validators.validate_container_image(target.identifier), **base
            )
    except TargetPolicyError as exc:
        raise TargetPreparationError(str(exc)) from exc
    except validators.ValidationError as exc:
        raise TargetPreparationError("; ".join(exc.messages)) from exc
    raise TargetPreparationError(f"Unknown target type {kind!r}.")
