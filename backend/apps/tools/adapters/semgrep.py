"""Semgrep with SecuLite's own rule files (`semgrep_rules/`), offline and without telemetry."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
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
    SAFE_TOKEN_PATTERN,
    SKIP_DIRS,
    as_int,
    as_str_tuple,
    confidence_of,
    expect,
    first_sentence,
    mapping,
    report_path,
    source_lines,
    tree_inputs,
    tree_root,
)
from apps.tools.adapters.coverage import Coverage, coverage_of
from apps.tools.adapters.hadolint import is_dockerfile
from apps.tools.adapters.jsontop import stream_top_level
from apps.tools.adapters.toolkit import stream_json_items

RULES_DIR = Path(__file__).resolve().with_name("semgrep_rules")
RULESETS: tuple[str, ...] = ("python", "javascript", "dockerfile", "secrets")

SEVERITY = {
    "CRITICAL": "critical",
    "ERROR": "high",
    "HIGH": "high",
    "WARNING": "medium",
    "MEDIUM": "medium",
    "INFO": "low",
    "LOW": "low",
    "INVENTORY": "informational",
    "EXPERIMENT": "informational",
}
# Semgrep OSS replaces these fields with this text unless logged in to its cloud service.
REDACTED = "requires login"
# Rules about committed credentials: their matched text is never copied into a finding.
SECRET_CWES = frozenset({259, 321, 798})
# The files each shipped rule file is about (the secrets rules are regex rules: every file).
RULESET_SUFFIXES: dict[str, frozenset[str]] = {
    "python": frozenset({".py", ".pyi"}),
    "javascript": frozenset({".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs"}),
}
RULESET_KINDS = {"python": "Python", "javascript": "JavaScript/TypeScript", "dockerfile": "Docker"}


def ruleset_path(name: str) -> Path:
    """The shipped rule file for `name`; anything but a shipped name is refused."""
    if name not in RULESETS:
        raise ValueError(f"unknown Semgrep ruleset {name!r}; choose from {', '.join(RULESETS)}")
    return RULES_DIR / f"{name}.yml"


class SemgrepAdapter(BaseAdapter):
    """Semgrep (`semgrep scan --json`) with the rule files shipped in `semgrep_rules/`.

    Config `rulesets` picks shipped files by name only (never a path or registry id); the
    scan runs with `--metrics=off --disable-version-check` so it stays offline. The tree is
    analysed as it is, whatever repository it lies in: `--no-git-ignore` (a codebase path in a
    folder its parent repository git-ignores would otherwise scan 0 files) and
    `--x-ignore-semgrepignore-files` (Semgrep's default ignore list hides `tests/`, and a
    scanned repository's own `.semgrepignore` cannot hide files from a security scan); VCS and
    installed-package directories (SKIP_DIRS) are excluded instead, as for every code tool.

    Coverage ← `paths.scanned` (files analysed) and `errors[]` with a path (files Semgrep
    could not fully analyse: syntax errors, partial parses, timeouts, memory limits), which
    make the run partial.

    Mapping of each `results[]` entry:
    - rule_id ← `check_id` (`--no-rewrite-rule-ids`, so it is the id written in the rule file)
    - severity ← `extra.severity`: ERROR/HIGH→high, WARNING/MEDIUM→medium, INFO/LOW→low,
      CRITICAL→critical, INVENTORY/EXPERIMENT→informational
    - title ← first sentence of `extra.message`; description ← the whole message
    - cwe ← `extra.metadata.cwe`; confidence ← `extra.metadata.confidence`;
      references ← the links of `extra.metadata.references`, `source` and `shortlink` (the
      registry's rule page); remediation ← `extra.metadata.remediation` (every shipped rule
      has one), else the rule's autofix as "Suggested fix: …"
    - file_path ← `path` relative to the tree; line_start/line_end ← `start.line`/`end.line`
    - snippet ← `extra.lines`, or the lines read from the tree when Semgrep redacts them;
      never for credential rules (CWE-259/321/798)
    - evidence ← start/end columns and `extra.metadata.category`
    - fingerprint_hint ← `extra.fingerprint` when Semgrep provides a real one (not the OSS
      "requires login" placeholder); otherwise the findings service uses the location.

    Exit codes: 0 (with or without findings) and 1 (findings with `--error`) are success;
    anything else is a Semgrep error. Per-file parse errors in `errors[]` do not fail the run.
    """

    tool_id: ClassVar[str] = "semgrep"
    name: ClassVar[str] = "Semgrep"
    category: ClassVar[str] = "sast"
    description: ClassVar[str] = (
        "Pattern-based static analysis for Python, JavaScript/TypeScript, Dockerfiles and "
        "committed secrets, using SecuLite's shipped rules."
    )
    homepage: ClassVar[str] = "https://semgrep.dev"
    supported_asset_types: ClassVar[tuple[str, ...]] = CODE_ASSET_TYPES
    binary: ClassVar[str] = "semgrep"
    version_args: ClassVar[tuple[str, ...]] = ("--version", "--disable-version-check")
    success_exit_codes: ClassVar[tuple[int, ...]] = (0, 1)
    default_config: ClassVar[Mapping[str, Any]] = {
        "rulesets": list(RULESETS),
        "exclude": [],
        "max_target_bytes": 1_000_000,
        "timeout_per_file": 30,
    }
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "rulesets": {
                "type": "array",
                "description": "Shipped rule files to run (by name).",
                "items": {"enum": list(RULESETS)},
                "minItems": 1,
                "uniqueItems": True,
            },
            "exclude": {
                "type": "array",
                "description": "Path globs to skip (Semgrep --exclude).",
                "items": {"type": "string", "pattern": SAFE_TOKEN_PATTERN, "maxLength": 200},
                "maxItems": 50,
            },
            "max_target_bytes": {
                "type": "integer",
                "description": "Skip files larger than this many bytes.",
                "minimum": 1000,
                "maximum": 50_000_000,
            },
            "timeout_per_file": {
                "type": "integer",
                "description": "Seconds Semgrep spends on one rule and file before giving up.",
                "minimum": 1,
                "maximum": 600,
            },
        },
        "additionalProperties": False,
    }

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        root = tree_root(target, tool=self.name)
        cfg = self.config_with_defaults(config)
        argv = [
            self.require_executable(),
            "scan",
            "--json",
            "--metrics=off",
            "--disable-version-check",
            "--no-rewrite-rule-ids",
            "--quiet",
            "--no-git-ignore",
            "--x-ignore-semgrepignore-files",
            f"--max-target-bytes={int(cfg['max_target_bytes'])}",
            f"--timeout={int(cfg['timeout_per_file'])}",
        ]
        for name in cfg["rulesets"]:
            argv += ["--config", str(ruleset_path(name))]
        for pattern in cfg["exclude"]:
            if not isinstance(pattern, str) or not pattern or pattern.startswith("-"):
                raise ValueError(f"invalid exclude pattern {pattern!r}")
            argv.append(f"--exclude={pattern}")
        argv += [f"--exclude={name}" for name in sorted(SKIP_DIRS)]
        argv += ["--", str(root)]
        return ToolCommand(
            argv=tuple(argv),
            output_path=output_path,
            env={"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"},
        )

    def input_files(self, *, target: PreparedTarget, config: Mapping[str, Any]) -> list[str] | None:
        rulesets = set(self.config_with_defaults(config)["rulesets"])
        if "secrets" in rulesets:
            return tree_inputs(target, lambda path: True)
        suffixes = frozenset().union(*(RULESET_SUFFIXES.get(name, ()) for name in rulesets))
        dockerfiles = "dockerfile" in rulesets
        return tree_inputs(
            target,
            lambda path: path.suffix.lower() in suffixes or (dockerfiles and is_dockerfile(path)),
        )

    def input_description(self, config: Mapping[str, Any]) -> str:
        rulesets = self.config_with_defaults(config)["rulesets"]
        if "secrets" in rulesets:
            return "files"
        kinds = "/".join(RULESET_KINDS[name] for name in rulesets if name in RULESET_KINDS)
        return f"{kinds} files"

    def not_applicable_reason(self, *, target: PreparedTarget, config: Mapping[str, Any]) -> str:
        files = self.input_files(target=target, config=config)
        if files is not None and not files:
            return (
                f"Not applicable: no {self.input_description(config)} in the tree for the "
                "chosen Semgrep rules."
            )
        return ""

    def coverage(self, *, output_path: Path, target: PreparedTarget, stderr: str) -> Coverage:
        scanned = stream_json_items(
            output_path, self.name, "paths.scanned.item", expect_keys=("paths",)
        )
        errors = stream_json_items(output_path, self.name, "errors.item", expect_keys=None)
        return self._coverage(scanned, errors, target.path)

    def parse_with_coverage(
        self, *, output_path: Path, target: PreparedTarget
    ) -> tuple[Iterator[NormalizedFinding], Callable[[], Coverage | None]]:
        """The findings and, once they have all been read, the coverage (None when the report
        does not tell, as `tool_coverage` says) — all from one pass over the report."""
        scanned: list[Any] = []
        errors: list[Any] = []
        read = {"to_the_end": False, "paths": False}

        def findings() -> Iterator[NormalizedFinding]:
            root = target.path
            for key, value in stream_top_level(
                output_path, self.name, streamed=("results", "errors"), expect_keys=("results",)
            ):
                if key == "results":
                    expect(value, dict, tool=self.name, what="each result")
                    yield self._finding(value, root)
                elif key == "errors":
                    if isinstance(value, dict) and value.get("path"):
                        errors.append(value)
                elif key == "paths":
                    read["paths"] = True
                    if isinstance(value, dict) and isinstance(value.get("scanned"), list):
                        scanned.extend(value["scanned"])
            read["to_the_end"] = True

        def coverage() -> Coverage | None:
            if not (read["to_the_end"] and read["paths"]):
                return None
            try:
                return self._coverage(scanned, errors, target.path)
            except (ValueError, KeyError, TypeError):
                return None

        return findings(), coverage

    def _coverage(self, scanned_paths: Any, errors: Any, root: Path | None) -> Coverage:
        """Coverage from the items of `paths.scanned` and `errors`."""
        scanned = {report_path(path, root) for path in scanned_paths}
        missed: list[tuple[str, str]] = []
        for error in errors:
            if not isinstance(error, dict) or not error.get("path"):
                continue
            kind = error.get("type")
            name = kind[0] if isinstance(kind, list) and kind else kind
            message = first_sentence(str(error.get("message") or ""), 120)
            reason = {
                "PartialParsing": "partly parsed (syntax error)",
                "Timeout": "timed out",
                "OutOfMemory": "ran out of memory",
            }.get(str(name), f"{name or 'error'}: {message}" if message else str(name))
            missed.append((report_path(error["path"], root), reason))
        missed_paths = {path for path, _ in missed}
        analysed = len(scanned - missed_paths)
        return coverage_of("files", analysed, missed, tool=self.name)

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        # Streamed result by result (ijson), so a report of any size is never held whole.
        root = target.path
        for result in stream_json_items(
            output_path, self.name, "results.item", expect_keys=("results",)
        ):
            expect(result, dict, tool=self.name, what="each result")
            yield self._finding(result, root)

    def _finding(self, result: Mapping[str, Any], root: Path | None) -> NormalizedFinding:
        extra = mapping(result.get("extra"))
        metadata = mapping(extra.get("metadata"))
        start = mapping(result.get("start"))
        end = mapping(result.get("end"))
        rule_id = str(result.get("check_id") or "unknown")
        message = str(extra.get("message") or "").strip()
        cwe = cwe_from(metadata.get("cwe"))
        file_path = relative_path(str(result.get("path") or ""), root)
        line_start = as_int(start.get("line"))
        line_end = as_int(end.get("line")) or line_start
        snippet = ""
        if cwe not in SECRET_CWES:
            lines = extra.get("lines")
            if isinstance(lines, str) and lines and lines != REDACTED:
                snippet = lines.rstrip("\n")
            else:
                snippet = source_lines(root, file_path, line_start, line_end)
        fingerprint = extra.get("fingerprint")
        links = (metadata.get("references"), metadata.get("source"), metadata.get("shortlink"))
        references = tuple(
            dict.fromkeys(
                link
                for value in links
                for link in as_str_tuple(value)
                if link.startswith(("https://", "http://"))
            )
        )
        remediation = str(metadata.get("remediation") or "").strip()
        fix = extra.get("fix")
        if not remediation and isinstance(fix, str) and fix.strip() and cwe not in SECRET_CWES:
            remediation = f"Suggested fix: {fix.strip()}"
        evidence: dict[str, Any] = {
            "column_start": start.get("col"),
            "column_end": end.get("col"),
        }
        if metadata.get("category"):
            evidence["category"] = str(metadata["category"])
        return NormalizedFinding(
            title=first_sentence(message) or rule_id,
            severity=SEVERITY.get(str(extra.get("severity", "")).upper(), "unknown"),
            rule_id=rule_id,
            description=message,
            confidence=confidence_of(metadata.get("confidence")),
            cwe=cwe,
            file_path=file_path,
            line_start=line_start,
            line_end=line_end,
            snippet=snippet,
            remediation=remediation,
            references=references,
            evidence=evidence,
            fingerprint_hint=(
                fingerprint if isinstance(fingerprint, str) and fingerprint != REDACTED else ""
            ),
        )


semgrep = SemgrepAdapter()
