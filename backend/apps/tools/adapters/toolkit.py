"""Helpers shared by the dependency, image, DAST, TLS and network adapters.

Target checks (defence in depth: targets are validated when prepared, and again here so that
nothing an attacker typed can ever be read by a tool as an option), bounded JSON/JSONL
readers that turn garbage into `ToolOutputError`, size-bounded evidence, URL-path
normalisation for DAST fingerprints, CVSS v3 scoring and the dependency fingerprint.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from apps.tools.adapters import common
from apps.tools.adapters.base import (
    BaseAdapter,
    PreparedTarget,
    ToolOutputError,
)
from apps.tools.adapters.jsonstream import (  # noqa: F401 - re-exported for the adapters
    json_kind,
    json_value,
    stream_json_array,
    stream_json_items,
    stream_json_kvitems,
)

# Text reports read whole are refused past this size; streaming parsers have no bound beyond
# the runner's output cap.
MAX_JSON_BYTES = 256 * 1024 * 1024
# Evidence kept per finding (request/response excerpts, matched text).
EVIDENCE_CHARS = 2000
SNIPPET_CHARS = 500

_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_HOSTNAME = re.compile(
    r"(?=.{1,253}\Z)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?",
    re.ASCII | re.IGNORECASE,
)
_IMAGE = re.compile(
    r"(?:(?P<domain>[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?)/)?"
    r"(?P<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?",
    re.ASCII,
)
_RELATIVE_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]{0,254}", re.ASCII)


class UnavailableInThisWorkerMixin:
    """For tools that only the Docker worker image carries (no PyPI/npm/Debian package)."""

    binary: ClassVar[str]

    def unavailable_reason(self) -> str:
        if self.executable() is None:  # type: ignore[attr-defined]
            return (
                f"'{self.binary}' is not installed on this worker; the SecuLite Docker worker "
                "image carries it."
            )
        return ""


# --- targets -------------------------------------------------------------------------------


def _reject_option_like(value: str, what: str) -> None:
    if not value:
        raise ValueError(f"the target has no {what}")
    if value.startswith("-"):
        raise ValueError(f"refusing {what} {value[:80]!r}: it starts with '-'")
    if _CONTROL.search(value):
        raise ValueError(
            f"refusing {what} {value[:80]!r}: it contains spaces or control characters"
        )


def require_url(target: PreparedTarget) -> str:
    """The target's http(s) URL, checked so it can never be read as an option."""
    url = target.url or (target.identifier if target.asset_type == "url" else "")
    _reject_option_like(url, "URL")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"refusing URL {url[:80]!r}: only http(s) URLs with a host are scanned")
    require_hostname(parts.hostname)
    return url


def require_hostname(host: str) -> str:
    """A DNS name or an IP address (IPv6 without brackets)."""
    _reject_option_like(host, "host")
    candidate = host.strip("[]")
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        pass
    if not _HOSTNAME.fullmatch(candidate.rstrip(".")):
        raise ValueError(f"refusing host {host[:80]!r}: not a host name or IP address")
    return candidate.rstrip(".").lower()


def require_host_or_network(target: PreparedTarget) -> str:
    """Host name, IP address or CIDR network from a domain/ip_range/url target."""
    value = target.host or target.identifier
    if target.asset_type == "url" or "://" in value:
        return require_hostname(urlsplit(require_url(target)).hostname or "")
    _reject_option_like(value, "host")
    if "/" in value:
        try:
            return str(ipaddress.ip_network(value, strict=False))
        except ValueError as exc:
            raise ValueError(f"refusing network {value[:80]!r}: {exc}") from exc
    return require_hostname(value)


def require_host_port(target: PreparedTarget, default_port: int) -> tuple[str, int]:
    """(host, port) for TLS tools: from a URL (its port, else 443/80 by scheme) or a domain."""
    if target.asset_type == "url" or target.url:
        url = require_url(target)
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"refusing URL {url[:80]!r}: {exc}") from exc
        return require_hostname(parts.hostname or ""), port or default_port
    host = target.host or target.identifier
    if "/" in host:
        raise ValueError(f"refusing host {host[:80]!r}: a network range is not a TLS endpoint")
    return require_hostname(host), default_port


def pinned_address(target: PreparedTarget, host: str) -> str | None:
    """The policy-checked address to connect to for the name `host`, IPv4 first; None when
    `host` is already an address or nothing was checked (the tool then resolves it itself)."""
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    checked = sorted(target.addresses, key=lambda address: ":" in address)
    return checked[0] if checked else None


def host_port_arg(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def require_image(target: PreparedTarget) -> str:
    image = target.image or (target.identifier if target.asset_type == "container_image" else "")
    _reject_option_like(image, "image reference")
    if len(image) > 512 or not _IMAGE.fullmatch(image):
        raise ValueError(f"refusing image reference {image[:80]!r}: not a valid image reference")
    return image


def require_tree(target: PreparedTarget) -> Path:
    """The prepared local tree (absolute, so it can never be read as an option)."""
    if target.path is None:
        raise ValueError("the target has no prepared source tree")
    path = Path(target.path).resolve()
    if not path.is_dir():
        raise ValueError(f"the prepared source tree {path} does not exist")
    return path


def require_relative_file(root: Path, relative: str) -> Path:
    """A file named in config, resolved inside `root` (no absolute paths, no '..')."""
    if not _RELATIVE_PATH.fullmatch(relative) or ".." in Path(relative).parts:
        raise ValueError(f"refusing path {relative[:80]!r}: use a relative path inside the tree")
    resolved = (root / relative).resolve()
    if not resolved.is_relative_to(root):
        raise ValueError(f"refusing path {relative[:80]!r}: it leaves the scanned tree")
    return resolved


def validated_config(adapter: BaseAdapter, config: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults merged with `config`, checked against the adapter's schema once more."""
    from jsonschema import Draft202012Validator

    merged = adapter.config_with_defaults(config)
    errors = sorted(
        Draft202012Validator(adapter.config_schema).iter_errors(merged), key=lambda e: e.path
    )
    if errors:
        first = errors[0]
        where = ".".join(str(part) for part in first.absolute_path) or "config"
        raise ValueError(f"invalid {adapter.tool_id} config at {where}: {first.message}")
    return merged


# --- reading output ------------------------------------------------------------------------


def read_text(output_path: Path, tool: str, *, limit: int = MAX_JSON_BYTES) -> str:
    if not output_path.exists():
        raise ToolOutputError(f"{tool} wrote no report ({output_path.name} is missing)")
    size = output_path.stat().st_size
    if size > limit:
        raise ToolOutputError(f"{tool} report is {size} bytes, over the {limit} byte limit")
    text = output_path.read_text("utf-8", "replace")
    if not text.strip():
        raise ToolOutputError(f"{tool} wrote an empty report")
    return text


def iter_jsonl(output_path: Path, tool: str) -> Iterator[dict[str, Any]]:
    """One JSON object per line, read line by line; blank lines are skipped."""
    if not output_path.exists():
        raise ToolOutputError(f"{tool} wrote no report ({output_path.name} is missing)")
    with output_path.open("r", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            stripped = line.strip()
            if not stripped:
                continue
            try:
                item = json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise ToolOutputError(
                    f"{tool} output line {number} is not JSON ({exc.msg}): {stripped[:120]!r}"
                ) from exc
            if not isinstance(item, dict):
                raise ToolOutputError(f"{tool} output line {number} is not a JSON object")
            yield item


def expect_mapping(value: Any, tool: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ToolOutputError(f"{tool} report: {what} is not a JSON object")
    return value


# --- finding helpers -----------------------------------------------------------------------


def clip(value: Any, limit: int = EVIDENCE_CHARS) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value if item not in (None, "")]
    return []


def references(*values: Any, limit: int = 20) -> tuple[str, ...]:
    """Unique http(s) references, in order, at most `limit`."""
    out: list[str] = []
    for value in values:
        for item in text_list(value):
            for token in item.split():
                if token.startswith(("http://", "https://")) and token not in out:
                    out.append(token)
    return tuple(out[:limit])


def url_path_key(url: str) -> str:
    """The URL's path for fingerprints: no scheme/host/query/fragment, percent-decoded,
    duplicate and trailing slashes dropped, so the same page fingerprints the same on every
    run and host alias."""
    parts = urlsplit(url)
    path = unquote(parts.path if parts.scheme else url.split("?")[0].split("#")[0])
    path = re.sub(r"/{2,}", "/", path)
    if len(path) > 1:
        path = path.rstrip("/")
    return path or "/"


def split_advisory_ids(primary: str, aliases: Iterable[str]) -> tuple[str, str]:
    """(cve field, advisory id for the fingerprint): the CVE id if any, else the primary id."""
    ids = [primary, *aliases]
    cve = next((i for i in ids if isinstance(i, str) and i.upper().startswith("CVE-")), "")
    return (cve or primary), primary


def dependency_hint(ecosystem: str, package: str, version: str, advisory: str) -> str:
    return f"{ecosystem.lower()}:{package}:{version}:{advisory}"


def severity_from_score(score: float | None) -> str:
    """CVSS base score → severity (CVSS v3 qualitative ratings); no score is "unknown"."""
    return common.severity_from_score(score) or "unknown"


_CVSS3_WEIGHTS: dict[str, dict[str, float]] = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}


def _roundup(value: float) -> float:
    integer = round(value * 100000)
    if integer % 10000 == 0:
        return integer / 100000.0
    return (math.floor(integer / 10000) + 1) / 10.0


def cvss3_base_score(vector: str) -> float | None:
    """Base score of a CVSS v3.0/v3.1 vector ('CVSS:3.1/AV:N/AC:L/...'), None if unreadable."""
    if not isinstance(vector, str) or not vector.startswith("CVSS:3"):
        return None
    metrics = dict(part.split(":", 1) for part in vector.split("/")[1:] if ":" in part)
    try:
        scope_changed = metrics["S"] == "C"
        pr = {"N": 0.85, "L": 0.68 if scope_changed else 0.62, "H": 0.5 if scope_changed else 0.27}[
            metrics["PR"]
        ]
        av, ac, ui = (_CVSS3_WEIGHTS[key][metrics[key]] for key in ("AV", "AC", "UI"))
        c, i, a = (_CVSS3_WEIGHTS[key][metrics[key]] for key in ("C", "I", "A"))
    except KeyError:
        return None
    iss = 1 - (1 - c) * (1 - i) * (1 - a)
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if scope_changed else 6.42 * iss
    exploitability = 8.22 * av * ac * pr * ui
    if impact <= 0:
        return 0.0
    if scope_changed:
        return _roundup(min(1.08 * (impact + exploitability), 10))
    return _roundup(min(impact + exploitability, 10))


def map_severity(value: Any, table: Mapping[str, str], default: str = "unknown") -> str:
    return table.get(str(value or "").strip().lower(), default)
