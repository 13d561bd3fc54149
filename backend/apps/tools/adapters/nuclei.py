"""Nuclei: template-based scanner for known web vulnerabilities and misconfigurations."""

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
from apps.tools.adapters.toolkit import (
    UnavailableInThisWorkerMixin,
    clip,
    iter_jsonl,
    map_severity,
    references,
    require_url,
    text_list,
    url_path_key,
    validated_config,
)

SEVERITIES = {
    "critical": "critical",
    "high": "high",
    "medium": "medium",
    "low": "low",
    "info": "informational",
    "unknown": "unknown",
}
TAG_PATTERN = "^[a-z0-9][a-z0-9_.-]{0,63}$"


def _first(item: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if item.get(key) not in (None, ""):
            return item[key]
    return None


class NucleiAdapter(UnavailableInThisWorkerMixin, BaseAdapter):
    """Nuclei JSONL (`-jsonl` to stdout) → one finding per line, read line by line.

    Field mapping: `template-id` (v2: `templateID`) → `rule_id` (with `matcher-name` in
    evidence); `info.name` → `title`; `info.severity` info/low/medium/high/critical/unknown
    → informational/…; `info.description`, `info.remediation`, `info.reference`;
    `info.classification.cve-id[0]` → `cve`, `cwe-id` → `cwe`, CVSS → evidence;
    `matched-at` (v2: `matched`) → `url`; the request line of `request` → `http_method`;
    `fuzzing_parameter` → `parameter`; `extracted-results`, the request and the response (each
    cut to 2000 characters) and `curl-command` → evidence; `host`/`ip`/`port` → host/port.

    Fingerprint: "nuclei:<template-id>:<matcher-name>:<normalised URL path>:<parameter>".

    Exit code 0 is success. An empty output is a scan with no findings.
    """

    tool_id: ClassVar[str] = "nuclei"
    needs_network: ClassVar[bool] = True
    keeps_cache: ClassVar[bool] = True
    name: ClassVar[str] = "Nuclei"
    category: ClassVar[str] = "dast"
    description: ClassVar[str] = (
        "Runs community templates against a URL to detect known CVEs, exposures and "
        "misconfigurations."
    )
    homepage: ClassVar[str] = "https://docs.projectdiscovery.io/tools/nuclei"
    supported_asset_types: ClassVar[tuple[str, ...]] = ("url",)
    binary: ClassVar[str] = "nuclei"
    coverage_unit: ClassVar[str] = "urls"
    version_args: ClassVar[tuple[str, ...]] = ("-version",)
    default_config: ClassVar[Mapping[str, Any]] = {
        "severities": ["low", "medium", "high", "critical"],
        "tags": [],
        "exclude_tags": ["dos", "fuzz", "intrusive"],
        "rate_limit": 50,
        "request_timeout_seconds": 10,
        "retries": 1,
        "max_host_errors": 30,
    }
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "severities": {
                "type": "array",
                "items": {"type": "string", "enum": ["info", "low", "medium", "high", "critical"]},
                "minItems": 1,
                "uniqueItems": True,
            },
            "tags": {
                "type": "array",
                "items": {"type": "string", "pattern": TAG_PATTERN},
                "maxItems": 50,
                "uniqueItems": True,
                "description": "Only templates with these tags (empty = all).",
            },
            "exclude_tags": {
                "type": "array",
                "items": {"type": "string", "pattern": TAG_PATTERN},
                "maxItems": 50,
                "uniqueItems": True,
            },
            "rate_limit": {"type": "integer", "minimum": 1, "maximum": 500},
            "request_timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 60},
            "retries": {"type": "integer", "minimum": 0, "maximum": 5},
            "max_host_errors": {"type": "integer", "minimum": 1, "maximum": 1000},
        },
    }

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        cfg = validated_config(self, config)
        url = require_url(target)
        argv = [
            self.require_executable(),
            f"-u={url}",
            "-jsonl",
            "-silent",
            "-no-color",
            "-disable-update-check",
            f"-severity={','.join(cfg['severities'])}",
            f"-rate-limit={cfg['rate_limit']}",
            f"-timeout={cfg['request_timeout_seconds']}",
            f"-retries={cfg['retries']}",
            f"-max-host-error={cfg['max_host_errors']}",
        ]
        if cfg["tags"]:
            argv.append(f"-tags={','.join(cfg['tags'])}")
        if cfg["exclude_tags"]:
            argv.append(f"-exclude-tags={','.join(cfg['exclude_tags'])}")
        return ToolCommand(argv=tuple(argv), output_path=output_path, cwd=output_path.parent)

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        for item in iter_jsonl(output_path, "nuclei"):
            template = _first(item, "template-id", "templateID")
            if not template:
                raise ToolOutputError("nuclei output line has no template-id: not nuclei JSONL")
            yield self._finding(str(template), item)

    def _finding(self, template: str, item: Mapping[str, Any]) -> NormalizedFinding:
        info = item.get("info") or {}
        classification = info.get("classification") or {}
        url = str(_first(item, "matched-at", "matched", "url", "host") or "")
        matcher = str(item.get("matcher-name") or "")
        request = str(item.get("request") or "")
        method = request.split(" ", 1)[0].upper() if request and " " in request[:10] else ""
        parameter = str(item.get("fuzzing_parameter") or "")
        cves = [c.upper() for c in text_list(classification.get("cve-id"))]
        parts = urlsplit(url) if "://" in url else None
        try:
            port = (
                (parts.port or {"http": 80, "https": 443}.get(parts.scheme)) if parts else None
            ) or (int(item["port"]) if str(item.get("port") or "").isdigit() else None)
        except ValueError:
            port = None
        return NormalizedFinding(
            title=str(info.get("name") or template),
            severity=map_severity(info.get("severity"), SEVERITIES),
            rule_id=template,
            description=str(info.get("description") or info.get("name") or ""),
            confidence="medium",
            cwe=cwe_from(text_list(classification.get("cwe-id"))),
            cve=cves[0] if cves else "",
            url=url,
            http_method=method or str(item.get("fuzzing_method") or "").upper(),
            parameter=parameter,
            host=(parts.hostname if parts else "") or str(item.get("ip") or ""),
            port=port,
            snippet=clip(", ".join(text_list(item.get("extracted-results"))), 500),
            remediation=str(info.get("remediation") or ""),
            references=references(info.get("reference")),
            evidence={
                "matcher_name": matcher,
                "type": item.get("type") or "",
                "tags": text_list(info.get("tags")),
                "extracted_results": text_list(item.get("extracted-results"))[:20],
                "cvss_score": classification.get("cvss-score"),
                "cvss_metrics": classification.get("cvss-metrics") or "",
                "request": clip(request),
                "response": clip(item.get("response")),
                "curl_command": clip(item.get("curl-command")),
                "ip": item.get("ip") or "",
            },
            fingerprint_hint=f"nuclei:{template}:{matcher}:{url_path_key(url)}:{parameter}",
        )


nuclei = NucleiAdapter()
