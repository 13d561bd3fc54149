"""The report formats SecuLite imports, and how a report is recognised before it is parsed.

Every adapter's own output format (id = the tool's id), SARIF 2.1.0 from any producer, and the
SecuLite generic JSON format (`apps/imports/generic.py`). `report_probe` looks at the first
few thousand JSON events (or the XML root element) of a report and names the formats it looks
like, so a Bandit report sent as Semgrep, or an XML report sent as JSON, fails with a message
that says so instead of being read as an empty or odd report of the named tool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

SARIF = "sarif"
GENERIC = "generic"
GENERIC_SCHEMA_URL = "/api/v1/imports/formats/generic/schema/"
# JSON events looked at to recognise a report: enough for the first items of every format.
PROBE_EVENTS = 20_000
_HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class ImportFormat:
    """One importable format. `markers`: sets of key paths ("key", "key[].sub", "[].sub") of
    which one whole set is found in a report of this format; `family`: formats sharing one
    layout (Trivy's filesystem and image reports); `sarif_drivers`: lower-case SARIF
    `tool.driver.name`s of the tool; `empty_ok`: an empty file is a valid report;
    `secret_paths`: where (ijson prefixes) the report holds the raw values of the secrets it
    found, so they are rewritten out of the kept report (a run finds them in the tree)."""

    id: str
    name: str
    tool: str | None
    media: str
    description: str
    markers: tuple[frozenset[str], ...] = ()
    xml_root: str = ""
    family: str = ""
    sarif_drivers: tuple[str, ...] = ()
    empty_ok: bool = False
    secret_paths: tuple[str, ...] = ()
    schema_url: str | None = None

    @property
    def layout(self) -> str:
        return self.family or self.id

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "tool": self.tool,
            "media": self.media,
            "description": self.description,
        }
        if self.schema_url:
            out["schema_url"] = self.schema_url
        return out


def _m(*sets: str) -> tuple[frozenset[str], ...]:
    """Marker sets written as "a b" (both a and b)."""
    return tuple(frozenset(item.split()) for item in sets)


def _adapter(tool: str, name: str, media: str, description: str, **kw: Any) -> ImportFormat:
    return ImportFormat(id=tool, name=name, tool=tool, media=media, description=description, **kw)


ADAPTER_FORMATS: dict[str, ImportFormat] = {
    fmt.id: fmt
    for fmt in (
        _adapter(
            "semgrep", "Semgrep JSON", "JSON", "Output of `semgrep --json`.",
            markers=_m("results[].check_id", "skipped_rules", "engine_requested", "paths results"),
            sarif_drivers=("semgrep", "semgrep oss", "semgrep pro", "semgrep code",
                           "semgrep community edition"),
        ),
        _adapter(
            "bandit", "Bandit JSON", "JSON", "Output of `bandit -r . -f json`.",
            markers=_m("results[].test_id", "metrics generated_at"), sarif_drivers=("bandit",),
        ),
        _adapter(
            "detect-secrets", "detect-secrets baseline", "JSON",
            "Output of `detect-secrets scan` (a baseline file).",
            markers=_m("plugins_used", "filters_used"), sarif_drivers=("detect-secrets",),
        ),
        _adapter(
            "checkov", "Checkov JSON", "JSON", "Output of `checkov -d . -o json`.",
            markers=_m("check_type", "[].check_type", "checkov_version",
                       "passed failed parsing_errors"),
            sarif_drivers=("checkov",),
        ),
        _adapter(
            "shellcheck", "ShellCheck JSON", "JSON", "Output of `shellcheck -f json1`.",
            markers=_m("comments"), sarif_drivers=("shellcheck",),
        ),
        _adapter(
            "hadolint", "Hadolint JSON", "JSON", "Output of `hadolint -f json Dockerfile`.",
            markers=_m("[].code [].level [].file [].line"), sarif_drivers=("hadolint",),
        ),
        _adapter(
            "eslint", "ESLint SARIF", "SARIF 2.1.0",
            "Output of ESLint with `@microsoft/eslint-formatter-sarif` (`-f @microsoft/sarif`).",
            family="sarif", sarif_drivers=("eslint",),
        ),
        _adapter(
            "njsscan", "njsscan JSON", "JSON", "Output of `njsscan --json`.",
            markers=_m("njsscan_version", "nodejs templates"),
            sarif_drivers=("njsscan", "nodejsscan"),
        ),
        _adapter(
            "pip_audit", "pip-audit JSON", "JSON", "Output of `pip-audit -f json`.",
            markers=_m("dependencies fixes", "dependencies[].vulns"),
            sarif_drivers=("pip-audit",),
        ),
        _adapter(
            "npm_audit", "npm audit JSON", "JSON", "Output of `npm audit --json` (npm 7 or later).",
            markers=_m("auditReportVersion"),
        ),
        _adapter(
            "osv_scanner", "OSV-Scanner JSON", "JSON", "Output of `osv-scanner --format json`.",
            markers=_m("results[].packages", "results[].source", "experimental_config"),
            sarif_drivers=("osv-scanner",),
        ),
        _adapter(
            "trivy_fs", "Trivy filesystem JSON", "JSON",
            "Output of `trivy fs --format json` (or `trivy repo`).",
            markers=_m("SchemaVersion Results", "SchemaVersion ArtifactName", "Results[].Target"),
            family="trivy", sarif_drivers=("trivy",),
        ),
        _adapter(
            "trivy_image", "Trivy image JSON", "JSON", "Output of `trivy image --format json`.",
            markers=_m("SchemaVersion Results", "SchemaVersion ArtifactName", "Results[].Target"),
            family="trivy", sarif_drivers=("trivy",),
        ),
        _adapter(
            "grype", "Grype JSON", "JSON", "Output of `grype <image or dir> -o json`.",
            markers=_m("matches descriptor", "matches[].matchDetails"), sarif_drivers=("grype",),
        ),
        _adapter(
            "gitleaks", "Gitleaks JSON", "JSON",
            "Output of `gitleaks detect --report-format json --report-path FILE`.",
            markers=_m("[].RuleID"), sarif_drivers=("gitleaks",), secret_paths=("item.Secret",),
        ),
        _adapter(
            "wapiti", "Wapiti JSON", "JSON", "Output of `wapiti -f json -o FILE`.",
            markers=_m("classifications infos", "vulnerabilities anomalies"),
        ),
        _adapter(
            "zap_baseline", "ZAP JSON report", "JSON",
            "ZAP's traditional JSON report (`zap-baseline.py -J FILE`).",
            markers=_m("@programName", "site[].alerts"),
            sarif_drivers=("zap", "owasp zap", "zed attack proxy"),
        ),
        _adapter(
            "nuclei", "Nuclei JSONL", "JSON Lines",
            "Output of `nuclei -jsonl` (one JSON object per line; an empty file means no "
            "findings).",
            markers=_m("template-id", "templateID"), empty_ok=True, sarif_drivers=("nuclei",),
        ),
        _adapter(
            "sslyze", "SSLyze JSON", "JSON", "Output of `sslyze --json_out FILE`.",
            markers=_m("server_scan_results", "sslyze_version"),
        ),
        _adapter(
            "testssl", "testssl.sh JSON", "JSON", "Output of `testssl.sh --jsonfile FILE` (flat).",
            markers=_m("[].finding [].severity [].id"),
        ),
        _adapter(
            "nmap", "Nmap XML", "XML", "Output of `nmap -oX FILE`.", xml_root="nmaprun",
        ),
    )
}  # fmt: skip

SARIF_FORMAT = ImportFormat(
    id=SARIF,
    name="SARIF 2.1.0",
    tool=None,
    media="SARIF 2.1.0",
    description=(
        "A SARIF 2.1.0 log from any tool (CodeQL, Semgrep, Checkov, Trivy, …). The tool is "
        "the log's `runs[].tool.driver.name`: a tool SecuLite runs itself when the name is "
        "one of its own, an imported tool otherwise."
    ),
    markers=_m("runs version", "runs $schema", "runs[].tool", "runs[].results"),
)

GENERIC_FORMAT = ImportFormat(
    id=GENERIC,
    name="SecuLite generic JSON",
    tool=None,
    media="JSON",
    description=(
        "SecuLite's own format for tools without a parser: "
        '{"version": 1, "tool": {"name", "version"}, "findings": [...]}, '
        "as described by its JSON Schema."
    ),
    markers=_m("findings tool", "findings version"),
    schema_url=GENERIC_SCHEMA_URL,
)


def import_formats() -> list[ImportFormat]:
    """Every importable format: the adapters' in registry order, then SARIF and generic."""
    from apps.tools.adapters.registry import ADAPTERS

    return [ADAPTER_FORMATS[tool_id] for tool_id in ADAPTERS if tool_id in ADAPTER_FORMATS] + [
        SARIF_FORMAT,
        GENERIC_FORMAT,
    ]


def import_format_get(format_id: str) -> ImportFormat | None:
    return next((fmt for fmt in import_formats() if fmt.id == format_id), None)


def adapter_for_driver(driver: str, *, asset_type: str) -> str | None:
    """The tool id of the adapter whose SARIF driver (or id, or name) is `driver`,
    case-insensitively; among several (Trivy), the one that scans `asset_type`."""
    from apps.tools.adapters.registry import ADAPTERS

    wanted = driver.strip().lower()
    if not wanted:
        return None
    matches = [
        tool_id
        for tool_id, fmt in ADAPTER_FORMATS.items()
        if tool_id in ADAPTERS
        and (
            wanted in fmt.sarif_drivers
            or wanted == tool_id.lower()
            or wanted == ADAPTERS[tool_id].name.lower()
        )
    ]
    for tool_id in matches:
        if asset_type in ADAPTERS[tool_id].supported_asset_types:
            return tool_id
    return matches[0] if matches else None


@dataclass
class Probe:
    """What the start of a report looks like. `kind`: empty, binary, text, xml, json, jsonl;
    `keys`: the key paths seen (see ImportFormat.markers); `error`: the JSON error met, if
    any, within the events looked at."""

    kind: str
    keys: set[str] = field(default_factory=set)
    xml_root: str = ""
    error: str = ""

    def looks_like(self) -> list[ImportFormat]:
        """The formats this report matches (several for layouts that share markers)."""
        found = []
        for fmt in import_formats():
            xml = self.kind == "xml" and bool(fmt.xml_root) and self.xml_root == fmt.xml_root
            json = self.kind in ("json", "jsonl") and any(m <= self.keys for m in fmt.markers)
            if xml or json:
                found.append(fmt)
        return found

    def describe(self) -> str:
        """How to name what the report is, in a message."""
        if self.kind == "empty":
            return "an empty file"
        if self.kind == "binary":
            return "binary data, not a text report"
        if self.kind == "text":
            return "plain text, not JSON or XML"
        if self.kind == "xml":
            return f"an XML document (<{self.xml_root}>)" if self.xml_root else "an XML document"
        formats = self.looks_like()
        if formats:
            return " or ".join(dict.fromkeys(fmt.name for fmt in formats))
        return "a JSON document of no format SecuLite knows"


_XML_SKIP = re.compile(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", re.DOTALL)
_XML_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")


def report_probe(path: Path, expected: ImportFormat | None = None) -> Probe:
    """Recognise the report at `path` from its first bytes and JSON events; never reads the
    whole file and never raises for bad content. With `expected`, the look stops as soon as
    one of that format's marker sets is seen (a few events into a report of that format)."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
        if not head.strip():
            return Probe(kind="empty")
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        if b"\x00" in head or not _is_text(head):
            return Probe(kind="binary")
        if start == b"<":
            return Probe(kind="xml", xml_root=_xml_root(head))
        if start not in (b"{", b"["):
            return Probe(kind="text")
        handle.seek(0)
        return _json_probe(handle, _stop_markers(expected))


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the window is still text.
        return exc.start >= len(head) - 3
    return True


def _xml_root(head: bytes) -> str:
    body = _XML_SKIP.sub(b"", head)
    match = _XML_ROOT.search(body)
    return match.group(1).decode("utf-8", "replace") if match else ""


def _stop_markers(expected: ImportFormat | None) -> tuple[frozenset[str], ...]:
    """The marker sets whose sight ends the probe: the expected format's, unless it is JSON
    Lines (told from JSON by a second top-level value, so those are looked at in full)."""
    if expected is None or expected.media == "JSON Lines":
        return ()
    return expected.markers


def _json_probe(handle: IO[bytes], stop: tuple[frozenset[str], ...] = ()) -> Probe:
    import ijson

    probe = Probe(kind="json")
    values = 0
    try:
        events = ijson.parse(handle, multiple_values=True, use_float=True)
        for count, (prefix, event, value) in enumerate(events):
            if count >= PROBE_EVENTS:
                break
            if event == "map_key":
                path = _key_path(prefix, value)
                if path and path not in probe.keys:
                    probe.keys.add(path)
                    if any(markers <= probe.keys for markers in stop):
                        break
            elif prefix == "" and event in ("start_map", "start_array"):
                values += 1
    except Exception as exc:  # ijson's errors, and a file that changes while it is read
        probe.error = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    if values > 1:
        probe.kind = "jsonl"
    return probe


def _key_path(prefix: str, key: str) -> str:
    """The marker path of a key at the top, one level down, or in an item of a top-level
    array or of an array one level down; "" deeper than that."""
    if prefix == "":
        return key
    parts = prefix.split(".")
    if parts == ["item"]:
        return f"[].{key}"
    if len(parts) == 1:
        return f"{parts[0]}.{key}"
    if len(parts) == 2 and parts[1] == "item":
        return f"{parts[0]}[].{key}"
    return ""
