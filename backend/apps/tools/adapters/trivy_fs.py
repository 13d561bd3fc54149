"""Trivy filesystem scan: vulnerable dependencies, IaC misconfigurations and secrets."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from apps.tools.adapters.base import PreparedTarget, ToolCommand
from apps.tools.adapters.toolkit import require_tree, validated_config
from apps.tools.adapters.trivy import COMMON_SCHEMA_PROPERTIES, TrivyReportParser


class TrivyFsAdapter(TrivyReportParser):
    """`trivy fs` over the prepared tree (`--format json`; full mapping on
    `TrivyReportParser`).

    Field mapping, in short: vulnerabilities → `rule_id`/`cve` = `VulnerabilityID`, package
    name/installed/fixed versions, `Severity`, `CweIDs`, `file_path` = the lockfile
    (`Results[].Target`, relative to the tree); misconfigurations (Status FAIL) → `ID`,
    `Title`, `Resolution`, `CauseMetadata` lines; secrets → `RuleID`, Trivy's masked `Match`.

    Fingerprint: vulnerabilities "<Results[].Type>:<package>:<version>:<vulnerability id>";
    misconfigurations "trivy:misconfig:<ID>:<file>:<Resource>"; secrets rule + file + the
    flagged text with the secret masked (never the line number).

    `--exit-code 0`: any other exit code is a failed run.
    """

    tool_id: ClassVar[str] = "trivy_fs"
    name: ClassVar[str] = "Trivy (filesystem)"
    category: ClassVar[str] = "sca"
    description: ClassVar[str] = (
        "Scans a source tree for vulnerable dependencies (lockfiles), IaC misconfigurations "
        "and secrets."
    )
    homepage: ClassVar[str] = "https://trivy.dev/"
    supported_asset_types: ClassVar[tuple[str, ...]] = (
        "git_repository",
        "codebase_path",
        "file_upload",
    )
    default_config: ClassVar[Mapping[str, Any]] = {
        "scanners": ["vuln", "misconfig", "secret"],
        "ignore_unfixed": False,
        "skip_db_update": False,
        "timeout_minutes": 15,
    }
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": COMMON_SCHEMA_PROPERTIES,
    }

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        cfg = validated_config(self, config)
        root = require_tree(target)
        argv = [
            self.require_executable(),
            "fs",
            *self.common_argv(cfg, output_path),
            "--",
            str(root),
        ]
        return ToolCommand(
            # Run from the output dir: trivy.yaml/.trivyignore in the tree are never read.
            argv=tuple(argv),
            output_path=output_path,
            cwd=output_path.parent,
            output_written_by_tool=True,
        )


trivy_fs = TrivyFsAdapter()
