"""Trivy's JSON report, shared by the `trivy_fs` and `trivy_image` adapters."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from apps.tools.adapters.base import (
    BaseAdapter,
    NormalizedFinding,
    PreparedTarget,
    ToolOutputError,
    cwe_from,
    relative_path,
)
from apps.tools.adapters.toolkit import (
    UnavailableInThisWorkerMixin,
    clip,
    dependency_hint,
    map_severity,
    references,
    stream_json_items,
    text_list,
)

SEVERITIES = {
    "critical": "critical",
    "high": "high",
    "medium": "medium",
    "low": "low",
    "unknown": "unknown",
}
SCANNERS = ("vuln", "misconfig", "secret")
COMMON_SCHEMA_PROPERTIES: dict[str, Any] = {
    "scanners": {
        "type": "array",
        "items": {"type": "string", "enum": list(SCANNERS)},
        "minItems": 1,
        "uniqueItems": True,
    },
    "ignore_unfixed": {"type": "boolean", "description": "Only vulnerabilities with a fix."},
    "skip_db_update": {
        "type": "boolean",
        "description": "Use the cached vulnerability database (offline workers).",
    },
    "timeout_minutes": {"type": "integer", "minimum": 1, "maximum": 120},
}


class TrivyReportParser(UnavailableInThisWorkerMixin, BaseAdapter):
    """Trivy JSON (`--format json`, SchemaVersion 2), streamed one `Results[]` entry at a time
    with ijson.

    Vulnerabilities (`Results[].Vulnerabilities[]`): `VulnerabilityID` → `rule_id` and `cve`;
    `Title` → `title`; `Severity` CRITICAL/HIGH/MEDIUM/LOW/UNKNOWN → ours; `CweIDs` → `cwe`;
    `PkgName`/`InstalledVersion`/`FixedVersion` → package fields; `Results[].Target` →
    `file_path` (filesystem scans: the lockfile, relative) and evidence; `Layer.DiffID` →
    `image_layer`; `PrimaryURL` + `References` → `references`; CVSS and status → evidence.
    Fingerprint: "<Results[].Type>:<package>:<version>:<vulnerability id>".

    Misconfigurations (`Misconfigurations[]`, only `Status` FAIL): `ID` → `rule_id`
    (`AVDID` in evidence); `Title`, `Description`, `Message`, `Resolution` → title/
    description/remediation; `CauseMetadata.StartLine/EndLine` → lines; `Target` →
    `file_path`. Fingerprint: "trivy:misconfig:<ID>:<file>:<Resource>", or file + flagged
    text when there is no resource (never the line, so a moved finding keeps its identity).

    Secrets (`Secrets[]`): `RuleID` → `rule_id`; `Title`; `Severity`; `Match` (Trivy masks
    the secret) → `snippet`; lines and `Target` → location. CWE-798. Fingerprint: rule +
    file + the flagged line's text, secret masked (not the line number).
    """

    binary: ClassVar[str] = "trivy"
    needs_network: ClassVar[bool] = True
    keeps_cache: ClassVar[bool] = True
    success_exit_codes: ClassVar[tuple[int, ...]] = (0,)

    def common_argv(self, cfg: Mapping[str, Any], output_path: Path) -> list[str]:
        argv = [
            "--format",
            "json",
            "--output",
            str(output_path),
            "--quiet",
            "--exit-code",
            "0",
            "--scanners",
            ",".join(cfg["scanners"]),
            "--timeout",
            f"{cfg['timeout_minutes']}m",
        ]
        if cfg["ignore_unfixed"]:
            argv.append("--ignore-unfixed")
        if cfg["skip_db_update"]:
            argv += ["--skip-db-update", "--skip-java-db-update"]
        return argv

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        image = target.image
        for result in stream_json_items(
            output_path,
            "trivy",
            "Results.item",
            expect_keys=("SchemaVersion", "Results", "ArtifactName"),
        ):
            if not isinstance(result, dict):
                raise ToolOutputError("trivy report: a Results entry is not an object")
            where = str(result.get("Target") or "")
            file_path = (
                "" if image and where.startswith(image) else relative_path(where, target.path)
            )
            kind = str(result.get("Type") or result.get("Class") or "")
            for vuln in result.get("Vulnerabilities") or []:
                yield self._vulnerability(vuln, kind, where, file_path, image)
            for misconfig in result.get("Misconfigurations") or []:
                if str(misconfig.get("Status") or "FAIL").upper() == "FAIL":
                    yield self._misconfiguration(misconfig, file_path or where, image)
            for secret in result.get("Secrets") or []:
                yield self._secret(secret, file_path or where, image)

    def _vulnerability(
        self, vuln: Mapping[str, Any], kind: str, where: str, file_path: str, image: str
    ) -> NormalizedFinding:
        vuln_id = str(vuln.get("VulnerabilityID") or "")
        if not vuln_id:
            raise ToolOutputError("trivy report: a vulnerability has no VulnerabilityID")
        name = str(vuln.get("PkgName") or "")
        version = str(vuln.get("InstalledVersion") or "")
        fixed = str(vuln.get("FixedVersion") or "")
        layer = vuln.get("Layer") or {}
        return NormalizedFinding(
            title=f"{vuln_id}: {vuln.get('Title') or name}",
            severity=map_severity(vuln.get("Severity"), SEVERITIES),
            rule_id=vuln_id,
            description=str(vuln.get("Description") or vuln.get("Title") or ""),
            confidence="high",
            cwe=cwe_from(text_list(vuln.get("CweIDs"))),
            cve=vuln_id,
            file_path=file_path,
            package_name=name,
            package_version=version,
            fixed_version=fixed,
            image=image,
            image_layer=str(layer.get("DiffID") or layer.get("Digest") or ""),
            remediation=f"Upgrade {name} to {fixed}." if fixed else "No fixed version yet.",
            references=references(vuln.get("PrimaryURL"), vuln.get("References")),
            evidence={
                "target": where,
                "package_id": vuln.get("PkgID") or "",
                "package_path": vuln.get("PkgPath") or "",
                "status": vuln.get("Status") or "",
                "severity_source": vuln.get("SeveritySource") or "",
                "cvss": vuln.get("CVSS") or {},
            },
            fingerprint_hint=dependency_hint(kind or "unknown", name, version, vuln_id),
        )

    def _misconfiguration(
        self, item: Mapping[str, Any], file_path: str, image: str
    ) -> NormalizedFinding:
        rule = str(item.get("ID") or item.get("AVDID") or "")
        cause = item.get("CauseMetadata") or {}
        start = cause.get("StartLine") if isinstance(cause.get("StartLine"), int) else None
        end = cause.get("EndLine") if isinstance(cause.get("EndLine"), int) else start
        lines = ((cause.get("Code") or {}).get("Lines")) or []
        snippet = "\n".join(
            str(line.get("Content", "")) for line in lines if isinstance(line, dict)
        )
        message = str(item.get("Message") or "")
        return NormalizedFinding(
            title=str(item.get("Title") or rule),
            severity=map_severity(item.get("Severity"), SEVERITIES),
            rule_id=rule,
            description="\n\n".join(p for p in (message, str(item.get("Description") or "")) if p),
            confidence="high",
            file_path=file_path,
            line_start=start,
            line_end=end,
            image=image,
            snippet=clip(snippet, 500),
            remediation=str(item.get("Resolution") or ""),
            references=references(item.get("PrimaryURL"), item.get("References")),
            evidence={
                "avd_id": item.get("AVDID") or "",
                "type": item.get("Type") or "",
                "provider": cause.get("Provider") or "",
                "service": cause.get("Service") or "",
                "resource": cause.get("Resource") or "",
            },
            # The resource, not the line: a misconfiguration that moves keeps its identity.
            # Without a resource the service fingerprints file + flagged text.
            fingerprint_hint=(
                f"trivy:misconfig:{rule}:{file_path}:{cause['Resource']}"
                if cause.get("Resource")
                else ""
            ),
        )

    def _secret(self, item: Mapping[str, Any], file_path: str, image: str) -> NormalizedFinding:
        rule = str(item.get("RuleID") or "")
        start = item.get("StartLine") if isinstance(item.get("StartLine"), int) else None
        end = item.get("EndLine") if isinstance(item.get("EndLine"), int) else start
        layer = item.get("Layer") or {}
        return NormalizedFinding(
            title=str(item.get("Title") or rule),
            severity=map_severity(item.get("Severity"), SEVERITIES),
            rule_id=rule,
            description=f"{item.get('Title') or rule} ({item.get('Category') or 'secret'}) "
            f"found in {file_path}.",
            confidence="medium",
            cwe=798,
            file_path=file_path,
            line_start=start,
            line_end=end,
            image=image,
            image_layer=str(layer.get("DiffID") or layer.get("Digest") or ""),
            snippet=clip(item.get("Match"), 500),
            remediation="Revoke and rotate the secret, then remove it.",
            evidence={"category": item.get("Category") or ""},
        )
