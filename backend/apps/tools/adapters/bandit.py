"""Bandit: security linter for Python code."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from apps.tools.adapters.base import (
    BaseAdapter,
    NormalizedFinding,
    PreparedTarget,
    ToolCommand,
    cwe_from,
    relative_path,
)
from apps.tools.adapters.common import (
    CODE_ASSET_TYPES,
    as_int,
    confidence_of,
    expect,
    mapping,
    report_path,
    tree_inputs,
    tree_root,
)
from apps.tools.adapters.coverage import Coverage, coverage_of
from apps.tools.adapters.tool_configs import TOOL_CONFIGS
from apps.tools.adapters.toolkit import stream_json_items, stream_json_kvitems

# Bandit's issue severity x issue confidence → SecuLite severity. A high-severity issue
# Bandit is unsure of drops one step, a low-severity one it is unsure of becomes
# informational.
SEVERITY_MATRIX = {
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
_LINE_NUMBER_PREFIX = re.compile(r"^\d+ ", re.MULTILINE)


def bandit_severity(severity: Any, confidence: Any) -> str:
    key = (str(severity).upper(), str(confidence).upper())
    if key in SEVERITY_MATRIX:
        return SEVERITY_MATRIX[key]
    return {"HIGH": "high", "MEDIUM": "medium", "LOW": "low"}.get(key[0], "unknown")


class BanditAdapter(BaseAdapter):
    """Bandit (`bandit -r -f json`) over the whole tree.

    Mapping of each `results[]` entry:
    - rule_id ← `test_id` (e.g. B602); title ← `test_name` and `issue_text`
    - severity ← `issue_severity` x `issue_confidence` (see SEVERITY_MATRIX: HIGHxHIGH/MEDIUM
      → high, HIGHxLOW and MEDIUMxHIGH/MEDIUM → medium, MEDIUMxLOW and LOWxHIGH/MEDIUM → low,
      LOWxLOW → informational)
    - confidence ← `issue_confidence`; cwe ← `issue_cwe.id`
    - description ← `issue_text`; references ← `more_info` and `issue_cwe.link`
    - file_path ← `filename` relative to the tree; line_start/line_end ← `line_number` (the
      flagged line; `line_range`, the enclosing statement or function, goes to evidence)
    - snippet ← `code` with Bandit's line-number prefixes removed
    - evidence ← `test_name`, `col_offset`, `line_range` (first, last)
    - fingerprint_hint: none (Bandit has no stable id); the service uses rule, file and code.

    Exit codes: 0 (no issues) and 1 (issues found) are success. Files Bandit could not parse
    are listed in `errors[]`: they make the run partial (coverage), not failed. Coverage ←
    the per-file keys of `metrics` (files Bandit read) minus those in `errors[]`.
    """

    tool_id: ClassVar[str] = "bandit"
    name: ClassVar[str] = "Bandit"
    category: ClassVar[str] = "sast"
    description: ClassVar[str] = "Finds common security issues in Python code."
    homepage: ClassVar[str] = "https://bandit.readthedocs.io"
    supported_asset_types: ClassVar[tuple[str, ...]] = CODE_ASSET_TYPES
    binary: ClassVar[str] = "bandit"
    input_kind: ClassVar[str] = "Python files"
    success_exit_codes: ClassVar[tuple[int, ...]] = (0, 1)
    default_config: ClassVar[Mapping[str, Any]] = {
        "severity_level": "low",
        "confidence_level": "low",
        "skip_tests": [],
        "ignore_nosec": False,
    }
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "severity_level": {
                "enum": ["low", "medium", "high"],
                "description": "Report issues of at least this severity.",
            },
            "confidence_level": {
                "enum": ["low", "medium", "high"],
                "description": "Report issues of at least this confidence.",
            },
            "skip_tests": {
                "type": "array",
                "description": "Bandit test ids to skip, e.g. B101.",
                "items": {"type": "string", "pattern": "^B[0-9]{3}$"},
                "uniqueItems": True,
                "maxItems": 200,
            },
            "ignore_nosec": {
                "type": "boolean",
                "description": "Report issues even on lines marked '# nosec'.",
            },
        },
        "additionalProperties": False,
    }

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        root = tree_root(target, tool=self.name)
        cfg = self.config_with_defaults(config)
        argv = [self.require_executable(), "-r", "-f", "json", "-q"]
        for option in ("severity_level", "confidence_level"):
            level = cfg[option]
            if level not in ("low", "medium", "high"):
                raise ValueError(f"invalid {option} {level!r}")
            argv.append(f"--{option.replace('_', '-')}={level}")
        skips = list(cfg["skip_tests"])
        if skips:
            if not all(isinstance(s, str) and re.fullmatch(r"B\d{3}", s) for s in skips):
                raise ValueError("skip_tests must be Bandit test ids such as B101")
            argv.append(f"--skip={','.join(skips)}")
        if cfg["ignore_nosec"]:
            argv.append("--ignore-nosec")
        # Our (empty) ini, never a .bandit file of the scanned tree; run from outside it.
        argv += ["--ini", str(TOOL_CONFIGS / "bandit.ini"), "--", str(root)]
        return ToolCommand(argv=tuple(argv), output_path=output_path, cwd=output_path.parent)

    def input_files(self, *, target: PreparedTarget, config: Mapping[str, Any]) -> list[str] | None:
        # Bandit's own default: *.py and *.pyw.
        return tree_inputs(target, lambda path: path.suffix.lower() in (".py", ".pyw"))

    def coverage(self, *, output_path: Path, target: PreparedTarget, stderr: str) -> Coverage:
        root = target.path
        read = {
            report_path(name, root)
            for name, _ in stream_json_kvitems(
                output_path, self.name, "metrics", expect_keys=("metrics",)
            )
            if name != "_totals"
        }
        missed = [
            (report_path(error.get("filename"), root), str(error.get("reason") or "error"))
            for error in stream_json_items(output_path, self.name, "errors.item", expect_keys=None)
            if isinstance(error, dict) and error.get("filename")
        ]
        analysed = len(read - {path for path, _ in missed})
        return coverage_of("files", analysed, missed, tool=self.name)

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        # Streamed result by result (ijson), so a report of any size is never held whole.
        for result in stream_json_items(
            output_path, self.name, "results.item", expect_keys=("results",)
        ):
            expect(result, dict, tool=self.name, what="each result")
            yield self._finding(result, target.path)

    def _finding(self, result: Mapping[str, Any], root: Path | None) -> NormalizedFinding:
        cwe_info = mapping(result.get("issue_cwe"))
        # `line_number` is the flagged line; `line_range` spans the enclosing node (a whole
        # call or function), whose first line is not the one the issue is about.
        line_range = [n for n in (as_int(n) for n in result.get("line_range") or []) if n]
        line_start = as_int(result.get("line_number")) or (line_range[0] if line_range else None)
        text = str(result.get("issue_text") or "").strip()
        test_name = str(result.get("test_name") or "")
        references = tuple(
            link
            for link in (result.get("more_info"), cwe_info.get("link"))
            if isinstance(link, str) and link
        )
        code = str(result.get("code") or "")
        return NormalizedFinding(
            title=text[:300] or test_name or str(result.get("test_id")),
            severity=bandit_severity(result.get("issue_severity"), result.get("issue_confidence")),
            rule_id=str(result.get("test_id") or "unknown"),
            description=text,
            confidence=confidence_of(result.get("issue_confidence")),
            cwe=cwe_from(cwe_info.get("id")),
            file_path=relative_path(str(result.get("filename") or ""), root),
            line_start=line_start,
            line_end=line_start,
            snippet=_LINE_NUMBER_PREFIX.sub("", code).rstrip("\n"),
            references=references,
            evidence={
                "test_name": test_name,
                "column": result.get("col_offset"),
                "line_range": [line_range[0], line_range[-1]] if line_range else [],
            },
        )


bandit = BanditAdapter()
