"""OSV-Scanner: dependencies in lockfiles/SBOMs checked against the OSV database."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from apps.tools.adapters.base import (
    BaseAdapter,
    ExitVerdict,
    NormalizedFinding,
    PreparedTarget,
    ToolCommand,
    ToolOutputError,
    cwe_from,
    relative_path,
)
from apps.tools.adapters.toolkit import (
    UnavailableInThisWorkerMixin,
    cvss3_base_score,
    dependency_hint,
    map_severity,
    references,
    require_tree,
    severity_from_score,
    stream_json_items,
    text_list,
    validated_config,
)

SEVERITIES = {
    "critical": "critical",
    "high": "high",
    "moderate": "medium",
    "medium": "medium",
    "low": "low",
}
EXIT_MEANINGS = {
    127: "general error",
    128: "no package sources (lockfiles, SBOMs) found: nothing was scanned",
}


def _severity(vuln: Mapping[str, Any], group_score: float | None) -> str:
    """database_specific.severity, else the highest CVSS v3 vector in `severity[]`, else the
    score osv-scanner computed for the alias group."""
    text = (vuln.get("database_specific") or {}).get("severity")
    if text:
        return map_severity(text, SEVERITIES)
    scores = [
        score
        for entry in vuln.get("severity") or []
        if isinstance(entry, dict)
        and (score := cvss3_base_score(str(entry.get("score") or ""))) is not None
    ]
    if scores:
        return severity_from_score(max(scores))
    return severity_from_score(group_score)


def _fixed_version(vuln: Mapping[str, Any], package: str, ecosystem: str) -> str:
    for affected in vuln.get("affected") or []:
        pkg = affected.get("package") or {}
        if pkg.get("name") != package or (pkg.get("ecosystem") or ecosystem) != ecosystem:
            continue
        for rng in affected.get("ranges") or []:
            for event in rng.get("events") or []:
                if event.get("fixed"):
                    return str(event["fixed"])
    return ""


class OsvScannerAdapter(UnavailableInThisWorkerMixin, BaseAdapter):
    """OSV-Scanner JSON (`--format json`, to stdout) → one finding per (package, alias group)
    — osv-scanner lists e.g. a GHSA and a PYSEC entry for the same flaw and groups them in
    `groups[].ids`; ungrouped vulnerabilities are their own group. Streamed one `results[]`
    source at a time with ijson.

    Field mapping: `package.name`/`version`/`ecosystem` → package fields; the group's
    smallest id (stable across runs) → `rule_id`; the first `CVE-` id among the group's ids
    and aliases → `cve` (else that id); `summary`/`details` → `title`/`description`;
    severity from `database_specific.severity` (GHSA: CRITICAL/HIGH/MODERATE/LOW), else the
    highest CVSS v3 base score computed from `severity[].score` vectors, else the group's
    `max_severity` score, else unknown; `database_specific.cwe_ids` → `cwe`; the first
    `affected[].ranges[].events[].fixed` for this package → `fixed_version`; `references`;
    `source.path` (or `packageSource.path`) made relative to the tree → `file_path`.

    Fingerprint: "<ecosystem>:<package>:<version>:<rule_id>".

    Exit codes: 0 (none found) and 1 (vulnerabilities found) are success; 128 (no lockfile or
    SBOM found) and everything else fail the run — nothing scanned is never "no findings".
    """

    tool_id: ClassVar[str] = "osv_scanner"
    needs_network: ClassVar[bool] = True
    name: ClassVar[str] = "OSV-Scanner"
    category: ClassVar[str] = "sca"
    description: ClassVar[str] = (
        "Finds the lockfiles and SBOMs of a source tree and checks every dependency against "
        "osv.dev."
    )
    homepage: ClassVar[str] = "https://google.github.io/osv-scanner/"
    supported_asset_types: ClassVar[tuple[str, ...]] = (
        "git_repository",
        "codebase_path",
        "file_upload",
    )
    binary: ClassVar[str] = "osv-scanner"
    coverage_unit: ClassVar[str] = "dependencies"
    success_exit_codes: ClassVar[tuple[int, ...]] = (0, 1)
    # .gitignore rules are not honoured by default: a codebase path in a folder that a parent
    # repository ignores (as var/code is) would otherwise be scanned as empty.
    default_config: ClassVar[Mapping[str, Any]] = {"recursive": True, "include_ignored": True}
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "recursive": {"type": "boolean", "description": "Search subdirectories."},
            "include_ignored": {
                "type": "boolean",
                "description": "Also scan files matched by .gitignore (default: yes, the tree "
                "is scanned as it is).",
            },
        },
    }

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        cfg = validated_config(self, config)
        root = require_tree(target)
        argv = [self.require_executable(), "--format", "json"]
        if cfg["recursive"]:
            argv.append("--recursive")
        if cfg["include_ignored"]:
            argv.append("--no-ignore")
        argv += ["--", str(root)]
        return ToolCommand(argv=tuple(argv), output_path=output_path, cwd=output_path.parent)

    def interpret_exit(self, *, exit_code: int, output_path: Path, stderr: str) -> ExitVerdict:
        if exit_code in self.success_exit_codes:
            return ExitVerdict(ok=True)
        tail = " | ".join(stderr.strip().splitlines()[-3:]) or "no error output"
        meaning = EXIT_MEANINGS.get(exit_code, "error")
        return ExitVerdict(
            ok=False, reason=f"osv-scanner exited with code {exit_code} ({meaning}): {tail}"
        )

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        for result in stream_json_items(
            output_path, "osv-scanner", "results.item", expect_keys=("results",)
        ):
            if not isinstance(result, dict):
                raise ToolOutputError("osv-scanner report: a results entry is not an object")
            source = result.get("source") or result.get("packageSource") or {}
            file_path = relative_path(str(source.get("path") or ""), target.path)
            for package in result.get("packages") or []:
                yield from self._package(package, file_path)

    def _package(self, entry: Mapping[str, Any], file_path: str) -> Iterator[NormalizedFinding]:
        pkg = entry.get("package") or {}
        name, version = str(pkg.get("name") or ""), str(pkg.get("version") or "")
        ecosystem = str(pkg.get("ecosystem") or "")
        vulns = {str(v.get("id")): v for v in entry.get("vulnerabilities") or [] if v.get("id")}
        groups: list[tuple[list[str], float | None]] = []
        grouped: set[str] = set()
        for group in entry.get("groups") or []:
            ids = [i for i in text_list(group.get("ids")) if i in vulns]
            if ids:
                groups.append((ids, _float(group.get("max_severity"))))
                grouped.update(ids)
        groups += [([vuln_id], None) for vuln_id in vulns if vuln_id not in grouped]
        for ids, score in groups:
            members = [vulns[i] for i in ids]
            rule = min(ids)
            main = vulns[rule]
            aliases = sorted({a for v in members for a in text_list(v.get("aliases"))} | set(ids))
            cve = next((a for a in aliases if a.upper().startswith("CVE-")), rule)
            severities = [_severity(v, score) for v in members]
            severity = min(severities, key=_rank)
            cwe = next(
                (
                    found
                    for v in members
                    if (
                        found := cwe_from(
                            text_list((v.get("database_specific") or {}).get("cwe_ids"))
                        )
                    )
                ),
                None,
            )
            fixed = next((f for v in members if (f := _fixed_version(v, name, ecosystem))), "")
            refs = [r.get("url") for v in members for r in v.get("references") or [] if r]
            yield NormalizedFinding(
                title=f"{rule}: {main.get('summary') or f'vulnerability in {name}'}",
                severity=severity,
                rule_id=rule,
                description=str(main.get("details") or main.get("summary") or ""),
                confidence="high",
                cwe=cwe,
                cve=cve,
                file_path=file_path,
                package_name=name,
                package_version=version,
                fixed_version=fixed,
                remediation=f"Upgrade {name} to {fixed} or later." if fixed else "No fix yet.",
                references=references(f"https://osv.dev/vulnerability/{rule}", refs),
                evidence={
                    "ecosystem": ecosystem,
                    "ids": ids,
                    "aliases": aliases,
                    "group_max_severity": score,
                },
                fingerprint_hint=dependency_hint(ecosystem, name, version, rule),
            )


_ORDER = ("critical", "high", "medium", "low", "informational", "unknown")


def _rank(severity: str) -> int:
    return _ORDER.index(severity)


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


osv_scanner = OsvScannerAdapter()
