"""pip-audit: known vulnerabilities in a Python project's dependencies."""

from __future__ import annotations

import re
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
)
from apps.tools.adapters.coverage import Coverage, coverage_of
from apps.tools.adapters.toolkit import (
    clip,
    dependency_hint,
    json_kind,
    require_relative_file,
    require_tree,
    split_advisory_ids,
    stream_json_items,
    text_list,
    validated_config,
)

# Requirement lines pip would build from the tree, fetch from anywhere, or send to another
# index: refused, so pip-audit never runs scanned code or reaches an address the tree names.
_UNSAFE_REQUIREMENT = re.compile(
    r"^\s*(?:\.|/|~|-e\b|--editable\b|-i\b|--index-url\b|--extra-index-url\b|-f\b"
    r"|--find-links\b|--trusted-host\b|[a-z+]+://|file:)"
    r"|\s@\s|^\s*(?:git|hg|svn|bzr)\+",
    re.IGNORECASE,
)


def _refuse_unsafe_lines(file: Path, root: Path) -> None:
    with file.open("r", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.split(" #", 1)[0].strip()
            if text and _UNSAFE_REQUIREMENT.search(text):
                raise ValueError(
                    f"refusing {file.relative_to(root)} line {number} ({text[:80]!r}): local "
                    "paths, URLs and index options are not audited (pip would build or fetch them)"
                )


def _dependencies(output_path: Path) -> Iterator[Any]:
    return stream_json_items(output_path, "pip-audit", "dependencies.item", expect_keys=None)


def _audit_problem(output_path: Path) -> str:
    """Why the report proves nothing was checked ("" when at least one package was audited).

    Without network access pip-audit prints "No known vulnerabilities found" and exits 0 while
    every dependency carries a `skip_reason`; that must never read as a clean result. Streams
    the dependencies once, keeping only counts."""
    if json_kind(output_path, "pip-audit", "dependencies") != "list":
        return "pip-audit report has no 'dependencies' list: not pip-audit JSON"
    deps, skipped, first = 0, 0, ""
    for dep in _dependencies(output_path):
        if isinstance(dep, dict):
            deps += 1
            if dep.get("skip_reason"):
                skipped += 1
                first = first or str(dep.get("skip_reason"))
    if not deps:
        return "pip-audit found no dependencies to audit (empty requirements or project)"
    if skipped == deps:
        return (
            f"pip-audit could not audit any of the {deps} dependencies, so the result "
            f"says nothing (vulnerability service unreachable?): {clip(first, 300)}"
        )
    return ""


class PipAuditAdapter(BaseAdapter):
    """pip-audit JSON (`--format json --desc on --aliases on`) → one finding per
    (dependency, vulnerability).

    Field mapping: `dependencies[].name`/`version` → `package_name`/`package_version`;
    `vulns[].id` → `rule_id`; the first `CVE-` id among `id` + `aliases` → `cve` (else the
    PYSEC/GHSA id); `fix_versions[0]` → `fixed_version` (all of them in evidence);
    `description` → `description`. pip-audit reports no severity, so severity is `unknown`.

    Fingerprint: `fingerprint_hint` = "pypi:<package>:<version>:<advisory id>".

    Silent skips: dependencies pip-audit could not check carry `skip_reason` instead of
    `vulns`. When every dependency was skipped (typical without network: pip-audit still
    prints "No known vulnerabilities found" and exits 0) or none was found, `interpret_exit`
    fails the run with the reason and `parse` raises ToolOutputError — never "no findings".
    pip-audit exits 1 when it found vulnerabilities; that is a success when the report is
    readable. The report is streamed twice: once to count audited dependencies, so an
    unaudited run fails before any finding is yielded, then dependency by dependency.

    Never runs the scanned project's code: the project itself (pyproject.toml/setup.py) is
    never audited (pip would build it), requirement lines naming local paths, URLs, VCS
    checkouts or other indexes are refused, the default (`no_deps`) reads pinned requirements
    without pip (`--no-deps --disable-pip`), and the opt-in resolution (`no_deps: false`)
    lets pip use wheels only (`PIP_ONLY_BINARY=:all:`), so no sdist is ever built.
    """

    tool_id: ClassVar[str] = "pip_audit"
    needs_network: ClassVar[bool] = True
    name: ClassVar[str] = "pip-audit"
    category: ClassVar[str] = "sca"
    description: ClassVar[str] = (
        "Audits Python requirements files or projects against the PyPI/OSV vulnerability databases."
    )
    homepage: ClassVar[str] = "https://github.com/pypa/pip-audit"
    supported_asset_types: ClassVar[tuple[str, ...]] = (
        "git_repository",
        "codebase_path",
        "file_upload",
    )
    binary: ClassVar[str] = "pip-audit"
    coverage_unit: ClassVar[str] = "dependencies"
    default_config: ClassVar[Mapping[str, Any]] = {
        "requirement_files": [],
        "vulnerability_service": "pypi",
        "osv_url": "",
        "no_deps": True,
        "request_timeout_seconds": 15,
    }
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "requirement_files": {
                "type": "array",
                "maxItems": 20,
                "uniqueItems": True,
                "items": {
                    "type": "string",
                    "pattern": "^[A-Za-z0-9_][A-Za-z0-9_./-]{0,254}$",
                    "not": {"pattern": "(^|/)\\.\\.(/|$)"},
                },
                "description": "Requirements files relative to the tree; empty = "
                "requirements.txt (the project itself is never built).",
            },
            "vulnerability_service": {"type": "string", "enum": ["pypi", "osv"]},
            "osv_url": {
                "type": "string",
                "pattern": "^$|^https?://[^\\s]+$",
                "outboundUrl": True,
                "maxLength": 500,
                "description": "OSV query endpoint (e.g. an internal mirror) when "
                "vulnerability_service is osv; empty = https://api.osv.dev/v1/query.",
            },
            "no_deps": {
                "type": "boolean",
                "description": "Read pinned requirements without pip (default); false lets "
                "pip resolve them from wheels in a throwaway virtualenv.",
            },
            "request_timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 120},
        },
    }

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        cfg = validated_config(self, config)
        root = require_tree(target)
        argv = [
            self.require_executable(),
            "--format",
            "json",
            "--output",
            str(output_path),
            "--progress-spinner",
            "off",
            "--desc",
            "on",
            "--aliases",
            "on",
            "--vulnerability-service",
            cfg["vulnerability_service"],
            "--timeout",
            str(cfg["request_timeout_seconds"]),
        ]
        if cfg["vulnerability_service"] == "osv" and cfg["osv_url"]:
            argv.append(f"--osv-url={cfg['osv_url']}")
        env = {"PIP_ONLY_BINARY": ":all:", "PIP_NO_INPUT": "1"}
        if cfg["no_deps"]:
            argv += ["--no-deps", "--disable-pip"]
        files = [require_relative_file(root, name) for name in cfg["requirement_files"]]
        if not files and (root / "requirements.txt").is_file():
            files = [root / "requirements.txt"]
        if not files:
            raise ValueError(
                "nothing for pip-audit to audit: no requirements.txt at the top of the tree (set "
                "requirement_files; the project itself is never built, that would run its code)"
            )
        for file in files:
            if not file.is_file():
                raise ValueError(f"requirements file {file.relative_to(root)} does not exist")
            _refuse_unsafe_lines(file, root)
            argv += ["--requirement", str(file)]
        return ToolCommand(
            argv=tuple(argv),
            output_path=output_path,
            cwd=output_path.parent,
            env=env,
            output_written_by_tool=True,
        )

    def not_applicable_reason(self, *, target: PreparedTarget, config: Mapping[str, Any]) -> str:
        """Nothing to audit without a requirements file at the top of the tree: the project
        itself is never built (requirement_files named in the config must exist: that is
        checked as an error)."""
        if self.config_with_defaults(config)["requirement_files"] or target.path is None:
            return ""
        if (target.path / "requirements.txt").is_file():
            return ""
        return (
            "Not applicable: no requirements.txt at the top of the tree, so there are no pinned "
            "Python dependencies to audit (set requirement_files for other file names; "
            "SecuLite never builds the project to find them)."
        )

    def coverage(self, *, output_path: Path, target: PreparedTarget, stderr: str) -> Coverage:
        """Dependencies audited; those pip-audit skipped (`skip_reason`) are unanalysed."""
        audited, missed = 0, []
        for dep in _dependencies(output_path):
            if not isinstance(dep, dict):
                continue
            if dep.get("skip_reason"):
                missed.append((str(dep.get("name") or "?"), str(dep["skip_reason"])))
            else:
                audited += 1
        return coverage_of("dependencies", audited, missed, tool=self.name)

    def interpret_exit(self, *, exit_code: int, output_path: Path, stderr: str) -> ExitVerdict:
        try:
            problem = _audit_problem(output_path) if exit_code in (0, 1) else None
        except ToolOutputError:
            problem = None
        if problem is None:
            tail = " | ".join(stderr.strip().splitlines()[-3:]) or "no error output"
            return ExitVerdict(
                ok=False, reason=f"pip-audit exited with code {exit_code} without a report: {tail}"
            )
        return ExitVerdict(ok=False, reason=problem) if problem else ExitVerdict(ok=True)

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        problem = _audit_problem(output_path)
        if problem:
            raise ToolOutputError(problem)
        for dep in _dependencies(output_path):
            if not isinstance(dep, dict) or dep.get("skip_reason"):
                continue
            name, version = str(dep.get("name") or ""), str(dep.get("version") or "")
            for vuln in dep.get("vulns") or []:
                advisory = str(vuln.get("id") or "")
                if not advisory:
                    raise ToolOutputError(f"pip-audit report: a vulnerability of {name} has no id")
                aliases = text_list(vuln.get("aliases"))
                cve, advisory = split_advisory_ids(advisory, aliases)
                fixes = text_list(vuln.get("fix_versions"))
                yield NormalizedFinding(
                    title=f"{advisory} in {name} {version}",
                    severity="unknown",
                    rule_id=advisory,
                    description=str(vuln.get("description") or ""),
                    confidence="high",
                    cve=cve,
                    package_name=name,
                    package_version=version,
                    fixed_version=fixes[0] if fixes else "",
                    remediation=(
                        f"Upgrade {name} to {' or '.join(fixes)}." if fixes else "No fix released."
                    ),
                    references=(f"https://osv.dev/vulnerability/{advisory}",),
                    evidence={"aliases": aliases, "fix_versions": fixes},
                    fingerprint_hint=dependency_hint("pypi", name, version, advisory),
                )


pip_audit = PipAuditAdapter()
