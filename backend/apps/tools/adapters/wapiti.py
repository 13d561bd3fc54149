"""Wapiti: black-box DAST crawler and fuzzer for one web application URL."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from apps.tools.adapters.base import (
    BaseAdapter,
    NormalizedFinding,
    PreparedTarget,
    ToolCommand,
    ToolOutputError,
    cwe_from,
)
from apps.tools.adapters.coverage import Coverage, coverage_of
from apps.tools.adapters.toolkit import (
    EVIDENCE_CHARS,
    clip,
    json_kind,
    json_value,
    references,
    require_url,
    stream_json_kvitems,
    url_path_key,
    validated_config,
)

# Modules that need nothing but the target. ssrf/xxe/log4shell call out to an external
# endpoint, wapp/nikto download databases, takeover queries DNS: opt-in only.
ALL_MODULES = (
    "backup", "brute_login_form", "buster", "cms", "cookieflags", "crlf", "csp", "csrf",
    "exec", "file", "htaccess", "htp", "http_headers", "https_redirect", "ldap", "log4shell",
    "methods", "network_device", "nikto", "permanentxss", "redirect", "shellshock",
    "spring4shell", "sql", "ssl", "ssrf", "takeover", "timesql", "upload", "wapp", "wp_enum",
    "xss", "xxe",
)  # fmt: skip
DEFAULT_MODULES = (
    "cookieflags", "csp", "exec", "file", "http_headers", "permanentxss", "redirect", "sql",
    "ssl", "upload", "xss",
)  # fmt: skip

LEVELS = {4: "critical", 3: "high", 2: "medium", 1: "low", 0: "informational"}
SECTIONS = ("vulnerabilities", "anomalies", "additionals")


class WapitiAdapter(BaseAdapter):
    """Wapiti 3 JSON report (`-f json`) → one finding per reported vulnerability, anomaly or
    additional.

    Field mapping: the category name (the key under `vulnerabilities` / `anomalies` /
    `additionals`) → `rule_id` and `title`; `level` 4/3/2/1/0 → critical/high/medium/low/
    informational; `info` + the category's `desc` → `description`; `sol` → `remediation`;
    `ref` URLs → `references`, a `CWE-n` key among them → `cwe`; `infos.target`'s origin +
    `path` → `url`; `method` → `http_method`; `parameter` → `parameter`; evidence holds the
    request (`http_request`), the `curl_command`, the module, WSTG ids and, with
    `-dr 2`, the response status and body, each cut to 2000 characters.

    Fingerprint: `fingerprint_hint` = category + normalised URL path (no host, query or
    payload) + parameter, so a payload that differs per run never splits a finding; entries
    repeating a fingerprint (several modules hitting the same 500) yield one finding.

    The report is streamed category by category (one category's entries are held at a
    time); `classifications` (first) and `infos.target` (the first key of the last section,
    ahead of the crawled pages) are read on their own, so the crawl log is never built.
    """

    tool_id: ClassVar[str] = "wapiti"
    needs_network: ClassVar[bool] = True
    name: ClassVar[str] = "Wapiti"
    category: ClassVar[str] = "dast"
    description: ClassVar[str] = (
        "Web application scanner: crawls the URL and injects payloads (XSS, SQL, command "
        "injection, file disclosure, open redirect) and checks headers and cookies."
    )
    homepage: ClassVar[str] = "https://wapiti-scanner.github.io/"
    supported_asset_types: ClassVar[tuple[str, ...]] = ("url",)
    binary: ClassVar[str] = "wapiti"
    coverage_unit: ClassVar[str] = "urls"
    default_config: ClassVar[Mapping[str, Any]] = {
        "scope": "folder",
        "modules": list(DEFAULT_MODULES),
        "max_scan_time_seconds": 900,
        "max_attack_time_seconds": 180,
        "request_timeout_seconds": 10,
        "depth": 10,
        "max_links_per_page": 100,
        "max_files_per_dir": 200,
        "level": 1,
        "scan_force": "normal",
        "tasks": 8,
        "verify_ssl": False,
        "detailed_report": True,
        "exclude_urls": [],
    }
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "scope": {
                "type": "string",
                "enum": ["url", "page", "folder", "domain"],
                "description": "How far from the URL Wapiti may crawl.",
            },
            "modules": {
                "type": "array",
                "items": {"type": "string", "enum": list(ALL_MODULES)},
                "minItems": 1,
                "uniqueItems": True,
                "description": "Attack modules; ssrf, xxe and log4shell need outbound internet.",
            },
            "max_scan_time_seconds": {"type": "integer", "minimum": 30, "maximum": 7200},
            "max_attack_time_seconds": {"type": "integer", "minimum": 10, "maximum": 3600},
            "request_timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 60},
            "depth": {"type": "integer", "minimum": 1, "maximum": 40},
            "max_links_per_page": {"type": "integer", "minimum": 1, "maximum": 1000},
            "max_files_per_dir": {"type": "integer", "minimum": 1, "maximum": 10000},
            "level": {"type": "integer", "enum": [1, 2]},
            "scan_force": {
                "type": "string",
                "enum": ["paranoid", "sneaky", "polite", "normal", "aggressive"],
            },
            "tasks": {"type": "integer", "minimum": 1, "maximum": 32},
            "verify_ssl": {"type": "boolean"},
            "detailed_report": {
                "type": "boolean",
                "description": "Keep HTTP responses in the report (evidence).",
            },
            "exclude_urls": {
                "type": "array",
                "maxItems": 50,
                "items": {"type": "string", "pattern": "^https?://[^\\s]+$", "maxLength": 2048},
            },
        },
    }

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        cfg = validated_config(self, config)
        url = require_url(target)
        work = output_path.parent / f"{output_path.stem}-wapiti"
        argv = [
            self.require_executable(),
            "--url",
            url,
            "--format",
            "json",
            "--output",
            str(output_path),
            "--flush-session",
            "--store-session",
            str(work / "session"),
            "--store-config",
            str(work / "config"),
            "--no-bugreport",
            "--verbose",
            "0",
            "--scope",
            cfg["scope"],
            "--module",
            ",".join(cfg["modules"]),
            "--max-scan-time",
            str(cfg["max_scan_time_seconds"]),
            "--max-attack-time",
            str(cfg["max_attack_time_seconds"]),
            "--timeout",
            str(cfg["request_timeout_seconds"]),
            "--depth",
            str(cfg["depth"]),
            "--max-links-per-page",
            str(cfg["max_links_per_page"]),
            "--max-files-per-dir",
            str(cfg["max_files_per_dir"]),
            "--level",
            str(cfg["level"]),
            "--scan-force",
            cfg["scan_force"],
            "--tasks",
            str(cfg["tasks"]),
            "--verify-ssl",
            "1" if cfg["verify_ssl"] else "0",
        ]
        if cfg["detailed_report"]:
            argv += ["--detailed-report", "2"]
        for excluded in cfg["exclude_urls"]:
            argv.append(f"--exclude={excluded}")
        return ToolCommand(argv=tuple(argv), output_path=output_path, output_written_by_tool=True)

    def coverage(self, *, output_path: Path, target: PreparedTarget, stderr: str) -> Coverage:
        """URLs crawled: `infos.crawled_pages_nbr` (0 means Wapiti reached no page)."""
        crawled = json_value(output_path, "wapiti", "infos.crawled_pages_nbr")
        count = crawled if isinstance(crawled, int) and not isinstance(crawled, bool) else None
        summary = ""
        if count == 0:
            summary = (
                "Wapiti crawled no page: the site did not answer or every page was out of scope."
            )
        return coverage_of("urls", count, summary=summary, tool="Wapiti")

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        not_wapiti = "wapiti report does not look like Wapiti JSON (no vulnerabilities/anomalies)"
        if json_kind(output_path, "wapiti") != "dict":
            raise ToolOutputError(not_wapiti)
        origin = _origin(str(json_value(output_path, "wapiti", "infos.target") or target.url or ""))
        classifications = json_value(output_path, "wapiti", "classifications")
        if not isinstance(classifications, dict):
            classifications = {}
        seen: set[str] = set()
        present = 0
        for section in SECTIONS:
            kind = None
            for category, entries in stream_json_kvitems(
                output_path, "wapiti", section, expect_keys=None
            ):
                kind = "dict"
                info = classifications.get(category) or {}
                for entry in entries or []:
                    if not isinstance(entry, dict):
                        continue
                    finding = self._finding(section, str(category), entry, info, origin)
                    # Several modules can report the same anomaly (e.g. a 500 on one
                    # parameter); one finding per fingerprint.
                    if finding.fingerprint_hint not in seen:
                        seen.add(finding.fingerprint_hint)
                        yield finding
            # A section's type is only looked up when it yielded nothing.
            kind = kind or json_kind(output_path, "wapiti", section)
            if kind is not None:
                present += 1
                if kind not in ("dict", "NoneType"):
                    raise ToolOutputError(f"wapiti report: '{section}' is not an object")
        if not present:
            raise ToolOutputError(not_wapiti)

    def _finding(
        self,
        section: str,
        category: str,
        entry: dict[str, Any],
        info: Mapping[str, Any],
        origin: str,
    ) -> NormalizedFinding:
        path = str(entry.get("path") or "/")
        url = path if "://" in path else origin + (path if path.startswith("/") else "/" + path)
        parameter = str(entry.get("parameter") or "")
        refs = info.get("ref") or {}
        ref_names = list(refs) if isinstance(refs, dict) else []
        ref_urls = list(refs.values()) if isinstance(refs, dict) else []
        level = entry.get("level")
        evidence: dict[str, Any] = {
            "section": section,
            "module": entry.get("module", ""),
            "request": clip(entry.get("http_request"), EVIDENCE_CHARS),
            "curl_command": clip(entry.get("curl_command"), EVIDENCE_CHARS),
            "wstg": list(entry.get("wstg") or info.get("wstg") or []),
        }
        response = (entry.get("detail") or {}).get("response") or {}
        if response:
            evidence["response_status"] = response.get("status_code")
            evidence["response_body"] = clip(response.get("body"), EVIDENCE_CHARS)
        description = "\n\n".join(
            part for part in (str(entry.get("info") or ""), str(info.get("desc") or "")) if part
        )
        return NormalizedFinding(
            title=category,
            severity=LEVELS.get(level if isinstance(level, int) else -1, "unknown"),
            rule_id=category,
            description=description,
            confidence="medium",
            cwe=cwe_from(ref_names),
            url=url,
            http_method=str(entry.get("method") or "").upper(),
            parameter=parameter,
            host=urlsplit(url).hostname or "",
            port=_port(url),
            snippet=clip(entry.get("info"), 500),
            remediation=str(info.get("sol") or ""),
            references=references(ref_urls),
            evidence=evidence,
            fingerprint_hint=f"wapiti:{category}:{url_path_key(url)}:{parameter}",
        )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _port(url: str) -> int | None:
    try:
        parts = urlsplit(url)
        return parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None


wapiti = WapitiAdapter()
