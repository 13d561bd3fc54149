"""Nmap: port scan with service/version detection and optional NSE scripts."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar
from xml.etree.ElementTree import Element

from apps.tools.adapters.base import (
    BaseAdapter,
    ExitVerdict,
    NormalizedFinding,
    PreparedTarget,
    ToolCommand,
    ToolOutputError,
)
from apps.tools.adapters.coverage import Coverage, coverage_of
from apps.tools.adapters.toolkit import (
    clip,
    map_severity,
    pinned_address,
    references,
    require_host_or_network,
    severity_from_score,
    validated_config,
)

SCRIPTS = (
    "default", "safe", "vuln", "banner", "http-headers", "http-title", "http-methods",
    "ssl-cert", "ssl-enum-ciphers", "ssl-heartbleed", "ssl-poodle", "ssl-dh-params",
    "ssh2-enum-algos", "smb-protocols", "vulners",
)  # fmt: skip
RISK = {"high": "high", "medium": "medium", "low": "low", "critical": "critical"}
_CVE = re.compile(r"CVE-\d{4}-\d{4,}", re.IGNORECASE)


def _iterparse(path: Path) -> Iterator[tuple[str, Element]]:
    try:
        from defusedxml.ElementTree import ParseError, iterparse
    except ImportError as exc:  # pragma: no cover - defusedxml is a declared dependency
        raise ToolOutputError("defusedxml is required to read nmap XML safely") from exc
    if not path.exists() or path.stat().st_size == 0:
        raise ToolOutputError("nmap wrote an empty report")
    try:
        first = True
        for event, element in iterparse(str(path), events=("start", "end")):
            if first:
                first = False
                if element.tag != "nmaprun":
                    raise ToolOutputError(
                        f"nmap report's root element is <{element.tag}>, not <nmaprun>"
                    )
            yield event, element
    except ParseError as exc:
        raise ToolOutputError(f"nmap report is not well-formed XML: {exc}") from exc
    except ToolOutputError:
        raise
    except Exception as exc:  # defusedxml's entity/DTD refusals
        raise ToolOutputError(f"nmap report refused by the safe XML parser: {exc}") from exc


def _summary(path: Path) -> tuple[list[str], int | None, str]:
    """(skipped target specs, hosts total, error message) from the report."""
    skipped: list[str] = []
    total: int | None = None
    error = ""
    for event, element in _iterparse(path):
        if event != "end":
            continue
        if element.tag == "target" and element.get("status") == "skipped":
            skipped.append(f"{element.get('specification')} ({element.get('reason')})")
        elif element.tag == "hosts":
            total = int(element.get("total") or 0)
        elif element.tag == "finished" and element.get("exit") == "error":
            error = element.get("errormsg") or "nmap reported an error"
        elif element.tag == "host":
            element.clear()
    return skipped, total, error


def _table(element: Element) -> dict[str, Any]:
    """An NSE <table>/<elem> tree as dicts/lists."""
    keyed: dict[str, Any] = {}
    unkeyed: list[Any] = []
    for child in element:
        value: Any = _table(child) if child.tag == "table" else (child.text or "")
        key = child.get("key")
        if key is None:
            unkeyed.append(value)
        else:
            keyed[key] = value
    if unkeyed and not keyed:
        return {"": unkeyed}
    if unkeyed:
        keyed[""] = unkeyed
    return keyed


def _items(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.get("", [])) + [v for k, v in value.items() if k != ""]
    return [value] if value else []


def _pinned_names(target: PreparedTarget) -> dict[str, str]:
    """Checked address → the target's name, so a scan pinned to an address still reports the
    name the user gave (and keeps the findings' identity)."""
    try:
        name = require_host_or_network(target)
    except ValueError:
        return {}
    address = pinned_address(target, name)
    return {address: name} if address else {}


class NmapAdapter(BaseAdapter):
    """Nmap XML (`-oX`) → one informational finding per open port, plus one finding per
    vulnerability an NSE script reports.

    Open port: `rule_id` "nmap.open_port"; `host` = the scanned name (`hostname type=user`) or
    the address; `port` = `portid`; title/description from `service` name, `product`,
    `version`, `extrainfo`, `tunnel`; evidence keeps protocol, state reason, CPEs and the
    output of non-vulnerability scripts (cut to 1000 characters each). Fingerprint:
    "nmap:open_port:<host>:<protocol>:<port>".

    NSE vulnerabilities: a `vulns` library table whose `state` is VULNERABLE / LIKELY
    VULNERABLE → `rule_id` "nmap.<script id>", `title`, `cve` (from `ids`), severity from
    `risk_factor`, else a CVSS score, else high (likely: medium); `vulners` results → one
    finding per advisory id with severity from its CVSS score. Fingerprint:
    "nmap:<script>:<host>:<port>:<id or title>".

    The XML is streamed with defusedxml's iterparse, one <host> at a time (elements cleared
    after use). Exit code 0 is success; a report whose targets were all skipped (invalid or
    unresolvable) or that records an error fails the run.

    Coverage (hosts) ← `runstats/hosts` up and down: a run in which no host was up analysed
    nothing and fails; down hosts of a range make the run partial (their findings were not
    looked at). With `skip_host_discovery` (-Pn, the default) nmap counts every host as up.
    """

    tool_id: ClassVar[str] = "nmap"
    needs_network: ClassVar[bool] = True
    name: ClassVar[str] = "Nmap"
    category: ClassVar[str] = "network"
    description: ClassVar[str] = (
        "Network scanner: open TCP ports, the services and versions behind them, and optional "
        "NSE vulnerability scripts."
    )
    homepage: ClassVar[str] = "https://nmap.org/"
    supported_asset_types: ClassVar[tuple[str, ...]] = ("domain", "ip_range", "url")
    binary: ClassVar[str] = "nmap"
    coverage_unit: ClassVar[str] = "hosts"
    default_config: ClassVar[Mapping[str, Any]] = {
        "ports": "",
        "top_ports": 1000,
        "scan_type": "connect",
        "service_detection": True,
        "version_intensity": 7,
        "scripts": [],
        "skip_host_discovery": True,
        "resolve_dns": False,
        "timing": 3,
        "host_timeout_seconds": 1800,
        "max_retries": 2,
    }
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "ports": {
                "type": "string",
                "pattern": "^$|^[0-9]{1,5}(-[0-9]{1,5})?(,[0-9]{1,5}(-[0-9]{1,5})?)*$",
                "portList": True,
                "maxLength": 500,
                "description": "Port list such as '22,80,443,8000-8100'; empty = top_ports.",
            },
            "top_ports": {"type": "integer", "minimum": 1, "maximum": 65535},
            "scan_type": {"type": "string", "enum": ["connect", "syn"]},
            "service_detection": {"type": "boolean"},
            "version_intensity": {"type": "integer", "minimum": 0, "maximum": 9},
            "scripts": {
                "type": "array",
                "items": {"type": "string", "enum": list(SCRIPTS)},
                "uniqueItems": True,
                "maxItems": len(SCRIPTS),
                "description": "NSE scripts or categories to run.",
            },
            "skip_host_discovery": {"type": "boolean", "description": "-Pn"},
            "resolve_dns": {"type": "boolean", "description": "Reverse-resolve addresses."},
            "timing": {"type": "integer", "minimum": 1, "maximum": 4},
            "host_timeout_seconds": {"type": "integer", "minimum": 30, "maximum": 86400},
            "max_retries": {"type": "integer", "minimum": 0, "maximum": 10},
        },
    }

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        cfg = validated_config(self, config)
        host = require_host_or_network(target)
        argv = [
            self.require_executable(),
            "-oX",
            str(output_path),
            "-sS" if cfg["scan_type"] == "syn" else "-sT",
            f"-T{cfg['timing']}",
            "--host-timeout",
            f"{cfg['host_timeout_seconds']}s",
            "--max-retries",
            str(cfg["max_retries"]),
        ]
        if cfg["service_detection"]:
            argv += ["-sV", "--version-intensity", str(cfg["version_intensity"])]
        if cfg["ports"]:
            argv += ["-p", cfg["ports"]]
        else:
            argv += ["--top-ports", str(cfg["top_ports"])]
        if cfg["scripts"]:
            argv.append("--script=" + ",".join(cfg["scripts"]))
        if cfg["skip_host_discovery"]:
            argv.append("-Pn")
        if not cfg["resolve_dns"]:
            argv.append("-n")
        # Scan the address the policy checked, not whatever the name resolves to now.
        host = pinned_address(target, host) or host
        if ":" in host:
            argv.append("-6")
        argv += ["--", host]
        return ToolCommand(argv=tuple(argv), output_path=output_path, output_written_by_tool=True)

    def interpret_exit(self, *, exit_code: int, output_path: Path, stderr: str) -> ExitVerdict:
        verdict = super().interpret_exit(
            exit_code=exit_code, output_path=output_path, stderr=stderr
        )
        if not verdict.ok:
            return verdict
        try:
            skipped, total, error = _summary(output_path)
        except ToolOutputError as exc:
            return ExitVerdict(ok=False, reason=str(exc))
        if error:
            return ExitVerdict(ok=False, reason=f"nmap: {error}")
        if not total:
            detail = "; ".join(skipped) or "no target"
            return ExitVerdict(ok=False, reason=f"nmap scanned no host: {detail}")
        return verdict

    def coverage(self, *, output_path: Path, target: PreparedTarget, stderr: str) -> Coverage:
        up = down = 0
        missed: list[tuple[str, str]] = []
        for event, element in _iterparse(output_path):
            if event != "end":
                continue
            if element.tag == "host":
                status = element.find("status")
                if status is not None and status.get("state") != "up":
                    address = element.find("address")
                    name = address.get("addr", "") if address is not None else ""
                    missed.append((name, f"host {status.get('state')} ({status.get('reason')})"))
                element.clear()
            elif element.tag == "hosts":
                up, down = int(element.get("up") or 0), int(element.get("down") or 0)
        if down and len(missed) < down:
            # Down hosts are not listed without -v; name the target they belong to.
            spec = target.host or target.identifier
            missed.append((spec, f"{down - len(missed)} host(s) did not answer host discovery"))
        if up == 0:
            summary = f"No host was up ({down} down): nmap reached nothing to scan."
        else:
            summary = f"{up} of {up + down} host{'s' if up + down != 1 else ''} up."
        cover = coverage_of("hosts", up, missed, summary=summary, tool=self.name)
        return Coverage(
            unit=cover.unit,
            analysed=up,
            unanalysed=cover.unanalysed,
            unanalysed_count=down,
            summary=summary,
        )

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        for event, element in _iterparse(output_path):
            if event == "end" and element.tag == "host":
                yield from self._host(element, pinned_names=_pinned_names(target))
                element.clear()

    def _host(
        self, host: Element, *, pinned_names: Mapping[str, str]
    ) -> Iterator[NormalizedFinding]:
        address = next(
            (a.get("addr", "") for a in host.findall("address") if a.get("addrtype") != "mac"),
            "",
        )
        names = host.findall("hostnames/hostname")
        user_name = next((n.get("name", "") for n in names if n.get("type") == "user"), "")
        name = user_name or pinned_names.get(address) or address
        evidence_host = {"address": address, "hostnames": [n.get("name") for n in names]}
        for port in host.findall("ports/port"):
            state = port.find("state")
            if state is None or state.get("state") != "open":
                continue
            yield from self._port(port, name, evidence_host)
        for script in host.findall("hostscript/script"):
            yield from self._script_vulns(script, name, None)

    def _port(
        self, port: Element, host: str, evidence_host: Mapping[str, Any]
    ) -> Iterator[NormalizedFinding]:
        number = int(port.get("portid") or 0)
        protocol = port.get("protocol", "tcp")
        service = port.find("service")
        svc = dict(service.attrib) if service is not None else {}
        cpes = [c.text or "" for c in service.findall("cpe")] if service is not None else []
        label = " ".join(
            part for part in (svc.get("product", ""), svc.get("version", "")) if part
        ).strip()
        service_name = svc.get("name", "unknown")
        if svc.get("tunnel"):
            service_name = f"{svc['tunnel']}/{service_name}"
        scripts: dict[str, str] = {}
        vulns: list[NormalizedFinding] = []
        for script in port.findall("script"):
            found = list(self._script_vulns(script, host, number))
            vulns += found
            if not found:
                scripts[script.get("id", "")] = clip(script.get("output"), 1000)
        state = port.find("state")
        description = f"{protocol.upper()} port {number} is open ({service_name}"
        description += f": {label}" if label else ""
        description += f", {svc['extrainfo']}" if svc.get("extrainfo") else ""
        description += ")."
        yield NormalizedFinding(
            title=f"Open port {number}/{protocol}: {service_name}"
            + (f" ({label})" if label else ""),
            severity="informational",
            rule_id="nmap.open_port",
            description=description,
            confidence="high" if svc.get("method") == "probed" else "medium",
            host=host,
            port=number,
            evidence={
                **evidence_host,
                "protocol": protocol,
                "reason": state.get("reason", "") if state is not None else "",
                "service": service_name,
                "product": svc.get("product", ""),
                "version": svc.get("version", ""),
                "extrainfo": clip(svc.get("extrainfo", ""), 300),
                "cpe": cpes,
                "scripts": scripts,
            },
            fingerprint_hint=f"nmap:open_port:{host}:{protocol}:{number}",
        )
        yield from vulns

    def _script_vulns(
        self, script: Element, host: str, port: int | None
    ) -> Iterator[NormalizedFinding]:
        script_id = script.get("id", "")
        data = _table(script)
        if script_id == "vulners":
            yield from self._vulners(script_id, data, host, port)
            return
        for key, table in data.items():
            if not isinstance(table, dict) or "state" not in table:
                continue
            state = str(table.get("state", "")).upper()
            if "VULNERABLE" not in state or "NOT VULNERABLE" in state:
                continue
            ids = [str(i) for i in _items(table.get("ids"))]
            cve = next((m.group(0).upper() for i in ids if (m := _CVE.search(i))), "")
            title = str(table.get("title") or script_id)
            severity = map_severity(table.get("risk_factor"), RISK, default="")
            if not severity:
                raw_scores = table.get("scores")
                scores: dict[str, Any] = raw_scores if isinstance(raw_scores, dict) else {}
                score = next((s for s in scores.values() if _as_float(s) is not None), None)
                severity = (
                    severity_from_score(_as_float(score))
                    if score is not None
                    else ("medium" if "LIKELY" in state else "high")
                )
            description = "\n".join(str(d) for d in _items(table.get("description")))
            yield NormalizedFinding(
                title=clip(title, 200),
                severity=severity,
                rule_id=f"nmap.{script_id}",
                description=description or title,
                confidence="medium" if "LIKELY" in state else "high",
                cve=cve,
                host=host,
                port=port,
                references=references(_items(table.get("refs"))),
                evidence={
                    "script": script_id,
                    "state": state,
                    "ids": ids,
                    "output": clip(script.get("output"), 2000),
                },
                fingerprint_hint=f"nmap:{script_id}:{host}:{port}:{cve or key}",
            )

    def _vulners(
        self, script_id: str, data: Mapping[str, Any], host: str, port: int | None
    ) -> Iterator[NormalizedFinding]:
        for cpe, entries in data.items():
            for entry in _items(entries):
                if not isinstance(entry, dict) or not entry.get("id"):
                    continue
                advisory = str(entry["id"])
                score = _as_float(entry.get("cvss"))
                yield NormalizedFinding(
                    title=f"{advisory} affects {cpe or 'the detected service'}",
                    severity=severity_from_score(score),
                    rule_id=f"nmap.{script_id}",
                    description=f"vulners lists {advisory} (CVSS {entry.get('cvss')}) for {cpe}.",
                    confidence="low",
                    cve=advisory if advisory.upper().startswith("CVE-") else "",
                    host=host,
                    port=port,
                    references=(f"https://vulners.com/{entry.get('type', 'cve')}/{advisory}",),
                    evidence={
                        "cpe": cpe,
                        "cvss": entry.get("cvss"),
                        "is_exploit": entry.get("is_exploit"),
                    },
                    fingerprint_hint=f"nmap:{script_id}:{host}:{port}:{advisory}",
                )


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


nmap = NmapAdapter()
