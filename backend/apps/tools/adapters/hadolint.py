"""Hadolint: Dockerfile best practices, including ShellCheck on RUN instructions."""

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
    relative_path,
)
from apps.tools.adapters.common import (
    CODE_ASSET_TYPES,
    as_int,
    expect,
    recorded_inputs,
    select_inputs,
    source_lines,
    tree_inputs,
    tree_root,
)
from apps.tools.adapters.coverage import Coverage, coverage_of
from apps.tools.adapters.jsonstream import stream_json_array
from apps.tools.adapters.tool_configs import TOOL_CONFIGS

LEVEL_SEVERITY = {
    "error": "medium",
    "warning": "low",
    "info": "informational",
    "style": "informational",
}
# Rules whose problem is a security weakness, with its CWE.
CODE_CWE = {
    "DL3002": 250,  # last USER is root
    "DL3004": 250,  # sudo in RUN
    "DL3006": 1357,  # untagged base image
    "DL3007": 1357,  # :latest base image
    "DL3020": 494,  # ADD instead of COPY
    "DL4001": 494,  # both curl and wget
}
RULE_PATTERN = r"^(DL|SC)[0-9]{4}$"


def is_dockerfile(path: Path) -> bool:
    name = path.name.lower()
    return (
        name in {"dockerfile", "containerfile"}
        or name.startswith(("dockerfile.", "containerfile."))
        or name.endswith((".dockerfile", ".containerfile"))
    )


class HadolintAdapter(BaseAdapter):
    """Hadolint (`hadolint --format=json -- <Dockerfiles>`) run from the tree root.

    The adapter finds the Dockerfiles itself (Dockerfile, Containerfile, Dockerfile.*,
    *.dockerfile; no symbolic links, VCS or node_modules directories) and passes their
    relative paths after `--`. With none in the tree it lints an empty Dockerfile from
    standard input, which yields an empty JSON list.

    Mapping of each entry of the JSON list:
    - rule_id ← `code` (DLxxxx, or SCxxxx for ShellCheck inside RUN); title ← `message`
    - severity ← `level`: error→medium, warning→low, info/style→informational
    - cwe ← a small table (e.g. DL3002 root user → CWE-250, DL3007 :latest → CWE-1357)
    - file_path ← `file`; line_start/line_end ← `line`; snippet ← that source line
    - references ← the Hadolint (DL) or ShellCheck (SC) wiki page; evidence ← `column`
    - fingerprint_hint: none; the service uses rule, file and snippet.

    Exit codes: 0 (clean) and 1 (rule violations) are success. A Dockerfile Hadolint cannot
    parse is reported as rule DL1000, not as an error. Hadolint also exits 1 when it cannot
    read a file, with no JSON; parsing then fails with that message.

    Coverage ← the Dockerfiles handed to Hadolint (recorded beside the report), less those it
    could not parse (DL1000) or that were over `max_files`: those make the run partial.
    """

    tool_id: ClassVar[str] = "hadolint"
    name: ClassVar[str] = "Hadolint"
    category: ClassVar[str] = "iac"
    description: ClassVar[str] = (
        "Lints Dockerfiles for insecure and fragile instructions, with ShellCheck on RUN."
    )
    homepage: ClassVar[str] = "https://github.com/hadolint/hadolint"
    supported_asset_types: ClassVar[tuple[str, ...]] = CODE_ASSET_TYPES
    binary: ClassVar[str] = "hadolint"
    input_kind: ClassVar[str] = "Dockerfiles"
    success_exit_codes: ClassVar[tuple[int, ...]] = (0, 1)
    default_config: ClassVar[Mapping[str, Any]] = {"ignore": [], "max_files": 500}
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "ignore": {
                "type": "array",
                "description": "Rule codes to ignore, e.g. DL3008.",
                "items": {"type": "string", "pattern": RULE_PATTERN},
                "uniqueItems": True,
                "maxItems": 200,
            },
            "max_files": {
                "type": "integer",
                "description": "Lint at most this many Dockerfiles.",
                "minimum": 1,
                "maximum": 5000,
            },
        },
        "additionalProperties": False,
    }

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        root = tree_root(target, tool=self.name)
        cfg = self.config_with_defaults(config)
        # Our config, never a .hadolint.yaml of the scanned tree.
        argv = [
            self.require_executable(),
            f"--config={TOOL_CONFIGS / 'hadolint.yaml'}",
            "--format=json",
            "--no-color",
        ]
        for code in cfg["ignore"]:
            if not isinstance(code, str) or not re.fullmatch(RULE_PATTERN, code):
                raise ValueError(f"invalid Hadolint rule code {code!r}")
            argv.append(f"--ignore={code}")
        files = select_inputs(
            root, is_dockerfile, max_files=int(cfg["max_files"]), output_path=output_path
        )
        argv += ["--", *files] if files else ["-"]
        return ToolCommand(argv=tuple(argv), output_path=output_path, cwd=root)

    def input_files(self, *, target: PreparedTarget, config: Mapping[str, Any]) -> list[str] | None:
        return tree_inputs(target, is_dockerfile)

    def coverage(self, *, output_path: Path, target: PreparedTarget, stderr: str) -> Coverage:
        missed = [
            (str(entry.get("file") or ""), f"syntax error at line {entry.get('line')}")
            for entry in stream_json_array(output_path, self.name)
            if isinstance(entry, dict) and entry.get("code") == "DL1000"
        ]
        recorded = recorded_inputs(output_path)
        if recorded is None:
            return coverage_of("files", None, missed, tool=self.name)
        files, left_out = recorded
        missed += [(name, "over the max_files limit") for name in left_out]
        analysed = len(set(files) - {path for path, _ in missed})
        return coverage_of("files", analysed, missed, tool=self.name)

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        # Streamed entry by entry (the report is a top-level JSON array).
        for entry in stream_json_array(output_path, self.name):
            expect(entry, dict, tool=self.name, what="each entry")
            yield self._finding(entry, target.path)

    def _finding(self, entry: Mapping[str, Any], root: Path | None) -> NormalizedFinding:
        code = str(entry.get("code") or "unknown")
        message = str(entry.get("message") or "").strip()
        file_path = relative_path(str(entry.get("file") or ""), root)
        if file_path == "-":
            file_path = ""
        line = as_int(entry.get("line"))
        if code.startswith("SC"):
            references: tuple[str, ...] = (f"https://www.shellcheck.net/wiki/{code}",)
        elif code.startswith("DL"):
            references = (f"https://github.com/hadolint/hadolint/wiki/{code}",)
        else:
            references = ()
        return NormalizedFinding(
            title=message[:300] or code,
            severity=LEVEL_SEVERITY.get(str(entry.get("level")), "unknown"),
            rule_id=code,
            description=message,
            confidence="high",
            cwe=CODE_CWE.get(code),
            file_path=file_path,
            line_start=line,
            line_end=line,
            snippet=source_lines(root, file_path, line),
            references=references,
            evidence={"column": entry.get("column")},
        )


hadolint = HadolintAdapter()
