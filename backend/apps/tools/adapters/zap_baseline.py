"""OWASP ZAP baseline scan: spider + passive scan of a web application."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from apps.tools.adapters.base import (
    BaseAdapter,
    ExitVerdict,
    NormalizedFinding,
    PreparedTarget,
    ToolCommand,
    ToolOutputError,
    cwe_from,
)
from apps.tools.adapters.toolkit import (
    UnavailableInThisWorkerMixin,
    clip,
    references,
    require_url,
    stream_json_items,
    url_path_key,
    validated_config,
)

RISK = {"3": "high", "2": "medium", "1": "low", "0": "informational"}
CONFIDENCE = {"4": "high", "3": "high", "2": "medium", "1": "low", "0": "low"}
MAX_INSTANCES_PER_ALERT = 200
_TAG = re.compile(r"<[^>]+>")
# zap-baseline.py: 0 = no issues, 1 = at least one FAIL, 2 = WARNs only, 3 = any other failure.
OK_EXIT_CODES = (0, 1, 2)


def _text(value: Any) -> str:
    """ZAP's HTML fragments (<p>…</p>) as plain text."""
    raw = "" if value is None else str(value)
    return html.unescape(_TAG.sub("\n", raw)).strip().replace("\n\n", "\n")


class ZapBaselineAdapter(UnavailableInThisWorkerMixin, BaseAdapter):
    """ZAP traditional JSON report (`zap-baseline.py -J`) → one finding per alert instance
    (an alert without instances gives one finding at the site URL). Streamed one `site[]`
    entry at a time with ijson; at most 200 instances per alert are kept.

    Field mapping: `pluginid` (+ `alertRef` in evidence) → `rule_id`; `alert`/`name` →
    `title`; `riskcode` 3/2/1/0 → high/medium/low/informational; `confidence` 4-3/2/1-0 →
    high/medium/low; `desc`, `solution`, `otherinfo` (HTML stripped) → description/
    remediation/evidence; `reference` URLs → `references`; `cweid` → `cwe`; instance `uri`
    → `url`, `method` → `http_method`, `param` → `parameter`, `attack` and `evidence` →
    evidence (cut to 2000 characters); `site[].@host`/`@port` → host/port.

    Fingerprint: "zap:<pluginid>:<normalised URL path>:<param>".

    Reports: zap-baseline.py writes `-J <name>` under /zap/wrk/ inside the ZAP container and
    under the working directory elsewhere; the command runs in the output file's directory
    with its name, so the Docker worker image mounts the scan's output directory at
    /zap/wrk. `-I` keeps warnings out of the exit code: 0, 1 (FAIL rules) and 2 (WARN) are
    success, 3 is a failed run.
    """

    tool_id: ClassVar[str] = "zap_baseline"
    needs_network: ClassVar[bool] = True
    name: ClassVar[str] = "ZAP baseline scan"
    category: ClassVar[str] = "dast"
    description: ClassVar[str] = (
        "OWASP ZAP spiders the URL for a limited time and reports passive-scan alerts "
        "(headers, cookies, information leaks); no attacks are sent."
    )
    homepage: ClassVar[str] = "https://www.zaproxy.org/docs/docker/baseline-scan/"
    supported_asset_types: ClassVar[tuple[str, ...]] = ("url",)
    binary: ClassVar[str] = "zap-baseline.py"
    coverage_unit: ClassVar[str] = "urls"
    success_exit_codes: ClassVar[tuple[int, ...]] = OK_EXIT_CODES
    default_config: ClassVar[Mapping[str, Any]] = {
        "spider_minutes": 2,
        "max_minutes": 15,
        "ajax_spider": False,
        "include_alpha_rules": False,
    }
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "spider_minutes": {"type": "integer", "minimum": 1, "maximum": 60},
            "max_minutes": {
                "type": "integer",
                "minimum": 1,
                "maximum": 240,
                "description": "Upper bound for the whole scan.",
            },
            "ajax_spider": {"type": "boolean"},
            "include_alpha_rules": {"type": "boolean"},
        },
    }

    def version_command(self) -> tuple[str, ...] | None:
        return None  # zap-baseline.py has no version flag; the ZAP image tag says it.

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        cfg = validated_config(self, config)
        url = require_url(target)
        argv = [
            self.require_executable(),
            "-t",
            url,
            "-J",
            output_path.name,
            "-I",
            "-m",
            str(cfg["spider_minutes"]),
            "-T",
            str(cfg["max_minutes"]),
        ]
        if cfg["ajax_spider"]:
            argv.append("-j")
        if cfg["include_alpha_rules"]:
            argv.append("-a")
        return ToolCommand(
            argv=tuple(argv),
            output_path=output_path,
            cwd=output_path.parent,
            output_written_by_tool=True,
        )

    def interpret_exit(self, *, exit_code: int, output_path: Path, stderr: str) -> ExitVerdict:
        verdict = super().interpret_exit(
            exit_code=exit_code, output_path=output_path, stderr=stderr
        )
        if verdict.ok and not output_path.exists():
            return ExitVerdict(ok=False, reason="zap-baseline.py wrote no JSON report")
        return verdict

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        for site in stream_json_items(
            output_path, "zap", "site.item", expect_keys=("site", "@version", "@programName")
        ):
            if not isinstance(site, dict):
                raise ToolOutputError("zap report: a site entry is not an object")
            site_url = str(site.get("@name") or target.url)
            host = str(site.get("@host") or urlsplit(site_url).hostname or "")
            try:
                port: int | None = int(site.get("@port") or 0) or None
            except ValueError:
                port = None
            for alert in site.get("alerts") or []:
                instances = list(alert.get("instances") or [])[:MAX_INSTANCES_PER_ALERT]
                for instance in instances or [{"uri": site_url}]:
                    yield self._finding(alert, instance, host, port)

    def _finding(
        self,
        alert: Mapping[str, Any],
        instance: Mapping[str, Any],
        host: str,
        port: int | None,
    ) -> NormalizedFinding:
        plugin = str(alert.get("pluginid") or "")
        if not plugin:
            raise ToolOutputError("zap report: an alert has no pluginid")
        url = str(instance.get("uri") or "")
        param = str(instance.get("param") or "")
        risk = str(alert.get("riskcode") or "")
        cwe = cwe_from(int(alert["cweid"]) if str(alert.get("cweid") or "").isdigit() else None)
        return NormalizedFinding(
            title=str(alert.get("alert") or alert.get("name") or plugin),
            severity=RISK.get(risk, "unknown"),
            rule_id=plugin,
            description=_text(alert.get("desc")),
            confidence=CONFIDENCE.get(str(alert.get("confidence") or ""), "unknown"),
            cwe=cwe,
            url=url,
            http_method=str(instance.get("method") or "").upper(),
            parameter=param,
            host=host,
            port=port,
            snippet=clip(instance.get("evidence"), 500),
            remediation=_text(alert.get("solution")),
            references=references(_text(alert.get("reference"))),
            evidence={
                "alert_ref": alert.get("alertRef") or plugin,
                "attack": clip(instance.get("attack")),
                "evidence": clip(instance.get("evidence")),
                "other_info": clip(_text(instance.get("otherinfo") or alert.get("otherinfo"))),
                "wasc_id": alert.get("wascid") or "",
                "instance_count": alert.get("count") or "",
            },
            fingerprint_hint=f"zap:{plugin}:{url_path_key(url)}:{param}",
        )


zap_baseline = ZapBaselineAdapter()
