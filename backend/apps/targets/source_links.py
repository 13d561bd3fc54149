"""Links from a finding's file and line to the file at the scanned commit on the code host.

A git target on github.com, gitlab.com or bitbucket.org gets a link by default; any other
host (a self-hosted GitLab, Gitea, Bitbucket Server) when the target's metadata sets
`source_url_template`, e.g. `{repo}/-/blob/{commit}/{path}#L{line}`. `{repo}` is the
repository's web address derived from its clone URL (https, no `.git`, no user), so one
template serves https and ssh remotes alike. Templates are checked when saved: only these
placeholders, and what they produce must be an http(s) URL, never a `javascript:` one.
"""

from __future__ import annotations

import re
import string
from typing import Any
from urllib.parse import quote, urlsplit

from django.core.exceptions import ValidationError

PLACEHOLDERS = frozenset({"repo", "commit", "path", "line"})
MAX_TEMPLATE_LENGTH = 500
DEFAULT_TEMPLATES: dict[str, str] = {
    "github.com": "{repo}/blob/{commit}/{path}#L{line}",
    "gitlab.com": "{repo}/-/blob/{commit}/{path}#L{line}",
    "bitbucket.org": "{repo}/src/{commit}/{path}#lines-{line}",
}
_SCP_LIKE = re.compile(r"[^@/:]+@(?P<host>[^:/\[\]]+):(?P<path>.+)")
_COMMIT = re.compile(r"[0-9a-f]{7,64}")
_SAMPLE = {"repo": "https://git.example.com/org/repo", "commit": "0" * 40, "path": "a/b.py"}


def repository_web_url(clone_url: str) -> tuple[str, str]:
    """(host, https web address) of a git remote, or ("", "") when it is not one."""
    clone_url = clone_url.strip()
    match = _SCP_LIKE.fullmatch(clone_url)
    if match and "://" not in clone_url:
        host, path = match["host"].lower(), match["path"]
    else:
        try:
            parts = urlsplit(clone_url)
        except ValueError:
            return "", ""
        if parts.scheme not in ("https", "http", "ssh", "git") or not parts.hostname:
            return "", ""
        host, path = parts.hostname.lower(), parts.path
    path = path.strip("/").removesuffix(".git").strip("/")
    if not path or not host:
        return "", ""
    return host, f"https://{host}/{path}"


def validate_source_url_template(value: Any) -> str:
    """A link template for a target's files: only the known placeholders, and an http(s) URL
    once they are filled in."""
    if not isinstance(value, str):
        raise ValidationError("Enter the link template as a string.", code="invalid")
    value = value.strip()
    if len(value) > MAX_TEMPLATE_LENGTH:
        raise ValidationError(
            f"Keep the link template under {MAX_TEMPLATE_LENGTH} characters.", code="max_length"
        )
    try:
        fields = [
            (name, spec, conv)
            for _, name, spec, conv in string.Formatter().parse(value)
            if name is not None
        ]
    except ValueError as exc:
        raise ValidationError(f"The link template is not valid: {exc}.", code="invalid") from exc
    names = {name for name, _, _ in fields}
    unknown = names - PLACEHOLDERS
    if unknown:
        raise ValidationError(
            f"Unknown placeholder {{{sorted(unknown)[0]}}}; use {{repo}}, {{commit}}, {{path}} "
            "and {line}.",
            code="invalid",
        )
    if any(spec or conv for _, spec, conv in fields):
        raise ValidationError("Placeholders take no format options.", code="invalid")
    if "path" not in names or "commit" not in names:
        raise ValidationError(
            "The link template needs {commit} and {path}, as in "
            "{repo}/blob/{commit}/{path}#L{line}.",
            code="invalid",
        )
    sample = value.format(**_SAMPLE, line=1)
    parts = urlsplit(sample)
    if parts.scheme not in ("https", "http") or not parts.netloc or re.search(r"\s", sample):
        raise ValidationError(
            "The link template must give an http(s) URL: start it with {repo} or https://.",
            code="invalid",
        )
    return value


def scan_commit(scan: Any, target_id: int | None) -> str:
    """The commit `scan` checked out for the target (its own checkout record first)."""
    if scan is None:
        return ""
    checkouts = scan.checkouts if isinstance(scan.checkouts, dict) else {}
    checkout = checkouts.get(str(target_id)) if target_id is not None else None
    if isinstance(checkout, dict) and isinstance(checkout.get("commit"), str):
        return str(checkout["commit"])
    return str(scan.commit_sha or "")


def source_url(*, target: Any, commit: str, file_path: str, line: int | None) -> str:
    """The address of `file_path` (at `line`) in `target`'s repository at `commit`, or ""
    when the target is not a git repository, the commit is unknown or no template applies."""
    if target is None or getattr(target, "asset_type", "") != "git_repository":
        return ""
    if not file_path or not commit or not _COMMIT.fullmatch(commit):
        return ""
    host, repo = repository_web_url(str(target.identifier or ""))
    if not repo:
        return ""
    metadata = target.metadata if isinstance(target.metadata, dict) else {}
    template = metadata.get("source_url_template") or DEFAULT_TEMPLATES.get(host, "")
    if not template:
        return ""
    try:
        return str(template).format(
            repo=repo,
            commit=commit,
            path=quote(file_path.lstrip("/"), safe="/"),
            line=line or 1,
        )
    except (KeyError, IndexError, ValueError):
        return ""
