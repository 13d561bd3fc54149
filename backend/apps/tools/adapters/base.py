"""The adapter contract and the shared defaults every tool adapter builds on.

An adapter describes one security tool: what it scans, how to build its argv from a prepared
target and a validated config, what its exit codes mean, and how to turn its raw output into
`NormalizedFinding`s. Parsers never touch the ORM; persistence and fingerprints belong to the
findings service.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from apps.tools.adapters.coverage import Coverage, unknown_coverage

SEVERITIES = ("critical", "high", "medium", "low", "informational", "unknown")
CONFIDENCES = ("high", "medium", "low", "unknown")


class ToolOutputError(Exception):
    """Raw output that cannot be parsed; the tool result fails with this message."""


@dataclass(frozen=True)
class NormalizedFinding:
    """One finding as a tool reported it, mapped onto SecuLite's fields.

    `file_path` is relative to the scanned tree's root (never a checkout path);
    `fingerprint_hint` carries a tool-provided stable id (e.g. SARIF partialFingerprints)
    that the fingerprint prefers over location-derived data.
    """

    title: str
    severity: str
    rule_id: str
    description: str = ""
    confidence: str = "unknown"
    cwe: int | None = None
    cve: str = ""
    file_path: str = ""
    line_start: int | None = None
    line_end: int | None = None
    url: str = ""
    http_method: str = ""
    parameter: str = ""
    package_name: str = ""
    package_version: str = ""
    fixed_version: str = ""
    image: str = ""
    image_layer: str = ""
    host: str = ""
    port: int | None = None
    snippet: str = ""
    remediation: str = ""
    references: tuple[str, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)
    fingerprint_hint: str = ""
    # Set by the findings service at ingest (apps.findings.code_context), never by a parser:
    # the lines around the flagged ones, read from the scanned tree.
    code_context: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        if self.confidence not in CONFIDENCES:
            raise ValueError(f"unknown confidence {self.confidence!r}")


@dataclass(frozen=True)
class PreparedTarget:
    """A target made ready for tools: a local tree for code, a checked URL/host/image."""

    asset_type: str
    identifier: str
    path: Path | None = None
    url: str = ""
    host: str = ""
    image: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # The addresses the network policy checked for `host`; network tools connect to these
    # rather than resolving the name again (no DNS rebinding between check and scan).
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class ToolCommand:
    """How to start the tool. Output goes to `output_path`: the tool's stdout is written there
    unless `output_written_by_tool` (the tool writes the file itself via an argv option)."""

    argv: tuple[str, ...]
    output_path: Path
    cwd: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    output_written_by_tool: bool = False


@dataclass(frozen=True)
class ExitVerdict:
    ok: bool
    reason: str = ""


@runtime_checkable
class ToolAdapter(Protocol):
    # Read-only members, so adapters may declare them as class attributes.
    @property
    def tool_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def homepage(self) -> str: ...
    @property
    def supported_asset_types(self) -> tuple[str, ...]: ...
    @property
    def default_config(self) -> Mapping[str, Any]: ...
    @property
    def config_schema(self) -> Mapping[str, Any]: ...

    def config_with_defaults(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The adapter's default config overlaid with a configuration's overrides."""

    def executable(self) -> str | None:
        """Absolute path of the binary on this worker, or None when it is missing."""

    def unavailable_reason(self) -> str:
        """Why the tool cannot run here ("" when it can)."""

    def version_command(self) -> tuple[str, ...] | None:
        """argv printing the tool's version, or None."""

    def parse_version(self, output: str) -> str:
        """The version from `version_command`'s output."""

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        """argv (never a shell string) for this target and validated config."""

    def interpret_exit(self, *, exit_code: int, output_path: Path, stderr: str) -> ExitVerdict:
        """Whether the run succeeded, whatever its findings."""

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        """Findings from the raw output, streamed where the format allows."""

    def input_files(self, *, target: PreparedTarget, config: Mapping[str, Any]) -> list[str] | None:
        """The tree's files this tool reads (relative, capped), or None when the tool does not
        work on files of a tree."""

    def not_applicable_reason(self, *, target: PreparedTarget, config: Mapping[str, Any]) -> str:
        """ "" when the prepared target holds something this tool analyses, else why not; decided
        before the tool runs (the result is then skipped, not failed)."""

    def coverage(self, *, output_path: Path, target: PreparedTarget, stderr: str) -> Coverage:
        """What the run analysed and what it could not, from the tool's own output."""


def scanners_home() -> Path:
    """Where the project's setup installs each scanner in an isolated environment."""
    default = Path.home() / ".cache" / "seculite" / "scanners"
    return Path(os.environ.get("SECULITE_SCANNERS_DIR", str(default)))


class BaseAdapter:
    """Shared defaults: binary lookup (isolated env first, then PATH), `--version`,
    exit code 0 means success, merged config."""

    tool_id: ClassVar[str]
    name: ClassVar[str]
    category: ClassVar[str]
    description: ClassVar[str] = ""
    homepage: ClassVar[str] = ""
    supported_asset_types: ClassVar[tuple[str, ...]] = ()
    default_config: ClassVar[Mapping[str, Any]] = {}
    config_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "properties": {},
        "additionalProperties": False,
    }
    binary: ClassVar[str]
    # What coverage counts, and how the inputs are named in messages ("Python files").
    coverage_unit: ClassVar[str] = "files"
    input_kind: ClassVar[str] = "files"
    version_args: ClassVar[tuple[str, ...]] = ("--version",)
    success_exit_codes: ClassVar[tuple[int, ...]] = (0,)
    # Sandbox (apps/tools/sandbox.py): the host network only for tools that reach a remote
    # target or a vulnerability database; a kept home for tools with a database cache.
    needs_network: ClassVar[bool] = False
    keeps_cache: ClassVar[bool] = False

    def executable(self) -> str | None:
        isolated = scanners_home() / self.tool_id / "bin" / self.binary
        if isolated.is_file() and os.access(isolated, os.X_OK):
            return str(isolated)
        return shutil.which(self.binary)

    def unavailable_reason(self) -> str:
        if self.executable() is None:
            return f"'{self.binary}' is not installed on this worker."
        return ""

    def version_command(self) -> tuple[str, ...] | None:
        exe = self.executable()
        return (exe, *self.version_args) if exe else None

    def parse_version(self, output: str) -> str:
        for token in output.replace(",", " ").split():
            stripped = token.lstrip("vV")
            if stripped[:1].isdigit() and "." in stripped:
                return stripped
        return output.strip().splitlines()[0][:100] if output.strip() else ""

    def config_with_defaults(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return {**self.default_config, **config}

    def require_executable(self) -> str:
        exe = self.executable()
        if exe is None:
            raise ToolOutputError(self.unavailable_reason())
        return exe

    def interpret_exit(self, *, exit_code: int, output_path: Path, stderr: str) -> ExitVerdict:
        if exit_code in self.success_exit_codes:
            return ExitVerdict(ok=True)
        tail = stderr.strip().splitlines()[-3:] if stderr.strip() else []
        detail = " | ".join(tail) or "no error output"
        return ExitVerdict(ok=False, reason=f"exited with code {exit_code}: {detail}")

    def input_files(self, *, target: PreparedTarget, config: Mapping[str, Any]) -> list[str] | None:
        return None

    def input_description(self, config: Mapping[str, Any]) -> str:
        """How this tool's inputs are named in messages, e.g. "Python files"."""
        return self.input_kind

    def not_applicable_reason(self, *, target: PreparedTarget, config: Mapping[str, Any]) -> str:
        files = self.input_files(target=target, config=config)
        if files is not None and not files:
            return f"Not applicable: no {self.input_kind} in the tree for {self.name} to analyse."
        return ""

    def coverage(self, *, output_path: Path, target: PreparedTarget, stderr: str) -> Coverage:
        return unknown_coverage(self.coverage_unit, self.name)


def relative_path(path: str, root: Path | None) -> str:
    """A reported path made relative to the scanned tree, so checkout locations never leak
    into findings or fingerprints."""
    if not path:
        return ""
    candidate = path.removeprefix("file://")
    if root is not None and candidate.startswith("/"):
        with contextlib.suppress(ValueError):
            candidate = str(Path(candidate).relative_to(root))
    return candidate.removeprefix("./")


def cwe_from(value: Any) -> int | None:
    """CWE number from 'CWE-79', 'CWE-79: Improper…', 79 or ['CWE-79', …]."""
    if isinstance(value, (list, tuple)):
        for item in value:
            found = cwe_from(item)
            if found is not None:
                return found
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str):
        return _cwe_from_text(value)
    return None


@functools.lru_cache(maxsize=1024)
def _cwe_from_text(value: str) -> int | None:
    text = value.upper().strip()
    if text.startswith("CWE-"):
        text = text[4:]
    digits = ""
    for char in text:
        if not char.isdigit():
            break
        digits += char
    return int(digits) if digits else None
