"""ShellCheck: bugs and unsafe constructs in shell scripts."""

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
    relative_path,
)
from apps.tools.adapters.common import (
    CODE_ASSET_TYPES,
    as_int,
    expect,
    expect_kind,
    read_head,
    recorded_inputs,
    select_inputs,
    source_lines,
    tree_inputs,
    tree_root,
)
from apps.tools.adapters.coverage import Coverage, coverage_of
from apps.tools.adapters.jsonstream import json_kind, stream_json_items

SHELL_SUFFIXES = frozenset({".sh", ".bash", ".ksh", ".dash", ".bats"})
SHELLS = frozenset({"sh", "bash", "dash", "ksh", "bats"})
LEVEL_SEVERITY = {
    "error": "medium",
    "warning": "low",
    "info": "informational",
    "style": "informational",
}
# A few checks that are security problems rather than style, with their CWE.
CODE_CWE = {
    2086: 88,  # unquoted expansion: data split into extra arguments
    2046: 88,  # unquoted command substitution, likewise
    2294: 95,  # eval of an array's joined words
}
# ShellCheck ends the message of the syntax error that stopped it with this sentence.
_GAVE_UP = "Fix any mentioned problems and try again"
# stderr of exit code 2: "<file>: <file>: openBinaryFile: does not exist (…)".
_UNREADABLE = re.compile(r"^(?P<file>[^:\n]+): (?P=file): (?P<reason>.+)$", re.MULTILINE)
_SHEBANG = re.compile(rb"^#!\s*(\S+)(?:\s+(?:-\S+\s+)*(\S+))?")


def is_shell_script(path: Path) -> bool:
    """A file ShellCheck understands: a shell suffix, or a sh/bash/dash/ksh/bats shebang."""
    if path.suffix.lower() in SHELL_SUFFIXES:
        return True
    match = _SHEBANG.match(read_head(path, 128))
    if not match:
        return False
    interpreter = Path(match.group(1).decode("utf-8", "replace")).name
    if interpreter == "env" and match.group(2):
        interpreter = Path(match.group(2).decode("utf-8", "replace")).name
    return interpreter in SHELLS


class ShellcheckAdapter(BaseAdapter):
    """ShellCheck (`shellcheck --format=json1 -- <files>`) run from the tree root.

    The adapter enumerates the scripts itself (shell suffixes and sh/bash/dash/ksh/bats
    shebangs; no symbolic links, VCS or node_modules directories, at most `max_files`) and
    passes their relative paths after `--`. With no script in the tree it checks an empty
    script from standard input, so the run still produces (empty) JSON.

    Mapping of each `comments[]` entry:
    - rule_id ← `SC<code>`; title and description ← `message`
    - severity ← `level`: error→medium, warning→low, info/style→informational
    - cwe ← a small table for security-relevant codes (e.g. SC2086 → CWE-88)
    - file_path ← `file`; line_start/line_end ← `line`/`endLine`
    - snippet ← the source lines; references ← the ShellCheck wiki page
    - evidence ← `column`/`endColumn`, whether ShellCheck offers a `fix`
    - fingerprint_hint: none; the service uses rule, file and snippet.

    Exit codes: 0 (clean) and 1 (comments) are success; 2 (some files could not be read)
    still yields the others' comments; 3 and 4 (bad options) are errors.

    Coverage ← the scripts handed to ShellCheck (recorded beside the report), less those it
    gave up on (a syntax error: the comment ending "Fix any mentioned problems and try
    again"), could not read (stderr) or that were over `max_files`: those make the run partial.
    """

    tool_id: ClassVar[str] = "shellcheck"
    name: ClassVar[str] = "ShellCheck"
    category: ClassVar[str] = "sast"
    description: ClassVar[str] = "Finds bugs and unsafe constructs in sh, bash, dash and ksh."
    homepage: ClassVar[str] = "https://www.shellcheck.net"
    supported_asset_types: ClassVar[tuple[str, ...]] = CODE_ASSET_TYPES
    binary: ClassVar[str] = "shellcheck"
    input_kind: ClassVar[str] = "shell scripts"
    success_exit_codes: ClassVar[tuple[int, ...]] = (0, 1)
    default_config: ClassVar[Mapping[str, Any]] = {
        "severity": "style",
        "exclude": [],
        "max_files": 2000,
    }
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "severity": {
                "enum": ["error", "warning", "info", "style"],
                "description": "Lowest level to report.",
            },
            "exclude": {
                "type": "array",
                "description": "ShellCheck codes to ignore, e.g. SC2034.",
                "items": {"type": "string", "pattern": "^SC[0-9]{4}$"},
                "uniqueItems": True,
                "maxItems": 200,
            },
            "max_files": {
                "type": "integer",
                "description": "Check at most this many scripts.",
                "minimum": 1,
                "maximum": 20000,
            },
        },
        "additionalProperties": False,
    }

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        root = tree_root(target, tool=self.name)
        cfg = self.config_with_defaults(config)
        severity = cfg["severity"]
        if severity not in ("error", "warning", "info", "style"):
            raise ValueError(f"invalid severity {severity!r}")
        # --norc: a .shellcheckrc of the scanned tree cannot disable checks.
        argv = [
            self.require_executable(),
            "--norc",
            "--format=json1",
            f"--severity={severity}",
        ]
        exclude = list(cfg["exclude"])
        if exclude:
            if not all(isinstance(c, str) and re.fullmatch(r"SC\d{4}", c) for c in exclude):
                raise ValueError("exclude must list ShellCheck codes such as SC2034")
            argv.append(f"--exclude={','.join(exclude)}")
        files = select_inputs(
            root, is_shell_script, max_files=int(cfg["max_files"]), output_path=output_path
        )
        if files:
            argv += ["--", *files]
        else:
            argv += ["--shell=sh", "-"]  # stdin is empty: valid, empty JSON
        return ToolCommand(argv=tuple(argv), output_path=output_path, cwd=root)

    def interpret_exit(self, *, exit_code: int, output_path: Path, stderr: str) -> ExitVerdict:
        if exit_code == 2 and output_path.exists() and output_path.stat().st_size > 0:
            return ExitVerdict(ok=True, reason="some files could not be checked")
        return super().interpret_exit(exit_code=exit_code, output_path=output_path, stderr=stderr)

    def input_files(self, *, target: PreparedTarget, config: Mapping[str, Any]) -> list[str] | None:
        return tree_inputs(target, is_shell_script)

    def coverage(self, *, output_path: Path, target: PreparedTarget, stderr: str) -> Coverage:
        recorded = recorded_inputs(output_path)
        missed: list[tuple[str, str]] = []
        for comment in stream_json_items(
            output_path, self.name, "comments.item", expect_keys=("comments",)
        ):
            if isinstance(comment, dict) and _GAVE_UP in str(comment.get("message") or ""):
                line = as_int(comment.get("line"))
                where = f" at line {line}" if line else ""
                missed.append((str(comment.get("file") or ""), f"syntax error{where}"))
        missed += [(m["file"], m["reason"][:120]) for m in _UNREADABLE.finditer(stderr or "")]
        if recorded is None:
            return coverage_of("files", None, missed, tool=self.name)
        files, left_out = recorded
        missed += [(name, "over the max_files limit") for name in left_out]
        analysed = len(set(files) - {path for path, _ in missed})
        return coverage_of("files", analysed, missed, tool=self.name)

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        # json1 is {"comments": [...]}: 'comments' comes first, so checking its type is
        # instant; the comments are then streamed one at a time.
        kind = json_kind(output_path, self.name, "comments")
        if kind is None:
            raise ToolOutputError(f"{self.name} output has no 'comments' list (not json1).")
        expect_kind(kind, list, tool=self.name, what="'comments'")
        comments = stream_json_items(output_path, self.name, "comments.item", expect_keys=None)
        for comment in comments:
            expect(comment, dict, tool=self.name, what="each comment")
            yield self._finding(comment, target.path)

    def _finding(self, comment: Mapping[str, Any], root: Path | None) -> NormalizedFinding:
        code = as_int(comment.get("code"))
        rule_id = f"SC{code}" if code else "SC"
        message = str(comment.get("message") or "").strip()
        file_path = relative_path(str(comment.get("file") or ""), root)
        line_start = as_int(comment.get("line"))
        line_end = as_int(comment.get("endLine")) or line_start
        return NormalizedFinding(
            title=message[:300] or rule_id,
            severity=LEVEL_SEVERITY.get(str(comment.get("level")), "unknown"),
            rule_id=rule_id,
            description=message,
            confidence="high",
            cwe=CODE_CWE.get(code or 0),
            file_path=file_path,
            line_start=line_start,
            line_end=line_end,
            snippet=source_lines(root, file_path, line_start, line_end),
            references=(f"https://www.shellcheck.net/wiki/{rule_id}",) if code else (),
            evidence={
                "column": comment.get("column"),
                "end_column": comment.get("endColumn"),
                "has_fix": bool(comment.get("fix")),
            },
        )


shellcheck = ShellcheckAdapter()
