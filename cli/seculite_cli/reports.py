"""The gate's report files: SARIF 2.1.0 (code-scanning upload), Markdown (a pull-request
comment) and JUnit XML (CI test reports), all made from the comparison's new findings.

SARIF: one run per tool; each rule carries `security-severity` (what GitHub code scanning reads
to rank alerts) and the result its level; `partialFingerprints` holds the SecuLite finding id,
so the same finding keeps one alert across uploads.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # builds XML, never parses any
from typing import Any
from urllib.parse import quote

from seculite_cli import __version__
from seculite_cli.gate import SEVERITY_RANK, Verdict, severity_rank

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "note",
    "informational": "note",
    "unknown": "warning",
}
# Mid-band scores of GitHub's bands (≥9 critical, ≥7 high, ≥4 medium, >0 low), as the server's
# own SARIF export writes them.
SARIF_SECURITY_SEVERITY = {
    "critical": "9.5",
    "high": "8.0",
    "medium": "5.5",
    "low": "2.0",
    "informational": "0.0",
}
FINGERPRINT_KEY = "seculiteFindingId/v1"
MARKDOWN_MAX_ROWS = 100
SEVERITY_ICON = {
    "critical": "🔴",
    "high": "🟠",
    "medium": "🟡",
    "low": "🔵",
    "informational": "⚪",
    "unknown": "⚪",
}


def finding_location(finding: dict[str, Any]) -> str:
    """Where a finding is, in one short string: `path:12-14`, a URL and parameter, a package
    and version, or an image."""
    if finding.get("file_path"):
        text = str(finding["file_path"])
        start, end = finding.get("line_start"), finding.get("line_end")
        if start:
            text += f":{start}" + (f"-{end}" if end and end != start else "")
        return text
    if finding.get("url"):
        param = f" ({finding['parameter']})" if finding.get("parameter") else ""
        return f"{finding['url']}{param}"
    if finding.get("package_name"):
        version = f"@{finding['package_version']}" if finding.get("package_version") else ""
        return f"{finding['package_name']}{version}"
    if finding.get("image"):
        return str(finding["image"])
    target = finding.get("target") or {}
    return str(target.get("name", "")) if isinstance(target, dict) else ""


def finding_url(web_url: str, finding: dict[str, Any]) -> str:
    return f"{web_url}/findings/{finding.get('id')}"


def _tool(finding: dict[str, Any]) -> dict[str, Any]:
    tool = finding.get("tool")
    return tool if isinstance(tool, dict) else {}


def _rule_id(finding: dict[str, Any]) -> str:
    return str(finding.get("rule_id") or _tool(finding).get("slug") or "seculite")


# --- SARIF ---------------------------------------------------------------------------------


def _sarif_location(finding: dict[str, Any]) -> dict[str, Any] | None:
    location: dict[str, Any] = {}
    if finding.get("file_path"):
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": quote(str(finding["file_path"]).lstrip("/"))}
        }
        start = finding.get("line_start")
        if isinstance(start, int) and start > 0:
            region: dict[str, Any] = {"startLine": start}
            end = finding.get("line_end")
            if isinstance(end, int) and end >= start:
                region["endLine"] = end
            physical["region"] = region
        location["physicalLocation"] = physical
    elif finding.get("url"):
        location["physicalLocation"] = {"artifactLocation": {"uri": str(finding["url"])}}
    logical = None
    if finding.get("package_name"):
        version = f"@{finding['package_version']}" if finding.get("package_version") else ""
        logical = {"fullyQualifiedName": f"{finding['package_name']}{version}", "kind": "module"}
    elif finding.get("image"):
        logical = {"fullyQualifiedName": str(finding["image"]), "kind": "module"}
    if logical:
        location["logicalLocations"] = [logical]
    return location or None


def _sarif_rule(rule_id: str, finding: dict[str, Any]) -> dict[str, Any]:
    tags = ["security"]
    if finding.get("cwe"):
        tags.append(f"external/cwe/cwe-{finding['cwe']}")
    rule: dict[str, Any] = {
        "id": rule_id,
        "name": rule_id,
        "shortDescription": {"text": str(finding.get("title") or rule_id)},
        "properties": {"tags": tags},
    }
    return rule


def _sarif_result(
    finding: dict[str, Any], rule_index: int, rule_id: str, web_url: str
) -> dict[str, Any]:
    severity = str(finding.get("severity", "unknown"))
    link = finding_url(web_url, finding)
    properties: dict[str, Any] = {
        "seculite_id": finding.get("id"),
        "seculite_url": link,
        "severity": severity,
    }
    if severity in SARIF_SECURITY_SEVERITY:
        properties["security-severity"] = SARIF_SECURITY_SEVERITY[severity]
    for name in ("cwe", "cve", "package_name", "package_version", "image", "parameter"):
        if finding.get(name):
            properties[name] = finding[name]
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": rule_index,
        "level": SARIF_LEVEL.get(severity, "warning"),
        "message": {"text": f"{finding.get('title') or rule_id} ({severity}). Details: {link}"},
        "partialFingerprints": {FINGERPRINT_KEY: str(finding.get("id"))},
        "properties": properties,
    }
    location = _sarif_location(finding)
    if location:
        result["locations"] = [location]
    return result


def sarif_log(verdict: Verdict, *, web_url: str) -> dict[str, Any]:
    """A SARIF 2.1.0 log of the new findings: one run per tool (one empty run when there are
    none, so an upload clears the previous alerts of this category)."""
    runs: dict[str, dict[str, Any]] = {}
    for finding in verdict.new:
        tool = _tool(finding)
        key = str(tool.get("slug") or "seculite")
        run = runs.setdefault(
            key,
            {
                "tool": {
                    "driver": {
                        "name": str(tool.get("name") or "SecuLite"),
                        "informationUri": web_url,
                        "rules": [],
                    }
                },
                "results": [],
                "_rules": {},
                "_worst": {},
            },
        )
        rule_id = _rule_id(finding)
        if rule_id not in run["_rules"]:
            run["_rules"][rule_id] = len(run["tool"]["driver"]["rules"])
            run["tool"]["driver"]["rules"].append(_sarif_rule(rule_id, finding))
        worst = run["_worst"].get(rule_id)
        if worst is None or severity_rank(finding) > SEVERITY_RANK.get(worst, 0):
            run["_worst"][rule_id] = str(finding.get("severity", "unknown"))
        run["results"].append(_sarif_result(finding, run["_rules"][rule_id], rule_id, web_url))
    out_runs = []
    for run in runs.values():
        # GitHub ranks an alert by its rule's security-severity: a rule takes its worst finding's.
        for rule in run["tool"]["driver"]["rules"]:
            worst = run["_worst"].get(rule["id"], "unknown")
            if worst in SARIF_SECURITY_SEVERITY:
                rule["properties"]["security-severity"] = SARIF_SECURITY_SEVERITY[worst]
            rule["defaultConfiguration"] = {"level": SARIF_LEVEL.get(worst, "warning")}
        out_runs.append({"tool": run["tool"], "results": run["results"]})
    if not out_runs:
        out_runs.append(
            {
                "tool": {"driver": {"name": "SecuLite", "informationUri": web_url, "rules": []}},
                "results": [],
            }
        )
    for run in out_runs:
        run["tool"]["driver"].setdefault("properties", {})["seculite_cli"] = __version__
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": out_runs}


def sarif_text(verdict: Verdict, *, web_url: str) -> str:
    return json.dumps(sarif_log(verdict, web_url=web_url), indent=2, ensure_ascii=False) + "\n"


# --- Markdown --------------------------------------------------------------------------------


def _md_cell(text: Any) -> str:
    """Table-cell text: one line, pipes and markup characters escaped."""
    value = " ".join(str(text).split())
    for char in ("\\", "|", "`", "*", "_", "[", "]", "<", ">"):
        value = value.replace(char, f"\\{char}")
    return value


def _md_code(text: str) -> str:
    value = " ".join(text.split()).replace("|", "\\|")
    fence = "``" if "`" in value else "`"
    return f"{fence}{value}{fence}" if value else ""


def _severity_counts(findings: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for finding in findings:
        severity = str(finding.get("severity", "unknown"))
        counts[severity] = counts.get(severity, 0) + 1
    ordered = sorted(counts.items(), key=lambda item: -SEVERITY_RANK.get(item[0], 0))
    return ", ".join(f"{count} {severity}" for severity, count in ordered)


def summary_text(verdict: Verdict) -> str:
    """`2 new findings (1 high, 1 low), 1 at or above high; 3 fixed; 40 unchanged`."""
    new = verdict.count("new")
    text = f"{new} new finding{'' if new == 1 else 's'}"
    if verdict.new:
        text += f" ({_severity_counts(verdict.new)})"
    if verdict.fail_on != "none":
        text += f", {len(verdict.failing)} at or above {verdict.fail_on}"
    text += f"; {verdict.count('fixed')} fixed; {verdict.count('unchanged')} unchanged"
    return text


def markdown_comment(verdict: Verdict, *, web_url: str) -> str:
    """A pull-request comment: the verdict and summary line, then the new findings' table."""
    compare = verdict.compare
    scan = compare.get("scan") or {}
    base_scan = compare.get("base_scan")
    base = str(compare.get("base") or "")
    outcome = "❌ failed" if verdict.failed else "✅ passed"
    lines = [
        "<!-- seculite-gate -->",
        f"### SecuLite gate {outcome}",
        "",
        f"**{summary_text(verdict)}.**",
        "",
    ]
    scan_link = f"[scan {scan.get('id')}]({web_url}/scans/{scan.get('id')})"
    ref = _md_code(str(scan.get("ref") or "")) or "the default branch"
    if isinstance(base_scan, dict):
        base_link = f"[scan {base_scan.get('id')}]({web_url}/scans/{base_scan.get('id')})"
        lines.append(f"Compared {scan_link} of {ref} with {base_link} of {_md_code(base)}.")
    else:
        lines.append(
            f"{scan_link} of {ref}: no finished scan of {_md_code(base)} to compare with, so "
            "every finding it saw counts as new."
        )
    if verdict.new:
        lines += ["", "| Severity | Title | Location | Tool | Finding |", "|---|---|---|---|---|"]
        for finding in verdict.new[:MARKDOWN_MAX_ROWS]:
            severity = str(finding.get("severity", "unknown"))
            lines.append(
                "| "
                + " | ".join(
                    [
                        f"{SEVERITY_ICON.get(severity, '')} {severity.capitalize()}".strip(),
                        _md_cell(finding.get("title", "")),
                        _md_code(finding_location(finding)),
                        _md_cell(_tool(finding).get("name") or ""),
                        f"[#{finding.get('id')}]({finding_url(web_url, finding)})",
                    ]
                )
                + " |"
            )
        hidden = verdict.count("new") - min(len(verdict.new), MARKDOWN_MAX_ROWS)
        if hidden > 0:
            lines += ["", f"…and {hidden} more new findings: see {scan_link}."]
    if compare.get("truncated"):
        lines += ["", "The comparison was truncated: the server listed only part of the list."]
    return "\n".join(lines) + "\n"


# --- JUnit XML -------------------------------------------------------------------------------


def junit_xml(verdict: Verdict, *, web_url: str) -> str:
    """One failing testcase per new finding at or above the threshold; one passing testcase
    when there is none, so the report always says what was checked."""
    suite = ET.Element(
        "testsuite",
        {
            "name": "seculite gate",
            "tests": str(max(1, len(verdict.failing))),
            "failures": str(len(verdict.failing)),
            "errors": "0",
            "skipped": "0",
        },
    )
    for finding in verdict.failing:
        severity = str(finding.get("severity", "unknown"))
        location = finding_location(finding)
        tool = _tool(finding)
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": f"seculite.{tool.get('slug') or 'finding'}",
                "name": f"[{severity}] {finding.get('title', '')}"
                + (f" at {location}" if location else ""),
                "file": str(finding.get("file_path") or ""),
            },
        )
        if not case.get("file"):
            del case.attrib["file"]
        failure = ET.SubElement(
            case,
            "failure",
            {"message": f"New {severity} finding: {finding.get('title', '')}", "type": severity},
        )
        failure.text = "\n".join(
            [
                f"Severity: {severity}",
                f"Rule: {_rule_id(finding)}",
                f"Location: {location}",
                f"Finding: {finding_url(web_url, finding)}",
            ]
        )
    if not verdict.failing:
        name = (
            "gate passes whatever the severity (--fail-on none)"
            if verdict.fail_on == "none"
            else f"no new findings at {verdict.fail_on} or above"
        )
        ET.SubElement(suite, "testcase", {"classname": "seculite.gate", "name": name})
    root = ET.Element(
        "testsuites",
        {
            "name": "seculite gate",
            "tests": suite.get("tests", "1"),
            "failures": suite.get("failures", "0"),
        },
    )
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
