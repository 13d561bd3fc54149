"""What each tool's own report says, read straight from the raw file for the import tests.

These readers are deliberately independent of the adapters: they walk the report with the
standard library and map severities from each tool's documentation, so a test comparing the
stored findings with them checks the parser rather than repeating it.

A reader returns one `ToolRecord` per distinct finding the tool reports (`identity` says what
makes two of its entries the same finding: the same rule at the same place, the same
advisory for the same package, the same check on the same URL or port). `severity` is
SecuLite's severity for the tool's own rating, or None where the tool rates nothing (the
adapter then picks one; only the parser comparison covers it). `where` holds the location
fields a stored finding must carry: `file_path` (matched whatever root the import strips),
`line_start`, `url`, `host`, `port`, `package_name`, `package_version`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import defusedxml.ElementTree as DefusedET


@dataclass(frozen=True)
class ToolRecord:
    rule_id: str | None
    severity: str | None
    identity: tuple[Any, ...]
    where: Mapping[str, Any] = field(default_factory=dict)


def unique(records: Iterator[ToolRecord] | list[ToolRecord]) -> list[ToolRecord]:
    """One record per identity, in report order (a tool repeating an entry is one finding)."""
    seen: dict[tuple[Any, ...], ToolRecord] = {}
    for record in records:
        seen.setdefault(record.identity, record)
    return list(seen.values())


def same_path(stored: str, reported: str) -> bool:
    """A stored path matches the tool's path when it is that path, or that path with a
    leading root (a checkout directory, "./", a placeholder) removed."""
    reported = reported.removeprefix("file://")
    if not stored:
        return not reported
    return (
        reported == stored
        or reported.removeprefix("./") == stored
        or (reported.endswith("/" + stored.lstrip("/")) and not stored.startswith("/"))
    )


def _load(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def _code(
    rule: str, severity: str | None, path: str, start: int | None, end: int | None = None
) -> ToolRecord:
    return ToolRecord(
        rule_id=rule,
        severity=severity,
        identity=(rule, path, start, end or start),
        where={"file_path": path, "line_start": start},
    )


# --- code, secrets and IaC tools -----------------------------------------------------------

SEMGREP_SEVERITY = {
    "ERROR": "high",
    "HIGH": "high",
    "WARNING": "medium",
    "MEDIUM": "medium",
    "INFO": "low",
    "LOW": "low",
    "CRITICAL": "critical",
    "INVENTORY": "informational",
    "EXPERIMENT": "informational",
}


def semgrep(path: Path) -> list[ToolRecord]:
    return [
        _code(
            r["check_id"],
            SEMGREP_SEVERITY[r["extra"]["severity"]],
            r["path"],
            r["start"]["line"],
            r["end"]["line"],
        )
        for r in _load(path)["results"]
    ]


# Bandit's documentation rates an issue by severity and confidence; SecuLite folds the two.
BANDIT_SEVERITY = {
    ("HIGH", "HIGH"): "high",
    ("HIGH", "MEDIUM"): "high",
    ("HIGH", "LOW"): "medium",
    ("MEDIUM", "HIGH"): "medium",
    ("MEDIUM", "MEDIUM"): "medium",
    ("MEDIUM", "LOW"): "low",
    ("LOW", "HIGH"): "low",
    ("LOW", "MEDIUM"): "low",
    ("LOW", "LOW"): "informational",
}


def bandit(path: Path) -> list[ToolRecord]:
    return [
        _code(
            r["test_id"],
            BANDIT_SEVERITY[(r["issue_severity"], r["issue_confidence"])],
            r["filename"],
            r["line_number"],
        )
        for r in _load(path)["results"]
    ]


def detect_secrets(path: Path) -> list[ToolRecord]:
    return [
        ToolRecord(
            rule_id=None,  # the adapter slugs the type ("AWS Access Key" → aws-access-key)
            severity="high",  # a committed secret; detect-secrets rates nothing
            identity=(entry["type"], name, entry["hashed_secret"], entry["line_number"]),
            where={"file_path": name, "line_start": entry["line_number"]},
        )
        for name, entries in _load(path)["results"].items()
        for entry in entries
    ]


def checkov(path: Path) -> list[ToolRecord]:
    data = _load(path)
    reports = data if isinstance(data, list) else [data]
    records = []
    for report in reports:
        for check in (report.get("results") or {}).get("failed_checks", []):
            rated = check.get("severity")
            records.append(
                ToolRecord(
                    rule_id=check["check_id"],
                    severity=rated.lower() if isinstance(rated, str) else None,
                    identity=(
                        report["check_type"],
                        check["check_id"],
                        check["file_path"],
                        check["resource"],
                    ),
                    where={
                        "file_path": check.get("file_abs_path") or check["file_path"],
                        "line_start": check["file_line_range"][0],
                    },
                )
            )
    return records


LINTER_SEVERITY = {
    "error": "medium",
    "warning": "low",
    "info": "informational",
    "style": "informational",
}


def shellcheck(path: Path) -> list[ToolRecord]:
    return [
        _code(f"SC{c['code']}", LINTER_SEVERITY[c["level"]], c["file"], c["line"], c["endLine"])
        for c in _load(path)["comments"]
    ]


def hadolint(path: Path) -> list[ToolRecord]:
    return [
        _code(e["code"], LINTER_SEVERITY[e["level"]], e["file"], e["line"]) for e in _load(path)
    ]


NJSSCAN_SEVERITY = {"ERROR": "high", "WARNING": "medium", "INFO": "low"}


def njsscan(path: Path) -> list[ToolRecord]:
    data = _load(path)
    return [
        _code(
            rule,
            NJSSCAN_SEVERITY[body["metadata"]["severity"]],
            hit["file_path"],
            hit["match_lines"][0],
            hit["match_lines"][1],
        )
        for section in ("nodejs", "templates")
        for rule, body in (data.get(section) or {}).items()
        for hit in body["files"]
    ]


def gitleaks(path: Path) -> list[ToolRecord]:
    return [
        # Gitleaks rates nothing; a leaked secret is high for SecuLite.
        _code(leak["RuleID"], "high", leak["File"], leak["StartLine"], leak["EndLine"])
        for leak in _load(path)
    ]


SARIF_LEVEL = {"error": "high", "warning": "medium", "note": "low", "none": "informational"}


def sarif(path: Path) -> list[ToolRecord]:
    """SARIF 2.1.0: every result that is a finding (not `pass`/`notApplicable`, not
    suppressed); severity from the result's level, else its rule's default level, else
    SARIF's default "warning" (None when a `security-severity` score overrides levels)."""
    records = []
    for run in _load(path)["runs"]:
        driver = run["tool"]["driver"]
        rules = {rule["id"]: rule for rule in driver.get("rules") or []}
        indexed = driver.get("rules") or []
        for result in run.get("results") or []:
            if result.get("kind") in ("pass", "notApplicable"):
                continue
            if any(
                s.get("status", "accepted") == "accepted" for s in result.get("suppressions") or []
            ):
                continue
            rule = rules.get(result.get("ruleId", "")) or (
                indexed[result["ruleIndex"]] if "ruleIndex" in result else {}
            )
            scored = "security-severity" in (result.get("properties") or {}) or (
                "security-severity" in (rule.get("properties") or {})
            )
            level = result.get("level") or (rule.get("defaultConfiguration") or {}).get(
                "level", "warning"
            )
            location = (result.get("locations") or [{}])[0].get("physicalLocation", {})
            uri = location.get("artifactLocation", {}).get("uri", "")
            region = location.get("region", {})
            records.append(
                _code(
                    str(result.get("ruleId") or rule.get("id") or ""),
                    None if scored else SARIF_LEVEL[level],
                    uri,
                    region.get("startLine"),
                    region.get("endLine"),
                )
            )
    return records


def generic(path: Path) -> list[ToolRecord]:
    """SecuLite's generic JSON: each finding as written (rule_id defaults to the title)."""
    records = []
    for entry in _load(path)["findings"]:
        where = {
            name: entry[name]
            for name in ("file_path", "line_start", "url", "package_name", "package_version")
            if name in entry
        }
        records.append(
            ToolRecord(
                rule_id=entry.get("rule_id") or entry["title"],
                severity=entry["severity"],
                identity=(
                    entry.get("rule_id") or entry["title"],
                    entry.get("fingerprint"),
                    *sorted(where.items()),
                    entry.get("line_end"),
                ),
                where=where,
            )
        )
    return records


def ruff(path: Path) -> list[ToolRecord]:
    """Ruff's own JSON output (the source of the generic sample); Ruff rates nothing."""
    return [
        _code(d["code"], None, d["filename"], d["location"]["row"], d["end_location"]["row"])
        for d in _load(path)
    ]


# --- dependency and image scanners ---------------------------------------------------------


def _dependency(
    rule: str | None, severity: str | None, package: str, version: str, advisory: str, **where: Any
) -> ToolRecord:
    return ToolRecord(
        rule_id=rule,
        severity=severity,
        identity=(package, version, advisory, *sorted(where.items())),
        # npm audit names no installed version (the adapter reads it from the lockfile).
        where={
            "package_name": package,
            **({"package_version": version} if version else {}),
            **where,
        },
    )


def pip_audit(path: Path) -> list[ToolRecord]:
    return [
        # pip-audit rates nothing.
        _dependency(vuln["id"], "unknown", dep["name"], dep["version"], vuln["id"])
        for dep in _load(path)["dependencies"]
        for vuln in dep.get("vulns") or []
    ]


NPM_SEVERITY = {
    "critical": "critical",
    "high": "high",
    "moderate": "medium",
    "low": "low",
    "info": "informational",
}


def npm_audit(path: Path) -> list[ToolRecord]:
    return [
        _dependency(
            None,  # the GHSA id from the URL; the version comes from the lockfile
            NPM_SEVERITY[via["severity"]],
            name,
            "",
            via["url"].rsplit("/", 1)[-1],
        )
        for name, body in _load(path)["vulnerabilities"].items()
        for via in body["via"]
        if isinstance(via, dict)
    ]


GHSA_SEVERITY = {"CRITICAL": "critical", "HIGH": "high", "MODERATE": "medium", "LOW": "low"}


def osv_scanner(path: Path) -> list[ToolRecord]:
    """One finding per group of aliased advisories for a package."""
    records = []
    for result in _load(path)["results"]:
        for entry in result["packages"]:
            package = entry["package"]
            by_id = {vuln["id"]: vuln for vuln in entry.get("vulnerabilities") or []}
            for group in entry.get("groups") or [{"ids": [i]} for i in by_id]:
                rated = [
                    (by_id[i].get("database_specific") or {}).get("severity")
                    for i in group["ids"]
                    if i in by_id
                ]
                ghsa = next((GHSA_SEVERITY[r] for r in rated if r in GHSA_SEVERITY), None)
                records.append(
                    _dependency(
                        min(group["ids"]),
                        ghsa,
                        package["name"],
                        package["version"],
                        min(group["ids"]),
                        file_path=result["source"]["path"],
                    )
                )
    return records


TRIVY_SEVERITY = {
    "CRITICAL": "critical",
    "HIGH": "high",
    "MEDIUM": "medium",
    "LOW": "low",
    "UNKNOWN": "unknown",
}


def trivy(path: Path) -> list[ToolRecord]:
    records = []
    for result in _load(path).get("Results") or []:
        for vuln in result.get("Vulnerabilities") or []:
            records.append(
                _dependency(
                    vuln["VulnerabilityID"],
                    TRIVY_SEVERITY[vuln["Severity"]],
                    vuln["PkgName"],
                    vuln["InstalledVersion"],
                    vuln["VulnerabilityID"],
                )
            )
        for check in result.get("Misconfigurations") or []:
            if check.get("Status") != "FAIL":
                continue
            start = (check.get("CauseMetadata") or {}).get("StartLine")
            records.append(
                ToolRecord(
                    rule_id=check["ID"],
                    severity=TRIVY_SEVERITY[check["Severity"]],
                    identity=(
                        "misconfig",
                        check["ID"],
                        result["Target"],
                        (check.get("CauseMetadata") or {}).get("Resource"),
                        start,
                    ),
                    where={"file_path": result["Target"], "line_start": start},
                )
            )
        for secret in result.get("Secrets") or []:
            records.append(
                _code(
                    secret["RuleID"],
                    TRIVY_SEVERITY[secret["Severity"]],
                    result["Target"],
                    secret["StartLine"],
                    secret.get("EndLine"),
                )
            )
    return records


GRYPE_SEVERITY = {
    "Critical": "critical",
    "High": "high",
    "Medium": "medium",
    "Low": "low",
    "Negligible": "informational",
    "Unknown": "unknown",
}


def grype(path: Path) -> list[ToolRecord]:
    return [
        _dependency(
            m["vulnerability"]["id"],
            GRYPE_SEVERITY[m["vulnerability"]["severity"]],
            m["artifact"]["name"],
            m["artifact"]["version"],
            m["vulnerability"]["id"],
        )
        for m in _load(path)["matches"]
    ]


# --- web, TLS and network scanners ---------------------------------------------------------


def _url_key(url: str) -> str:
    parts = urlsplit(url)
    return parts.path or "/"


WAPITI_LEVEL = {4: "critical", 3: "high", 2: "medium", 1: "low", 0: "informational"}


def wapiti(path: Path) -> list[ToolRecord]:
    data = _load(path)
    origin = data["infos"]["target"]
    records = []
    for section in ("vulnerabilities", "anomalies", "additionals"):
        for category, entries in (data.get(section) or {}).items():
            for entry in entries:
                records.append(
                    ToolRecord(
                        rule_id=category,
                        severity=WAPITI_LEVEL[entry["level"]],
                        identity=(category, _url_key(entry["path"]), entry["parameter"]),
                        where={
                            "url_path": _url_key(entry["path"]),
                            "url_origin": origin.rstrip("/"),
                        },
                    )
                )
    return records


ZAP_RISK = {"3": "high", "2": "medium", "1": "low", "0": "informational"}


def zap_baseline(path: Path) -> list[ToolRecord]:
    """One finding per alert instance; an alert raised with no instance is about the site."""
    return [
        ToolRecord(
            rule_id=alert["pluginid"],
            severity=ZAP_RISK[alert["riskcode"]],
            identity=(alert["pluginid"], _url_key(instance["uri"]), instance["param"]),
            where={"url": instance["uri"]},
        )
        for site in _load(path)["site"]
        for alert in site["alerts"]
        for instance in alert["instances"] or [{"uri": site["@name"], "param": ""}]
    ]


NUCLEI_SEVERITY = {
    "info": "informational",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "critical": "critical",
    "unknown": "unknown",
}


def nuclei(path: Path) -> list[ToolRecord]:
    records = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        hit = json.loads(line)
        matched = hit.get("matched-at") or hit.get("matched", "")
        template = hit.get("template-id") or hit["templateID"]
        records.append(
            ToolRecord(
                rule_id=template,
                severity=NUCLEI_SEVERITY[hit["info"]["severity"]],
                identity=(
                    template,
                    hit.get("matcher-name"),
                    _url_key(matched),
                    hit.get("fuzzing_parameter"),
                ),
                where={"url": matched},
            )
        )
    return records


TESTSSL_SEVERITY = {
    "CRITICAL": "critical",
    "HIGH": "high",
    "MEDIUM": "medium",
    "LOW": "low",
    "INFO": "informational",
    "WARN": "unknown",
}
# Notes about the scanning machine's own OpenSSL, not about the server.
TESTSSL_LOCAL_NOTES = frozenset({"engine_problem", "old_fart", "too_old_openssl"})


def testssl(path: Path) -> list[ToolRecord]:
    records = []
    for entry in _load(path):
        if entry["id"] in TESTSSL_LOCAL_NOTES or entry["severity"] == "OK":
            continue
        host = entry["ip"].split("/", 1)[0]
        records.append(
            ToolRecord(
                rule_id=entry["id"],
                severity=TESTSSL_SEVERITY[entry["severity"]],
                identity=(entry["id"], host, int(entry["port"])),
                where={"host": host, "port": int(entry["port"])},
            )
        )
    return records


SSLYZE_DEPRECATED = {
    "ssl_2_0_cipher_suites": ("sslyze.protocol.sslv2", "critical"),
    "ssl_3_0_cipher_suites": ("sslyze.protocol.sslv3", "high"),
    "tls_1_0_cipher_suites": ("sslyze.protocol.tlsv1_0", "medium"),
    "tls_1_1_cipher_suites": ("sslyze.protocol.tlsv1_1", "medium"),
}


def sslyze(path: Path) -> list[ToolRecord]:
    """SSLyze reports scan results, not findings: only its plain facts are read here (which
    deprecated protocol versions the server accepts); the rest is the adapter's judgement."""
    records = []
    for server in _load(path)["server_scan_results"]:
        location = server["server_location"]
        host, port = location["hostname"], int(location["port"])
        for command, (rule, severity) in SSLYZE_DEPRECATED.items():
            result = ((server.get("scan_result") or {}).get(command) or {}).get("result") or {}
            if result.get("accepted_cipher_suites"):
                records.append(
                    ToolRecord(rule, severity, (rule, host, port), {"host": host, "port": port})
                )
    return records


def nmap(path: Path) -> list[ToolRecord]:
    """Open ports (informational findings); NSE vulnerability tables are not read here."""
    records = []
    for host in DefusedET.parse(path).getroot().iter("host"):
        names = [n.get("name") for n in host.iter("hostname") if n.get("type") == "user"]
        address = next(iter(host.iter("address"))).get("addr")
        name = names[0] if names else address
        for port in host.iter("port"):
            state = port.find("state")
            if state is None or state.get("state") != "open":
                continue
            number = int(port.get("portid", "0"))
            records.append(
                ToolRecord(
                    "nmap.open_port",
                    "informational",
                    ("open", name, port.get("protocol"), number),
                    {"host": name, "port": number},
                )
            )
    return records


# tool id → (reader, whether it lists every finding the adapter makes of the report).
# Readers marked partial read only the tool's plain facts (SSLyze's judgements, Nmap's NSE
# vulnerability tables are the adapter's own); their records must all be stored, and the
# count is then checked against the parser alone.
READERS: dict[str, tuple[Callable[[Path], list[ToolRecord]], bool]] = {
    "semgrep": (semgrep, True),
    "bandit": (bandit, True),
    "detect-secrets": (detect_secrets, True),
    "checkov": (checkov, True),
    "shellcheck": (shellcheck, True),
    "hadolint": (hadolint, True),
    "eslint": (sarif, True),
    "njsscan": (njsscan, True),
    "pip_audit": (pip_audit, True),
    "npm_audit": (npm_audit, True),
    "osv_scanner": (osv_scanner, True),
    "trivy_fs": (trivy, True),
    "trivy_image": (trivy, True),
    "grype": (grype, True),
    "gitleaks": (gitleaks, True),
    "wapiti": (wapiti, True),
    "zap_baseline": (zap_baseline, True),
    "nuclei": (nuclei, True),
    "sslyze": (sslyze, False),
    "testssl": (testssl, True),
    "nmap": (nmap, False),
    "sarif": (sarif, True),
    "generic": (generic, True),
}
