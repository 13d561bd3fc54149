"""njsscan: semantic patterns for insecure Node.js code and templates."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from apps.tools.adapters.base import (
    BaseAdapter,
    NormalizedFinding,
    PreparedTarget,
    ToolCommand,
    ToolOutputError,
    cwe_from,
    relative_path,
)
from apps.tools.adapters.common import (
    CODE_ASSET_TYPES,
    MASK,
    as_int,
    expect,
    expect_kind,
    first_sentence,
    mapping,
    report_path,
    tree_inputs,
    tree_root,
)
from apps.tools.adapters.coverage import Coverage, coverage_of
from apps.tools.adapters.jsonstream import json_kind, json_value, stream_json_kvitems
from apps.tools.adapters.tool_configs import TOOL_CONFIGS

SEVERITY = {"ERROR": "high", "WARNING": "medium", "INFO": "low"}
SECRET_CWES = frozenset({259, 321, 798})
# The files njsscan's rules read: JavaScript/TypeScript and Node.js templates.
NODE_SUFFIXES = frozenset(
    {".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".ejs", ".hbs", ".handlebars", ".pug", ".jade"}
)


class NjsscanAdapter(BaseAdapter):
    """njsscan (`njsscan --json -- <tree>`), which runs its own pinned Semgrep from the same
    isolated venv (the venv's bin is put first on PATH; version checks and metrics are off).

    Output: `{"nodejs": {rule: {files, metadata}}, "templates": {...}, "errors": [...]}`.
    One finding per entry of a rule's `files`:
    - rule_id ← the rule key (e.g. node_sqli_injection); title ← first sentence of
      `metadata.description`; description ← the whole description
    - severity ← `metadata.severity`: ERROR→high, WARNING→medium, INFO→low
    - cwe ← `metadata.cwe`; evidence ← `metadata.owasp-web`, the section (nodejs/templates)
      and `match_position`
    - file_path ← `file_path` relative to the tree; line_start/line_end ← `match_lines`
    - snippet ← `match_string` (masked for hard-coded secret rules, CWE-259/321/798)
    - fingerprint_hint: none; the service uses rule, file and snippet.

    Exit codes: 0 (nothing found) and 1 (findings, or errors) are success here; an error
    reported as a message string (e.g. Semgrep missing) fails parsing, while per-file errors
    (objects from Semgrep) do not fail it: each names a file that was not (fully) analysed and
    makes the run partial (coverage). njsscan does not say how many files it read. A
    repository's `.njsscan` file may narrow the scan, as njsscan documents.
    """

    tool_id: ClassVar[str] = "njsscan"
    name: ClassVar[str] = "njsscan"
    category: ClassVar[str] = "sast"
    description: ClassVar[str] = (
        "Finds insecure Node.js code (injection, XSS, path traversal, weak crypto) and "
        "unsafe template constructs."
    )
    homepage: ClassVar[str] = "https://github.com/ajinabraham/njsscan"
    supported_asset_types: ClassVar[tuple[str, ...]] = CODE_ASSET_TYPES
    binary: ClassVar[str] = "njsscan"
    input_kind: ClassVar[str] = "JavaScript/TypeScript files or Node.js templates"
    success_exit_codes: ClassVar[tuple[int, ...]] = (0, 1)
    default_config: ClassVar[Mapping[str, Any]] = {}
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {},
        "additionalProperties": False,
    }

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        root = tree_root(target, tool=self.name)
        exe = self.require_executable()
        bin_dir = str(Path(exe).parent)
        path = os.pathsep.join([bin_dir, os.environ.get("PATH", os.defpath)])
        return ToolCommand(
            # Our config, never a .njsscan file of the scanned tree.
            argv=(exe, "--json", "--config", str(TOOL_CONFIGS / "njsscan.yml"), "--", str(root)),
            output_path=output_path,
            cwd=output_path.parent,
            env={
                "PATH": path,
                "SEMGREP_ENABLE_VERSION_CHECK": "0",
                "SEMGREP_SEND_METRICS": "off",
            },
        )

    def input_files(self, *, target: PreparedTarget, config: Mapping[str, Any]) -> list[str] | None:
        return tree_inputs(target, lambda path: path.suffix.lower() in NODE_SUFFIXES)

    def coverage(self, *, output_path: Path, target: PreparedTarget, stderr: str) -> Coverage:
        errors = json_value(output_path, self.name, "errors")
        missed: list[tuple[str, str]] = []
        for error in errors if isinstance(errors, list) else []:
            if not isinstance(error, dict) or not error.get("path"):
                continue
            kind = error.get("type")
            name = kind[0] if isinstance(kind, list) and kind else kind
            reason = "partly parsed (syntax error)" if name == "PartialParsing" else str(name)
            missed.append((report_path(error["path"], target.path), reason or "error"))
        return coverage_of("files", None, missed, tool=self.name)

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        # Streamed rule by rule. njsscan sorts its keys, so 'errors' (checked before any
        # finding) comes first; a section's type is only looked up when it yielded nothing.
        errors = json_value(output_path, self.name, "errors")
        fatal = [e for e in errors if isinstance(e, str)] if isinstance(errors, list) else []
        if fatal:
            raise ToolOutputError(f"{self.name} failed: {'; '.join(fatal)[:500]}")
        present = 0
        for section in ("nodejs", "templates"):
            kind = None
            rules = stream_json_kvitems(output_path, self.name, section, expect_keys=None)
            for rule_id, rule in rules:
                kind = "dict"
                expect(rule, dict, tool=self.name, what=f"rule {rule_id!r}")
                metadata = mapping(rule.get("metadata"))
                for match in rule.get("files") or []:
                    expect(match, dict, tool=self.name, what="each match")
                    yield self._finding(str(rule_id), section, metadata, match, target.path)
            kind = kind or json_kind(output_path, self.name, section)
            if kind is not None:
                present += 1
                if kind != "NoneType":
                    expect_kind(kind, dict, tool=self.name, what=f"'{section}'")
        if not present:
            raise ToolOutputError(f"{self.name} output has neither 'nodejs' nor 'templates'.")

    def _finding(
        self,
        rule_id: str,
        section: str,
        metadata: Mapping[str, Any],
        match: Mapping[str, Any],
        root: Path | None,
    ) -> NormalizedFinding:
        description = str(metadata.get("description") or "").strip()
        cwe = cwe_from(metadata.get("cwe"))
        lines = [n for n in match.get("match_lines") or [] if as_int(n)]
        line_start = as_int(lines[0]) if lines else None
        line_end = as_int(lines[-1]) if lines else line_start
        snippet = str(match.get("match_string") or "").rstrip("\n")[:4000]
        if cwe in SECRET_CWES and snippet:
            snippet = MASK
        evidence: dict[str, Any] = {"section": section, "position": match.get("match_position")}
        if metadata.get("owasp-web"):
            evidence["owasp"] = str(metadata["owasp-web"])
        return NormalizedFinding(
            title=first_sentence(description) or rule_id,
            severity=SEVERITY.get(str(metadata.get("severity", "")).upper(), "unknown"),
            rule_id=rule_id,
            description=description,
            cwe=cwe,
            file_path=relative_path(str(match.get("file_path") or ""), root),
            line_start=line_start,
            line_end=line_end,
            snippet=snippet,
            evidence=evidence,
        )


njsscan = NjsscanAdapter()
