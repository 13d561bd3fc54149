"""npm audit: known vulnerabilities in a Node.js project's locked dependencies."""

from __future__ import annotations

import re
import shutil
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
)
from apps.tools.adapters.coverage import Coverage, coverage_of
from apps.tools.adapters.toolkit import (
    clip,
    dependency_hint,
    json_kind,
    json_value,
    map_severity,
    require_tree,
    stream_json_kvitems,
    text_list,
    validated_config,
)

SEVERITIES = {
    "critical": "critical",
    "high": "high",
    "moderate": "medium",
    "medium": "medium",
    "low": "low",
    "info": "informational",
}
LOCKFILES = ("npm-shrinkwrap.json", "package-lock.json")
_ADVISORY_ID = re.compile(r"(GHSA(?:-[23456789cfghjmpqrvwx]{4}){3})", re.IGNORECASE)
_UPPER_BOUND = re.compile(r"^<\s*([0-9][\w.+-]*)$")
_ABSENT = object()
TOOL = "npm audit"


def _report_head(output_path: Path) -> Any:
    """The report's small top-level fields, enough for `_report_problem`, read without ever
    building 'vulnerabilities' (it stands in as {} when it is an object). In a v2 report
    auditReportVersion and vulnerabilities come first, so only 'metadata' needs a full pass
    (in C); error reports are a few lines."""
    if json_kind(output_path, TOOL) != "dict":
        return None
    head: dict[str, Any] = {}
    version = json_value(output_path, TOOL, "auditReportVersion", _ABSENT)
    if version is not _ABSENT:
        head["auditReportVersion"] = version
    if version == 2 and json_kind(output_path, TOOL, "vulnerabilities") == "dict":
        head["vulnerabilities"] = {}
        head["metadata"] = json_value(output_path, TOOL, "metadata")
        return head
    for key in ("error", "message", "code"):
        value = json_value(output_path, TOOL, key, _ABSENT)
        if value is not _ABSENT:
            head[key] = value
    if json_kind(output_path, TOOL, "advisories") is not None:
        head["advisories"] = {}
    return head


def _report_problem(report: Any) -> str:
    """Why this is not an audit report ("" when it is one)."""
    if not isinstance(report, dict):
        return "npm audit output is not a JSON object"
    if report.get("auditReportVersion") == 2 and isinstance(report.get("vulnerabilities"), dict):
        total = ((report.get("metadata") or {}).get("dependencies") or {}).get("total")
        if total == 0:
            return "npm audit found no dependencies in the lockfile: nothing was audited"
        return ""
    error = report.get("error")
    if isinstance(error, dict) or "message" in report:
        error = error if isinstance(error, dict) else {}
        parts = [
            str(error.get("code") or report.get("code") or ""),
            str(report.get("message") or ""),
            str(error.get("summary") or ""),
            str(error.get("detail") or "").splitlines()[0] if error.get("detail") else "",
        ]
        detail = " — ".join(part for part in parts if part)
        hint = ""
        if any(code in detail for code in ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT")):
            hint = " (the registry's audit endpoint is unreachable: no network?)"
        return f"npm audit failed{hint}: {clip(detail or 'unknown error', 500)}"
    if "advisories" in report:
        return "npm audit report is in the legacy v1 format (npm 6); npm 7+ is required"
    return "npm audit output is not an audit report (no auditReportVersion 2)"


def _clean_project(root: Path, dest: Path) -> Path:
    """The manifest and lock file alone in a folder of ours: npm reads a project's .npmrc
    (registry, proxy, scoped registries, TLS settings) from the project folder, and no
    command-line flag turns that off."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", *LOCKFILES):
        source = root / name
        if source.is_file() and not source.is_symlink():
            shutil.copyfile(source, dest / name)
    return dest


class NpmAuditAdapter(BaseAdapter):
    """`npm audit --json` v2 report (npm 7+) → one finding per (package, advisory, installed
    version).

    Field mapping: each `vulnerabilities.<name>.via[]` entry that is an advisory object (string
    entries point at another vulnerable package, which carries its own advisory) →
    `title`; `severity` (critical/high/moderate/low/info → critical/high/medium/low/
    informational); the GHSA id from `url` → `rule_id` and `cve` (npm reports no CVE ids);
    `cwe[]` → `cwe`; `cvss` and `range` → evidence; `package_name` = the package, its
    installed version(s) read from the tree's package-lock.json (`nodes` → `packages.<node>.
    version`; the report's affected `range` when there is no lockfile) → `package_version`;
    `fixAvailable.version` when it fixes this package (else the bound of a "<x" advisory range)
    → `fixed_version`; `package-lock.json` → `file_path`.

    Fingerprint: `fingerprint_hint` = "npm:<package>:<version>:<GHSA id>".

    Exit codes: 0 (clean) and 1 (vulnerabilities, or an error) are both possible for a good
    run, so success is decided by the output: an error object (ENOLOCK, ENOTFOUND, EAI_AGAIN,
    ECONNREFUSED, an HTTP error from the audit endpoint) or a report that audited no
    dependency fails the run with that reason. The report is streamed: its small fields are
    checked first, so a failed audit never yields a finding, then package by package.
    """

    tool_id: ClassVar[str] = "npm_audit"
    needs_network: ClassVar[bool] = True
    name: ClassVar[str] = "npm audit"
    category: ClassVar[str] = "sca"
    description: ClassVar[str] = (
        "Audits the dependencies locked in package-lock.json against the npm registry's "
        "advisory database."
    )
    homepage: ClassVar[str] = "https://docs.npmjs.com/cli/commands/npm-audit"
    supported_asset_types: ClassVar[tuple[str, ...]] = (
        "git_repository",
        "codebase_path",
        "file_upload",
    )
    binary: ClassVar[str] = "npm"
    coverage_unit: ClassVar[str] = "dependencies"
    default_config: ClassVar[Mapping[str, Any]] = {
        "omit_dev": False,
        "registry": "https://registry.npmjs.org/",
    }
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "omit_dev": {"type": "boolean", "description": "Skip devDependencies."},
            "registry": {
                "type": "string",
                "pattern": "^https?://[^\\s]+$",
                "outboundUrl": True,
                "maxLength": 500,
                "description": "Registry whose audit endpoint is asked (overrides the "
                "project's .npmrc, which the scanned tree controls).",
            },
        },
    }

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        cfg = validated_config(self, config)
        root = require_tree(target)
        if not any((root / name).is_file() for name in LOCKFILES):
            raise ValueError(
                "npm audit needs a package-lock.json or npm-shrinkwrap.json at the top of the tree"
            )
        argv = [
            self.require_executable(),
            "audit",
            "--json",
            "--package-lock-only",
            "--ignore-scripts",
            f"--registry={cfg['registry']}",
        ]
        if cfg["omit_dev"]:
            argv.append("--omit=dev")
        return ToolCommand(
            argv=tuple(argv),
            output_path=output_path,
            cwd=_clean_project(root, output_path.parent / "npm-audit-project"),
            env={"NO_UPDATE_NOTIFIER": "1", "npm_config_update_notifier": "false"},
        )

    def not_applicable_reason(self, *, target: PreparedTarget, config: Mapping[str, Any]) -> str:
        if target.path is None or any((target.path / name).is_file() for name in LOCKFILES):
            return ""
        return (
            "Not applicable: no package-lock.json or npm-shrinkwrap.json at the top of the "
            "tree, so there are no locked npm dependencies to audit."
        )

    def coverage(self, *, output_path: Path, target: PreparedTarget, stderr: str) -> Coverage:
        """Dependencies audited: the v2 report's `metadata.dependencies.total`."""
        metadata = json_value(output_path, TOOL, "metadata")
        counts = metadata.get("dependencies") if isinstance(metadata, dict) else None
        total = counts.get("total") if isinstance(counts, dict) else None
        return coverage_of(
            "dependencies", total if isinstance(total, int) else None, tool=self.name
        )

    def interpret_exit(self, *, exit_code: int, output_path: Path, stderr: str) -> ExitVerdict:
        try:
            report = _report_head(output_path)
        except ToolOutputError:
            tail = " | ".join(stderr.strip().splitlines()[-3:]) or "no error output"
            return ExitVerdict(
                ok=False, reason=f"npm audit exited with code {exit_code} without JSON: {tail}"
            )
        problem = _report_problem(report)
        if problem:
            return ExitVerdict(ok=False, reason=problem)
        if exit_code not in (0, 1):
            return ExitVerdict(ok=False, reason=f"npm audit exited with code {exit_code}")
        return ExitVerdict(ok=True)

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        problem = _report_problem(_report_head(output_path))
        if problem:
            raise ToolOutputError(problem)
        lock = _lock_packages(target.path)
        # Streamed package by package; the checks above never build 'vulnerabilities'.
        for name, vuln in stream_json_kvitems(
            output_path, TOOL, "vulnerabilities", expect_keys=None
        ):
            if not isinstance(vuln, dict):
                continue
            versions = sorted(
                {
                    str((lock.get(node) or {}).get("version") or "")
                    for node in vuln.get("nodes") or []
                }
                - {""}
            ) or [str(vuln.get("range") or "")]
            fix = vuln.get("fixAvailable")
            fix_version = (
                str(fix.get("version") or "")
                if isinstance(fix, dict) and fix.get("name") == name
                else ""
            )
            for via in vuln.get("via") or []:
                if not isinstance(via, dict):
                    continue
                for version in versions:
                    yield _finding(name, version, vuln, via, fix_version, bool(lock))


def _finding(
    name: str,
    version: str,
    vuln: Mapping[str, Any],
    via: Mapping[str, Any],
    fix_version: str,
    has_lock: bool,
) -> NormalizedFinding:
    url = str(via.get("url") or "")
    match = _ADVISORY_ID.search(url)
    advisory = "GHSA" + match.group(1)[4:].lower() if match else f"npm-{via.get('source')}"
    bound = _UPPER_BOUND.match(str(via.get("range") or "").strip())
    fixed = fix_version or (bound.group(1) if bound else "")
    title = str(via.get("title") or advisory)
    return NormalizedFinding(
        title=f"{title} ({name} {version})",
        severity=map_severity(via.get("severity") or vuln.get("severity"), SEVERITIES),
        rule_id=advisory,
        description=title,
        confidence="high",
        cwe=cwe_from(text_list(via.get("cwe"))),
        cve=advisory,
        file_path="package-lock.json" if has_lock else "",
        package_name=name,
        package_version=version,
        fixed_version=fixed,
        remediation=f"Upgrade {name} to {fixed} or later." if fixed else "No fix available.",
        references=(url,) if url.startswith("https://") else (),
        evidence={
            "affected_range": via.get("range"),
            "cvss": via.get("cvss") or {},
            "is_direct": vuln.get("isDirect"),
            "nodes": list(vuln.get("nodes") or [])[:20],
            "effects": list(vuln.get("effects") or [])[:20],
            "npm_advisory_source": via.get("source"),
        },
        fingerprint_hint=dependency_hint("npm", name, version, advisory),
    )


def _lock_packages(root: Path | None) -> dict[str, Any]:
    if root is None:
        return {}
    for name in LOCKFILES:
        path = Path(root) / name
        if path.is_file() and path.stat().st_size < 64 * 1024 * 1024:
            # Streamed, keeping only each node's version: the lockfile can be large.
            try:
                return {
                    node: {"version": entry.get("version")}
                    for node, entry in stream_json_kvitems(path, name, "packages", expect_keys=None)
                    if isinstance(entry, dict)
                }
            except (OSError, ToolOutputError):
                return {}
    return {}


npm_audit = NpmAuditAdapter()
