"""Checks of target identifiers and metadata per asset type: plain functions, no database.

Each `validate_*` function takes the raw value and returns its normalised form, or raises
`django.core.exceptions.ValidationError`. `validate_target_spec` runs the right ones for an
asset type and reports problems keyed by field ("identifier", "metadata.branch", ...), which
the API's error handler turns into `fields` of the common error body.

Identifiers end up as arguments of scanner processes, so anything a tool could read as an
option (a leading "-"), a second argument (whitespace) or another transport (`file://`,
`ext::`) is refused here, before it is stored.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any, NoReturn
from urllib.parse import SplitResult, urlsplit, urlunsplit

from django.core.exceptions import ValidationError

from apps.targets.source_links import validate_source_url_template

MAX_IDENTIFIER_LENGTH = 2048
MAX_GLOBS = 200
MAX_GLOB_LENGTH = 1024
MAX_FILENAME_LENGTH = 200

# Asset type values, as stored in TargetAsset.asset_type (kept here so this module needs no
# app registry).
GIT_REPOSITORY = "git_repository"
CODEBASE_PATH = "codebase_path"
URL = "url"
CONTAINER_IMAGE = "container_image"
FILE_UPLOAD = "file_upload"
IP_RANGE = "ip_range"
DOMAIN = "domain"

PATH_FILTER_KEYS = ("include_paths", "exclude_paths")
# What a git target checks out; at most one per target (none: the remote's default branch).
GIT_REF_KEYS = ("branch", "tag", "commit")
ALLOWED_METADATA_KEYS: dict[str, tuple[str, ...]] = {
    GIT_REPOSITORY: ("branch", "tag", "commit", *PATH_FILTER_KEYS, "source_url_template"),
    CODEBASE_PATH: PATH_FILTER_KEYS,
    FILE_UPLOAD: PATH_FILTER_KEYS,
    CONTAINER_IMAGE: (),
    URL: (),
    IP_RANGE: (),
    DOMAIN: (),
}

CREDENTIALS_IN_URL = (
    "Do not put credentials in the URL; set the target's credential (an HTTPS token or an SSH "
    "deploy key) instead."
)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WHITESPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")
_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)


def _fail(message: str, code: str = "invalid") -> NoReturn:
    raise ValidationError(message, code=code)


def _require_text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"Enter {what} as a string.", code="invalid")
    value = value.strip()
    if not value:
        raise ValidationError(f"Enter {what}.", code="required")
    if len(value) > MAX_IDENTIFIER_LENGTH:
        raise ValidationError(
            f"Keep it under {MAX_IDENTIFIER_LENGTH} characters.", code="max_length"
        )
    return value


def _hostname_to_ascii(name: str, *, require_dot: bool) -> str:
    """The lowercase ASCII (IDNA) form of a host name, or a ValidationError."""
    if name.endswith("."):
        name = name[:-1]
    if not name or _WHITESPACE_OR_CONTROL.search(name):
        raise ValidationError("Enter a valid host name.", code="invalid")
    try:
        ascii_name = name.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise ValidationError(
            "Enter a valid host name: labels of 1-63 characters separated by single dots.",
            code="invalid",
        ) from exc
    if len(ascii_name) > 253:
        raise ValidationError("A host name has at most 253 characters.", code="invalid")
    labels = ascii_name.split(".")
    for label in labels:
        if not _HOST_LABEL.fullmatch(label):
            raise ValidationError(
                f"'{label}' is not a valid label: use 1-63 letters, digits or hyphens, "
                "not starting or ending with a hyphen.",
                code="invalid",
            )
    if require_dot and len(labels) < 2:
        raise ValidationError(
            "Enter a fully qualified domain name such as example.com.", code="invalid"
        )
    if len(labels) > 1 and labels[-1].isdigit():
        raise ValidationError("The top-level domain cannot be numeric.", code="invalid")
    return ascii_name


def _validate_host(host: str) -> str:
    """An IP address or a host name (single labels such as `localhost` allowed)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return _hostname_to_ascii(host, require_dot=False)


def _split_url(value: str) -> SplitResult:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise ValidationError("Enter a valid URL (check the host and port).") from exc
    return parts


def validate_url(value: Any) -> str:
    """An absolute http(s) URL with a host and no credentials; scheme and host lowercased."""
    value = _require_text(value, "a URL")
    if _WHITESPACE_OR_CONTROL.search(value):
        _fail("A URL cannot contain spaces or control characters; percent-encode them.")
    parts = _split_url(value)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        _fail("Use an absolute http:// or https:// URL.")
    if "@" in parts.netloc:
        _fail("Do not put credentials in the URL; configure authentication separately.")
    if not parts.hostname:
        _fail("The URL needs a host, as in https://app.example.com/.")
    host = _validate_host(parts.hostname or "")
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))


_SCP_LIKE = re.compile(
    r"(?P<user>[A-Za-z0-9_][A-Za-z0-9._-]*)@(?P<host>[^@:/\[\]]+):(?P<path>.+)", re.ASCII
)


def validate_git_url(value: Any) -> str:
    """A remote git URL: https://host/path, ssh://[user@]host[:port]/path or user@host:path.

    Local paths, file://, http:// and transport helpers (`ext::`) are refused, as is anything
    git or ssh could read as an option (CVE-2017-1000117 style `-oProxyCommand=` hosts).
    """
    value = _require_text(value, "a repository URL")
    if value.startswith("-"):
        _fail("A repository URL cannot start with '-'.")
    if _WHITESPACE_OR_CONTROL.search(value):
        _fail("A repository URL cannot contain spaces or control characters.")
    lowered = value.lower()
    if lowered.startswith(("https://", "ssh://")):
        parts = _split_url(value)
        if parts.password is not None:
            _fail(CREDENTIALS_IN_URL)
        if lowered.startswith("https://") and parts.username is not None:
            _fail(CREDENTIALS_IN_URL)
        if parts.username is not None and (
            parts.username.startswith("-") or not re.fullmatch(r"[\w.-]+", parts.username)
        ):
            _fail("The ssh user name is not valid.")
        if not parts.hostname:
            _fail("The repository URL needs a host.")
        _validate_host(parts.hostname or "")
        if parts.path.strip("/") == "":
            _fail("The repository URL needs a path, as in https://github.com/org/repo.git.")
        if parts.path.startswith("/-"):
            _fail("The repository path cannot start with '-'.")
        return value
    match = _SCP_LIKE.fullmatch(value)
    if match is None or "://" in value:
        _fail("Use an https://, ssh:// or git@host:path repository URL.")
    _validate_host(match["host"])
    if match["path"].startswith("-"):
        _fail("The repository path cannot start with '-'.")
    return value


_REF_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f~^:?*\[\\]")


def _validate_ref_name(value: Any, what: str) -> str:
    """A branch or tag name that `git check-ref-format` would accept under refs/heads|tags."""
    value = _require_text(value, f"a {what} name")
    if len(value) > 255:
        _fail(f"A {what} name has at most 255 characters.")
    if value.startswith("-"):
        _fail(f"A {what} name cannot start with '-'.")
    if _REF_FORBIDDEN.search(value):
        _fail(f"A {what} name cannot contain spaces, control characters or ~ ^ : ? * [ \\.")
    if ".." in value or "@{" in value or "//" in value or value == "@":
        _fail(f"A {what} name cannot contain '..', '@{{' or '//', nor be '@'.")
    if value.startswith("/") or value.endswith(("/", ".", ".lock")):
        _fail(f"A {what} name cannot start with '/' nor end with '/', '.' or '.lock'.")
    if any(part.startswith(".") or part.endswith(".lock") for part in value.split("/")):
        _fail(f"No part of a {what} name may start with '.' or end with '.lock'.")
    return value


def validate_git_branch(value: Any) -> str:
    """A branch name, fetched as refs/heads/<name>."""
    return _validate_ref_name(value, "branch")


def validate_git_tag(value: Any) -> str:
    """A tag name, fetched as refs/tags/<name>."""
    return _validate_ref_name(value, "tag")


def validate_git_commit(value: Any) -> str:
    """A full commit hash (40 hexadecimal digits), lowercased.

    Remotes let a client fetch a commit only by its full hash, so an abbreviation would pass
    here and fail at every scan.
    """
    value = _require_text(value, "a commit hash")
    if not re.fullmatch(r"[0-9a-fA-F]{40}", value):
        _fail(
            "Give the full 40-character commit hash (as `git rev-parse <commit>` prints it); "
            "a remote cannot be asked for an abbreviated one."
        )
    return value.lower()


def validate_codebase_path(value: Any, *, allowed_roots: Iterable[str] | None = None) -> str:
    """An absolute, normalised path without '..' components, inside `allowed_roots` if any.

    The worker checks the allowed roots again when it prepares the target; checking here too
    gives the user the error when they type the path.
    """
    if isinstance(value, str) and "\x00" in value:
        _fail("A path cannot contain NUL characters.")
    value = _require_text(value, "a path")
    if _CONTROL.search(value):
        _fail("A path cannot contain control characters.")
    if not value.startswith("/"):
        _fail("Use an absolute path, starting with '/'.")
    if ".." in value.split("/"):
        _fail("A path cannot contain '..' components.")
    normalised = "/" + posixpath.normpath(value).lstrip("/")
    roots = [r for r in (allowed_roots or []) if r]
    if roots:
        inside = any(
            normalised == root.rstrip("/") or normalised.startswith(root.rstrip("/") + "/")
            for root in (posixpath.normpath(r) for r in roots)
        )
        if not inside:
            _fail("The path must be inside one of the allowed roots: " + ", ".join(roots) + ".")
    return normalised


# The grammar of github.com/distribution/reference, restricted to sha256 digests.
_IMAGE_ALNUM = r"[a-z0-9]+"
_IMAGE_SEPARATOR = r"(?:[._]|__|-+)"
_IMAGE_PATH_COMPONENT = rf"{_IMAGE_ALNUM}(?:{_IMAGE_SEPARATOR}{_IMAGE_ALNUM})*"
_IMAGE_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_IMAGE_DOMAIN = (
    rf"(?:{_IMAGE_DOMAIN_COMPONENT}(?:\.{_IMAGE_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:]+\])"
    r"(?::[0-9]+)?"
)
_IMAGE_REFERENCE = re.compile(
    rf"(?:(?P<domain>{_IMAGE_DOMAIN})/)?"
    rf"(?P<path>{_IMAGE_PATH_COMPONENT}(?:/{_IMAGE_PATH_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?",
    re.ASCII,
)


def validate_container_image(value: Any) -> str:
    """An image reference: [registry[:port]/]namespace/name[:tag][@sha256:<64 hex>]."""
    value = _require_text(value, "an image reference")
    if value.startswith("-"):
        _fail("An image reference cannot start with '-'.")
    if _WHITESPACE_OR_CONTROL.search(value):
        _fail("An image reference cannot contain spaces or control characters.")
    if len(value) > 512:
        _fail("An image reference has at most 512 characters.")
    match = _IMAGE_REFERENCE.fullmatch(value)
    if match is None:
        _fail(
            "Enter an image reference such as nginx:1.27, ghcr.io/org/app:v2 or "
            "registry.example.com:5000/team/app@sha256:<64 hex digits>; repository names are "
            "lowercase."
        )
    name_length = len(match["path"]) + (len(match["domain"]) + 1 if match["domain"] else 0)
    if name_length > 255:
        _fail("An image name has at most 255 characters.")
    return value


def validate_ip_range(value: Any) -> str:
    """An IPv4/IPv6 address or CIDR network, normalised (host bits cleared: 10.0.0.0/24)."""
    value = _require_text(value, "an IP address or CIDR range")
    if _WHITESPACE_OR_CONTROL.search(value) or "%" in value:
        _fail("Enter an IP address or CIDR range such as 10.0.0.0/24 or 2001:db8::/48.")
    try:
        if "/" in value:
            return str(ipaddress.ip_network(value, strict=False))
        return str(ipaddress.ip_address(value))
    except ValueError as exc:
        raise ValidationError(
            "Enter an IP address or CIDR range such as 10.0.0.0/24 or 2001:db8::/48.",
            code="invalid",
        ) from exc


def validate_domain(value: Any) -> str:
    """A fully qualified host name, returned in lowercase ASCII (IDNA) form."""
    value = _require_text(value, "a domain name")
    if "://" in value or "/" in value:
        _fail("Enter only the domain name, e.g. example.com, without scheme or path.")
    return _hostname_to_ascii(value, require_dot=True)


def validate_path_globs(value: Any) -> list[str]:
    """A list of relative glob patterns (e.g. "src/**/*.py"), each stripped."""
    if not isinstance(value, list):
        _fail('Give a list of relative glob patterns, e.g. ["src/**"].')
    if len(value) > MAX_GLOBS:
        _fail(f"Give at most {MAX_GLOBS} patterns.")
    patterns: list[str] = []
    for position, pattern in enumerate(value, start=1):
        if not isinstance(pattern, str) or not pattern.strip():
            _fail(f"Pattern {position} must be a non-empty string.")
        pattern = pattern.strip()
        if len(pattern) > MAX_GLOB_LENGTH or _CONTROL.search(pattern):
            _fail(f"Pattern {position} is too long or contains control characters.")
        if pattern.startswith(("/", "\\", "-", "~")) or re.match(r"[A-Za-z]:[\\/]", pattern):
            _fail(f"Pattern {position} must be relative, e.g. src/**/*.py.")
        if ".." in re.split(r"[\\/]", pattern):
            _fail(f"Pattern {position} cannot contain '..'.")
        patterns.append(pattern)
    return patterns


ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")


def sanitise_filename(name: str) -> str:
    """The last path component of an uploaded file's name, reduced to [A-Za-z0-9._-], with
    its archive suffix kept (so "日本語.zip" becomes "upload.zip", not "zip")."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name or ""))[-1]
    suffix = archive_suffix(base) or ""
    stem = base[: len(base) - len(suffix)]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem, flags=re.ASCII).strip("._-")
    return (stem[: MAX_FILENAME_LENGTH - len(suffix)] or "upload") + suffix


def archive_suffix(name: str) -> str | None:
    lowered = name.lower()
    return next((s for s in ARCHIVE_SUFFIXES if lowered.endswith(s)), None)


def _content_matches(suffix: str, head: bytes) -> bool:
    if suffix == ".zip":
        return head.startswith((b"PK\x03\x04", b"PK\x05\x06"))
    if suffix in (".tar.gz", ".tgz"):
        return head.startswith(b"\x1f\x8b")
    return head[257:262] == b"ustar"


def _human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    if size >= 1024:
        return f"{size / 1024:g} KB"
    return f"{size} bytes"


def validate_archive_upload(*, filename: str, size: int, head: bytes, max_bytes: int) -> str:
    """Check an uploaded source archive and return its sanitised file name.

    `head` is the first 512 bytes of the file: the content must match the extension, so an
    executable renamed to .zip is refused too.
    """
    safe_name = sanitise_filename(filename)
    suffix = archive_suffix(safe_name)
    if suffix is None:
        _fail("Upload a .zip, .tar, .tar.gz or .tgz archive.", code="invalid_extension")
    if size > max_bytes:
        _fail(f"The archive is larger than the {_human_size(max_bytes)} limit.", code="too_large")
    if size == 0:
        _fail("The archive is empty.", code="empty")
    if not _content_matches(suffix, head):
        _fail(f"The file's content is not a {suffix} archive.", code="invalid_content")
    return safe_name


IDENTIFIER_VALIDATORS: dict[str, Callable[[Any], str]] = {
    GIT_REPOSITORY: validate_git_url,
    URL: validate_url,
    CONTAINER_IMAGE: validate_container_image,
    IP_RANGE: validate_ip_range,
    DOMAIN: validate_domain,
}

METADATA_VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "branch": validate_git_branch,
    "tag": validate_git_tag,
    "commit": validate_git_commit,
    "include_paths": validate_path_globs,
    "exclude_paths": validate_path_globs,
    "source_url_template": validate_source_url_template,
}


def validate_target_spec(
    *,
    asset_type: str,
    identifier: Any,
    metadata: Any,
    codebase_roots: Iterable[str] | None = None,
) -> tuple[str, dict[str, Any]]:
    """Validate a target's identifier and metadata for its asset type.

    Returns the normalised (identifier, metadata). Raises one ValidationError whose
    `message_dict` holds every problem, keyed "identifier", "metadata" or "metadata.<key>".
    File uploads are checked by `validate_archive_upload`; their identifier passes through.
    """
    if asset_type not in ALLOWED_METADATA_KEYS:
        raise ValidationError({"asset_type": [f"Unknown asset type '{asset_type}'."]})
    errors: dict[str, list[str]] = {}

    clean_identifier = identifier if isinstance(identifier, str) else ""
    try:
        if asset_type == CODEBASE_PATH:
            clean_identifier = validate_codebase_path(identifier, allowed_roots=codebase_roots)
        elif asset_type in IDENTIFIER_VALIDATORS:
            clean_identifier = IDENTIFIER_VALIDATORS[asset_type](identifier)
    except ValidationError as exc:
        errors["identifier"] = list(exc.messages)

    clean_metadata: dict[str, Any] = {}
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        errors["metadata"] = ["Give the metadata as a JSON object."]
        metadata = {}
    allowed = ALLOWED_METADATA_KEYS[asset_type]
    for key, item in metadata.items():
        field = f"metadata.{key}"
        if key not in allowed:
            hint = f"Allowed: {', '.join(allowed)}." if allowed else "It takes no options."
            errors[field] = [f"Not an option for a {asset_type} target. {hint}"]
            continue
        if item is None or item in ("", []):
            continue  # an empty optional value means "not set"
        try:
            clean_metadata[key] = METADATA_VALIDATORS[key](item)
        except ValidationError as exc:
            errors[field] = list(exc.messages)

    refs = [key for key in GIT_REF_KEYS if key in clean_metadata]
    if len(refs) > 1:
        errors.setdefault("metadata", []).append(
            "Give one of branch, tag or commit, not " + " and ".join(refs) + "."
        )
    if errors:
        raise ValidationError(errors)
    return clean_identifier, clean_metadata
