"""Gitleaks: hard-coded secrets in a source tree (or its git history)."""

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
    relative_path,
)
from apps.tools.adapters.toolkit import (
    UnavailableInThisWorkerMixin,
    clip,
    require_tree,
    stream_json_array,
    text_list,
    validated_config,
)

LEAKS_FOUND_EXIT_CODE = 2
REDACTED = "REDACTED"


def mask_secret(secret: str) -> str:
    """Enough to recognise a secret, never enough to use it."""
    if not secret or secret == REDACTED:
        return secret
    if len(secret) <= 8:
        return "*" * len(secret)
    return secret[:4] + "*" * min(len(secret) - 4, 16)


class GitleaksAdapter(UnavailableInThisWorkerMixin, BaseAdapter):
    """Gitleaks 8 JSON report (`--report-format json`) → one finding per leak.

    Field mapping: `RuleID` → `rule_id`; `Description` → `title`; `File` (made relative to the
    scanned tree) → `file_path`; `StartLine`/`EndLine` → `line_start`/`line_end`; `Match`
    with the secret masked → `snippet`; `Commit`, `Author`, `Date`, `Tags`, `Entropy`,
    columns → evidence. Severity is always high (gitleaks has none), CWE-798.

    Secrets never reach a finding: the run passes `--redact` so the report on disk holds no
    secret, and the parser masks `Secret` (first 4 characters, then `*`) in `Match` for reports
    produced without it.

    Fingerprint: rule + relative file + the flagged line's text with the secret masked (no
    line number, so a leak that moves keeps its identity); history scans use the hint
    "gitleaks:<rule>:<relative file>:<commit>:<masked match>".

    Exit codes: `--exit-code 2` makes "leaks found" distinct from errors (1); 0 and 2 are
    success. The report is json.load-ed (bounded to 256 MiB).
    """

    tool_id: ClassVar[str] = "gitleaks"
    name: ClassVar[str] = "Gitleaks"
    category: ClassVar[str] = "secrets"
    description: ClassVar[str] = "Finds hard-coded secrets (keys, tokens, passwords) in code."
    homepage: ClassVar[str] = "https://github.com/gitleaks/gitleaks"
    supported_asset_types: ClassVar[tuple[str, ...]] = (
        "git_repository",
        "codebase_path",
        "file_upload",
    )
    binary: ClassVar[str] = "gitleaks"
    version_args: ClassVar[tuple[str, ...]] = ("version",)
    success_exit_codes: ClassVar[tuple[int, ...]] = (0, LEAKS_FOUND_EXIT_CODE)
    default_config: ClassVar[Mapping[str, Any]] = {
        "scan_git_history": False,
        "max_target_megabytes": 10,
    }
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "scan_git_history": {
                "type": "boolean",
                "description": "Scan the commits of the checkout (shallow clones have one).",
            },
            "max_target_megabytes": {
                "type": "integer",
                "minimum": 1,
                "maximum": 500,
                "description": "Skip files larger than this.",
            },
        },
    }

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        cfg = validated_config(self, config)
        root = require_tree(target)
        argv = [
            self.require_executable(),
            "detect",
            f"--source={root}",
            "--report-format=json",
            f"--report-path={output_path}",
            "--redact",
            "--no-banner",
            f"--exit-code={LEAKS_FOUND_EXIT_CODE}",
            f"--max-target-megabytes={cfg['max_target_megabytes']}",
            "--log-level=warn",
        ]
        if not cfg["scan_git_history"]:
            argv.append("--no-git")
        return ToolCommand(
            argv=tuple(argv), output_path=output_path, cwd=root, output_written_by_tool=True
        )

    def interpret_exit(self, *, exit_code: int, output_path: Path, stderr: str) -> ExitVerdict:
        verdict = super().interpret_exit(
            exit_code=exit_code, output_path=output_path, stderr=stderr
        )
        if verdict.ok and not output_path.exists():
            return ExitVerdict(ok=False, reason="gitleaks exited cleanly but wrote no report")
        return verdict

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        # Streamed leak by leak (the report is a top-level JSON array).
        leaks = stream_json_array(
            output_path, "gitleaks", shape_error="gitleaks report is not a JSON list of leaks"
        )
        for leak in leaks:
            if not isinstance(leak, dict) or "RuleID" not in leak:
                raise ToolOutputError("gitleaks report: an entry has no RuleID")
            yield self._finding(leak, target)

    def _finding(self, leak: Mapping[str, Any], target: PreparedTarget) -> NormalizedFinding:
        rule = str(leak["RuleID"])
        path = relative_path(str(leak.get("File") or ""), target.path)
        secret = str(leak.get("Secret") or "")
        masked = mask_secret(secret)
        match = str(leak.get("Match") or "")
        if secret and secret != REDACTED:
            match = match.replace(secret, masked)
        start = leak.get("StartLine") if isinstance(leak.get("StartLine"), int) else None
        end = leak.get("EndLine") if isinstance(leak.get("EndLine"), int) else start
        commit = str(leak.get("Commit") or "")
        # No line: a leak that moves keeps its identity (the service fingerprints the file and
        # the flagged line's text with the secret masked). History scans add the commit.
        hint = f"gitleaks:{rule}:{path}:{commit}:{' '.join(match.split())}" if commit else ""
        return NormalizedFinding(
            title=str(leak.get("Description") or rule),
            severity="high",
            rule_id=rule,
            description=(
                f"{leak.get('Description') or rule} found in {path}"
                + (f" at line {start}" if start else "")
                + (f" (commit {commit[:12]})" if commit else "")
                + "."
            ),
            confidence="medium",
            cwe=798,
            file_path=path,
            line_start=start,
            line_end=end,
            snippet=clip(match, 500),
            remediation="Revoke and rotate the secret, then remove it from the code and history.",
            evidence={
                "secret_masked": masked,
                "commit": commit,
                "author": leak.get("Author") or "",
                "date": leak.get("Date") or "",
                "tags": text_list(leak.get("Tags")),
                "entropy": leak.get("Entropy"),
                "start_column": leak.get("StartColumn"),
                "end_column": leak.get("EndColumn"),
            },
            fingerprint_hint=hint,
        )


gitleaks = GitleaksAdapter()
