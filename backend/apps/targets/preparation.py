"""Target preparation: turn a TargetAsset into something tools can scan.

- git repositories: shallow fetch of one branch, tag or commit (apps.targets.git_checkout);
- source trees (git, archives, paths) are prepared once per scan and target and shared by its
  tools (apps.scans.services.checkouts); `Checkout` says what was checked out;
- local codebase paths: only under SECULITE_ALLOWED_PATHS, scanned in place;
- uploaded archives: extracted with no path escape, no links, and size/file-count limits;
- URLs, domains and IPs: checked against the target policy before any tool touches them;
- container images: validated reference, passed to tools as data.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from apps.targets import validators
from apps.targets.credentials import CredentialError, GitCredential, credential_decrypt
from apps.targets.git_checkout import (
    GIT_TIMEOUT_SECONDS,
    GitError,
    GitRef,
    git_fetch_checkout,
    redact_url,
)
from apps.targets.links import contain_links
from apps.targets.pathfilter import PathFilterError, path_filter_apply
from apps.targets.policy import TargetPolicyError, network_policy_check, target_policy_check
from apps.targets.refs import ref_validate
from apps.tools.adapters.base import PreparedTarget

__all__ = ["GIT_TIMEOUT_SECONDS", "redact_url"]


class TargetPreparationError(Exception):
    """The target cannot be prepared; the message is safe to show to users."""


SOURCE_TYPES = (validators.GIT_REPOSITORY, validators.FILE_UPLOAD, validators.CODEBASE_PATH)


@dataclass(frozen=True)
class Checkout:
    """A source tree prepared once per scan and target, and what it holds."""

    path: Path
    ref: str = ""
    ref_type: str = ""
    commit: str = ""
    sha256: str = ""

    def record(self) -> dict[str, str]:
        """The entry of Scan.checkouts for this tree."""
        entry = {"ref": self.ref, "ref_type": self.ref_type, "commit": self.commit}
        if self.sha256:
            entry["sha256"] = self.sha256
        return entry


def prepare_git(
    *,
    url: str,
    metadata: dict[str, Any],
    workdir: Path,
    timeout: float = GIT_TIMEOUT_SECONDS,
    credential: GitCredential | None = None,
    commit: str = "",
    ref: str = "",
) -> Checkout:
    """Check out the target's branch, tag or commit, or the scan's `ref` when it names one (a
    branch or tag name, or a full ref such as refs/pull/12/head); with `commit`, exactly that
    commit (another worker of the same scan resolved the ref already)."""
    url = validators.validate_git_url(url)
    try:
        asked = ref_validate(ref)
    except ValidationError as exc:
        raise TargetPreparationError(exc.messages[0]) from None
    wanted_ref = GitRef.from_scan_ref(asked) if asked else GitRef.from_metadata(metadata)
    if wanted_ref.ref_type == "commit":
        try:  # a target saved before full hashes were required
            validators.validate_git_commit(wanted_ref.name)
        except validators.ValidationError as exc:
            raise TargetPreparationError(f"{exc.messages[0]} Edit the target.") from None
    wanted = GitRef("commit", commit) if commit else wanted_ref
    dest = workdir / "src"
    try:
        fetched = git_fetch_checkout(
            url=url, ref=wanted, dest=dest, credential=credential, timeout=timeout
        )
    except GitError as exc:
        raise TargetPreparationError(str(exc)) from None
    # A recorded commit keeps the label of what was asked (the caller knows the resolved one).
    label = wanted_ref if commit else fetched.ref
    return Checkout(
        path=dest, ref=label.name or "HEAD", ref_type=label.ref_type, commit=fetched.commit
    )


def target_credential(target: Any) -> GitCredential | None:
    """The decrypted credential of a git target, if one is set."""
    if not target.credential_kind or not target.credential_encrypted:
        return None
    try:
        return credential_decrypt(kind=target.credential_kind, stored=target.credential_encrypted)
    except CredentialError as exc:
        raise TargetPreparationError(str(exc)) from None


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


def _checked_addresses(host: str) -> tuple[str, ...]:
    """The policy-checked addresses of `host`, in the order tools should try them."""
    return tuple(str(address) for address in target_policy_check(host))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def prepare_checkout(
    target: Any, *, workdir: Path, recorded: dict[str, str] | None = None, ref: str = ""
) -> Checkout:
    """The source tree of a git, upload or codebase target (a TargetAsset).

    `recorded` is the scan's entry for the target when another worker prepared it first: git
    then fetches exactly that commit, and an archive must still have the recorded digest.
    `ref` is the ref the scan asks for (git targets only; others have no refs).
    """
    kind = target.asset_type
    recorded = recorded or {}
    if kind == validators.GIT_REPOSITORY:
        checkout = prepare_git(
            url=target.identifier,
            metadata=dict(target.metadata or {}),
            workdir=workdir,
            credential=target_credential(target),
            commit=recorded.get("commit", ""),
            ref=ref,
        )
        if recorded.get("commit"):  # what the first preparation resolved
            checkout = replace(
                checkout,
                ref=recorded.get("ref", checkout.ref),
                ref_type=recorded.get("ref_type", checkout.ref_type),
            )
        return checkout
    if kind == validators.FILE_UPLOAD:
        if not target.upload:
            raise TargetPreparationError("The target has no uploaded archive.")
        archive = Path(target.upload.path)
        if not archive.is_file():
            raise TargetPreparationError("The uploaded archive is missing from storage.")
        digest = _sha256(archive)
        if recorded.get("sha256") and recorded["sha256"] != digest:
            raise TargetPreparationError("The archive was replaced while the scan ran.")
        extracted = extract_archive(archive, workdir / "src")
        return Checkout(path=extracted, ref=target.identifier, ref_type="archive", sha256=digest)
    if kind == validators.CODEBASE_PATH:
        return Checkout(path=prepare_local_path(target.identifier), ref_type="path")
    raise TargetPreparationError(f"A {kind} target has no source tree.")


def prepare_target(
    target: Any, *, workdir: Path, checkout: Checkout | None = None
) -> PreparedTarget:
    """A PreparedTarget for `target` (a TargetAsset): source types use `checkout` (the scan's
    shared tree) or are prepared into `workdir`, and a code tree holds only the files its
    include/exclude paths keep; network types are checked by the policy."""
    try:
        prepared = _prepare_unfiltered(target, workdir=workdir, checkout=checkout)
        # No link in the tree leads outside it (apps/targets/links.py), then the path filters.
        return path_filter_apply(contain_links(prepared, workdir=workdir), workdir=workdir)
    except PathFilterError as exc:
        raise TargetPreparationError(str(exc)) from exc


def _prepare_unfiltered(
    target: Any, *, workdir: Path, checkout: Checkout | None = None
) -> PreparedTarget:
    kind = target.asset_type
    metadata = dict(target.metadata or {})
    base = {"asset_type": kind, "identifier": target.identifier, "metadata": metadata}
    try:
        if kind in SOURCE_TYPES:
            checkout = checkout or prepare_checkout(target, workdir=workdir)
            return PreparedTarget(path=checkout.path, **base)
        if kind == validators.URL:
            url = validators.validate_url(target.identifier)
            host = urlsplit(url).hostname or ""
            checked = _checked_addresses(host)
            return PreparedTarget(url=url, host=host, addresses=checked, **base)
        if kind == validators.DOMAIN:
            host = validators.validate_domain(target.identifier)
            return PreparedTarget(host=host, addresses=_checked_addresses(host), **base)
        if kind == validators.IP_RANGE:
            network = validators.validate_ip_range(target.identifier)
            network_policy_check(network)
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
