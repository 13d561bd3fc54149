"""Fetching one commit of a git remote, within the network policy and without leaking secrets.

- The remote's host is checked against the target network policy before git runs, and git is
  pinned to the checked addresses (curl's resolve list for https, ssh's HostName for ssh), so
  a second DNS answer cannot point it elsewhere. HTTP redirects are not followed.
- A token reaches git as an `http.extraHeader` in GIT_CONFIG_* environment variables, an SSH
  deploy key as a 0600 file in a private folder removed after the fetch: never on a command
  line, in a log or in an error message.
- Anything that goes wrong on the wire tells the user only "could not reach the repository",
  the same for a closed port, an open port that speaks no git, a timeout or refused
  credentials, so a fetch cannot serve as a port scanner. Details go to the worker log.
- Branches are fetched as refs/heads/<name>, tags as refs/tags/<name>, commits by full hash,
  other full refs (refs/pull/12/head, refs/merge-requests/3/head) by themselves; a name a scan
  asks for is looked up among the remote's branches, then its tags. A ref the remote does not
  have is reported as such (only a git server can say so).
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import logging
import re
import shlex
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from apps.targets import validators
from apps.targets.credentials import HTTPS_TOKEN, SSH_KEY, GitCredential
from apps.targets.policy import IPAddress, TargetPolicyError, target_policy_check
from apps.tools.adapters.runner import run_process

logger = logging.getLogger(__name__)

GIT_TIMEOUT_SECONDS = 300
COULD_NOT_REACH = (
    "Could not reach the repository: check its URL, the target's credential and that the "
    "network policy admits its host."
)
# Configuration every git command runs with: no redirects, no stored credentials, no hooks,
# only the transport the URL names.
_BASE_CONFIG = (
    "http.followRedirects=false",
    "credential.helper=",
    "core.hooksPath=/dev/null",
    "fetch.recurseSubmodules=false",
    "protocol.allow=never",
    "advice.detachedHead=false",
)
_MISSING_REF = re.compile(
    r"couldn't find remote ref|not our ref|no such remote ref|unadvertised object"
    r"|remote error: upload-pack: not our ref",
    re.IGNORECASE,
)


class GitError(Exception):
    """The fetch failed; the message is safe to show to any project member."""


_FULL_COMMIT = re.compile(r"[0-9a-fA-F]{40}")


@dataclass(frozen=True)
class GitRef:
    """What to check out: ref_type "branch", "tag", "commit", "ref" (a full ref such as
    refs/pull/12/head), "name" (a branch or tag name, resolved against the remote's refs) or
    "default" (the remote HEAD; once fetched, `name` is its branch when the remote says)."""

    ref_type: str
    name: str = ""

    @classmethod
    def from_scan_ref(cls, ref: str) -> GitRef:
        """The ref a scan asks for (already checked by apps.targets.refs.ref_validate)."""
        for prefix, ref_type in (("refs/heads/", "branch"), ("refs/tags/", "tag")):
            if ref.startswith(prefix):
                return cls(ref_type, ref.removeprefix(prefix))
        return cls("ref" if ref.startswith("refs/") else "name", ref)

    def resolve(self, remote_refs: set[str]) -> GitRef:
        """A "name" as the branch, else the tag, else the full commit hash it is."""
        if self.ref_type != "name":
            return self
        if f"refs/heads/{self.name}" in remote_refs:
            return GitRef("branch", self.name)
        if f"refs/tags/{self.name}" in remote_refs:
            return GitRef("tag", self.name)
        if _FULL_COMMIT.fullmatch(self.name):
            return GitRef("commit", self.name.lower())
        raise GitError(f"The ref '{self.name}' is neither a branch nor a tag of the repository.")

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any]) -> GitRef:
        # Rows stored before refs were exclusive may hold a branch and a commit: the commit wins.
        for key in ("commit", "tag", "branch"):
            if metadata.get(key):
                return cls(key, str(metadata[key]))
        return cls("default")

    def refspec(self) -> str:
        return {
            "branch": f"refs/heads/{self.name}",
            "tag": f"refs/tags/{self.name}",
            "commit": self.name,
            "ref": self.name,
        }.get(self.ref_type, "HEAD")

    def describe(self) -> str:
        return (
            "the default branch" if self.ref_type == "default" else f"{self.ref_type} {self.name}"
        )


@dataclass(frozen=True)
class Remote:
    """Where a URL points: transport scheme, host and port (None for local test remotes)."""

    scheme: str
    host: str | None
    port: int | None


def remote_of(url: str) -> Remote:
    if "://" not in url:
        match = validators._SCP_LIKE.fullmatch(url)
        if match is not None:
            return Remote("ssh", match["host"].strip("[]"), None)
        return Remote("file", None, None)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return Remote("file", None, None)
    return Remote(scheme, parts.hostname, parts.port)


def redact_url(url: str) -> str:
    """The URL with any user:password removed, for logs and error messages."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


def _checked_addresses(remote: Remote) -> list[IPAddress]:
    """The policy-checked addresses of the remote's host (none for a local test remote)."""
    if remote.scheme == "file":
        return []
    if not remote.host:
        raise GitError("The repository URL needs a host.")
    try:
        return target_policy_check(remote.host)
    except TargetPolicyError as exc:
        raise GitError(f"The repository's host is refused by the network policy: {exc}") from exc


def _known_hosts() -> Path:
    """Host keys of SSH remotes, trusted on first use and checked on every later fetch."""
    folder = Path(settings.SECULITE_CHECKOUT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "ssh_known_hosts"


def _git_environment(
    remote: Remote,
    addresses: list[IPAddress],
    credential: GitCredential | None,
    private_dir: Path,
) -> tuple[dict[str, str], list[str]]:
    """The environment and `-c` options of every git command of one fetch."""
    env = {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/true",
        "SSH_ASKPASS": "/bin/true",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_TRACE": "0",
        "GIT_TRACE_CURL": "0",
        "GIT_TRACE_PACKET": "0",
        "GIT_TRACE_REDACT": "1",
        "GIT_CONFIG_COUNT": "0",
    }
    options = [*_BASE_CONFIG, f"protocol.{remote.scheme}.allow=always"]
    if remote.scheme in ("http", "https") and addresses and remote.host:
        port = remote.port or (443 if remote.scheme == "https" else 80)
        pinned = ",".join(f"[{a}]" if a.version == 6 else str(a) for a in addresses)
        if not _is_ip(remote.host):
            options.append(f"http.curloptResolve={remote.host}:{port}:{pinned}")
    if credential is not None and credential.kind == HTTPS_TOKEN:
        basic = base64.b64encode(f"{credential.username}:{credential.secret}".encode()).decode()
        env.update(
            GIT_CONFIG_COUNT="1",
            GIT_CONFIG_KEY_0="http.extraHeader",
            GIT_CONFIG_VALUE_0=f"Authorization: Basic {basic}",
        )
    if remote.scheme == "ssh":
        ssh = [
            "ssh",
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "StrictHostKeyChecking=accept-new",
            "-o",
            f"UserKnownHostsFile={_known_hosts()}",
            "-o",
            "ConnectTimeout=30",
        ]
        if addresses and remote.host and not _is_ip(remote.host):
            ssh += ["-o", f"HostName={addresses[0]}", "-o", f"HostKeyAlias={remote.host}"]
        key_file = private_dir / "deploy_key"
        if credential is not None and credential.kind == SSH_KEY:
            key_file.touch(mode=0o600)
            key_file.write_text(credential.secret)
        else:
            key_file.touch(mode=0o600)  # an empty identity: the worker's own keys stay unused
        ssh += ["-i", str(key_file)]
        env["GIT_SSH_COMMAND"] = shlex.join(ssh)
        env["GIT_SSH_VARIANT"] = "ssh"
    return env, options


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _explain(
    stderr: str, ref: GitRef, credential: GitCredential | None, *, git_server: bool
) -> str:
    """What the user may learn from a failed fetch: only facts a git server told us."""
    if git_server and _MISSING_REF.search(stderr):
        if ref.ref_type == "commit":
            return (
                f"The commit {ref.name} is not in the repository (or the server does not "
                "serve commits by hash)."
            )
        return f"The {ref.ref_type} '{ref.name}' does not exist in the repository."
    if credential is not None and credential.kind == SSH_KEY and "Load key" in stderr:
        return "The target's SSH deploy key could not be used; set it again."
    return COULD_NOT_REACH


def _scrub(text: str, url: str, credential: GitCredential | None) -> str:
    text = text.replace(url, redact_url(url))
    if credential is not None:
        for secret in (credential.secret, credential.username):
            if secret:
                text = text.replace(secret, "***")
    return text


@dataclass(frozen=True)
class Fetched:
    """What a fetch checked out: the commit, and the ref as resolved (a name as its branch or
    tag; the default branch with its name when the remote told it)."""

    commit: str
    ref: GitRef


def _head_branch(listing: str) -> str:
    """The branch of `ls-remote --symref origin HEAD` output ("ref: refs/heads/x\tHEAD")."""
    for line in listing.splitlines():
        target, _, name = line.partition("\t")
        if name == "HEAD" and target.startswith("ref: refs/heads/"):
            return target.removeprefix("ref: refs/heads/")
    return ""


def _only_branch_at(listed: dict[str, str], commit: str) -> str:
    """The name of the only branch of `listed` ({ref: sha}) at `commit`; "" if none or several."""
    names = [
        ref.removeprefix("refs/heads/")
        for ref, sha in listed.items()
        if sha == commit and ref.startswith("refs/heads/")
    ]
    return names[0] if len(names) == 1 else ""


def git_fetch_checkout(
    *,
    url: str,
    ref: GitRef,
    dest: Path,
    credential: GitCredential | None = None,
    timeout: float = GIT_TIMEOUT_SECONDS,
) -> Fetched:
    """Check out `ref` of `url` (shallow) into `dest`, which must not exist; return the commit
    and the resolved ref."""
    git = shutil.which("git")
    if git is None:
        raise GitError("git is not installed on this worker.")
    remote = remote_of(url)
    addresses = _checked_addresses(remote)
    dest.mkdir(parents=True)
    private_dir = Path(tempfile.mkdtemp(prefix="seculite-git-"))
    try:
        env, options = _git_environment(remote, addresses, credential, private_dir)
        config = [arg for option in options for arg in ("-c", option)]

        def run(*args: str, wire: bool = False, git_server: bool = False) -> str:
            output = private_dir / "stdout"
            outcome = run_process(
                [git, *config, *args],
                timeout_seconds=timeout,
                cwd=dest,
                env=env,
                stdout_path=output,
            )
            if outcome.exit_code == 0 and not outcome.timed_out:
                return output.read_text("utf-8", "replace").strip()
            detail = _scrub(outcome.stderr_tail or outcome.start_error, url, credential)
            logger.warning(
                "git %s of %s (%s) failed%s: %s",
                args[0],
                redact_url(url),
                ref.describe(),
                " (timed out)" if outcome.timed_out else "",
                detail.strip()[-2000:],
            )
            if wire:
                raise GitError(_explain(detail, ref, credential, git_server=git_server))
            raise GitError(f"git {args[0]} failed on this worker; see the worker log.")

        run("init", "-q")
        # `--` keeps the URL and refs from ever being read as options.
        run("remote", "add", "origin", "--", url)
        # Only a remote that lists refs is a git server; anything else (a closed port, a web
        # page that git reads as an empty "dumb" repository) is just "could not reach".
        listed: dict[str, str] = {}  # ref name -> sha
        for line in run("ls-remote", "--heads", "--tags", "origin", wire=True).splitlines():
            sha, tab, name = line.partition("\t")
            if tab:
                listed[name] = sha
        refs = set(listed)
        if not refs:
            logger.warning("git ls-remote of %s listed no refs", redact_url(url))
            raise GitError(COULD_NOT_REACH)
        ref = ref.resolve(refs)
        if ref.ref_type in ("branch", "tag") and ref.refspec() not in refs:
            raise GitError(f"The {ref.ref_type} '{ref.name}' does not exist in the repository.")
        run(
            "fetch",
            "-q",
            "--depth",
            "1",
            "--no-tags",
            "origin",
            "--",
            ref.refspec(),
            wire=True,
            git_server=True,
        )
        run("checkout", "-q", "FETCH_HEAD")
        commit = run("rev-parse", "HEAD")
        if ref.ref_type == "default":  # which branch that was, for the scan's record
            name = ""
            with contextlib.suppress(GitError):
                name = _head_branch(run("ls-remote", "--symref", "origin", "HEAD", wire=True))
            # A server that does not advertise HEAD's target: the one branch at that commit.
            ref = GitRef("default", name or _only_branch_at(listed, commit))
    finally:
        shutil.rmtree(private_dir, ignore_errors=True)
    if ref.ref_type == "commit" and commit != ref.name:
        raise GitError(f"The repository served {commit} instead of the commit {ref.name}.")
    return Fetched(commit=commit, ref=ref)
