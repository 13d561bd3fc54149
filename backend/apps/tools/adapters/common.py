"""Helpers shared by the code-scanner adapters: walking a prepared tree without following
links out of it, reading source lines for snippets, masking secrets and mapping tool
severities. Reports are read by the streaming readers in `jsonstream`, never whole.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

from apps.tools.adapters.base import PreparedTarget, ToolOutputError

CODE_ASSET_TYPES: tuple[str, ...] = ("git_repository", "codebase_path", "file_upload")

# Directories never worth handing to a per-file linter: VCS metadata and installed packages.
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".tox", ".venv"})

# A JSON Schema string that cannot be read as a command-line option or hold control characters.
SAFE_TOKEN_PATTERN = r"^[^-\s][^\x00-\x1f]*$"  # noqa: S105 - a regex, not a password

MASK = "********"


def expect(value: Any, kind: type | tuple[type, ...], *, tool: str, what: str) -> Any:
    """`value` if it is of `kind`, else a ToolOutputError naming what was expected."""
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ToolOutputError(
            f"{tool} output has an unexpected shape: {what} should be {_article(names)}, "
            f"not {type(value).__name__}."
        )
    return value


def expect_kind(kind: str | None, expected: type, *, tool: str, what: str) -> None:
    """`expect` for a value a streaming pass saw only the type name of (None: absent)."""
    if kind != expected.__name__:
        raise ToolOutputError(
            f"{tool} output has an unexpected shape: {what} should be "
            f"{_article(expected.__name__)}, not {kind or 'missing'}."
        )


def _article(name: str) -> str:
    return f"an {name}" if name[:1] in "aeiou" else f"a {name}"


def tree_root(target: PreparedTarget, *, tool: str) -> Path:
    """The prepared tree a code scanner reads; a ValueError when the target has none."""
    if target.path is None:
        raise ValueError(f"{tool} scans a source tree, but this target has no prepared path.")
    root = Path(target.path)
    if not root.is_absolute():
        raise ValueError(f"{tool} needs an absolute path for the prepared tree, got {root}.")
    if not root.is_dir():
        raise ValueError(f"{tool} cannot scan {root}: it is not a directory.")
    return root


def walk_files(
    root: Path,
    matches: Callable[[Path], bool],
    *,
    max_files: int,
    max_bytes: int = 2 * 1024 * 1024,
) -> list[str]:
    """Relative paths (sorted, POSIX) of regular files under `root` that `matches` accepts.

    Symbolic links are never followed or returned, so a tool cannot be pointed outside the
    tree; VCS and dependency directories are skipped; files above `max_bytes` are skipped.
    At most `max_files` paths are returned (the first ones in sorted walk order).
    """
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            try:
                if path.is_symlink() or not path.is_file() or path.stat().st_size > max_bytes:
                    continue
            except OSError:
                continue
            if matches(path):
                found.append(path.relative_to(root).as_posix())
                if len(found) >= max_files:
                    return found
    return found


# How many input files the applicability check looks for at most (it only needs to know
# whether there are some, and roughly how many for messages).
INPUT_SCAN_LIMIT = 10_000


def tree_inputs(
    target: PreparedTarget, matches: Callable[[Path], bool], *, limit: int = INPUT_SCAN_LIMIT
) -> list[str] | None:
    """The tree's files a tool would read (as `walk_files`, any size), or None when the target
    has no prepared tree to look at."""
    if target.path is None or not Path(target.path).is_dir():
        return None
    return walk_files(Path(target.path), matches, max_files=limit, max_bytes=2**62)


def report_path(path: Any, root: Path | None) -> str:
    """A path from a tool's report, relative to the scanned tree (as findings store it)."""
    text = str(path or "").removeprefix("file://")
    if root is not None and text.startswith("/"):
        for base in (root, root.resolve()):
            try:
                return Path(text).relative_to(base).as_posix()
            except ValueError:
                continue
    return text.removeprefix("./")


def inputs_record_path(output_path: Path) -> Path:
    """Where a tool that is handed a file list keeps that list beside its report."""
    return output_path.with_name(output_path.name + ".inputs.json")


def select_inputs(
    root: Path, matches: Callable[[Path], bool], *, max_files: int, output_path: Path
) -> list[str]:
    """The files (at most `max_files`) to pass to a per-file tool; the list, and the files
    left out over the limit, are recorded beside the report for `recorded_inputs`."""
    found = walk_files(root, matches, max_files=max_files + MAX_LEFT_OUT)
    chosen, left_out = found[:max_files], found[max_files:]
    record = {"files": chosen, "left_out": left_out}
    inputs_record_path(output_path).write_text(json.dumps(record), "utf-8")
    return chosen


# How many files over a tool's max_files limit are named in its coverage.
MAX_LEFT_OUT = 200


def recorded_inputs(output_path: Path) -> tuple[list[str], list[str]] | None:
    """(files handed to the tool, files left out over its limit), or None when not recorded."""
    path = inputs_record_path(output_path)
    try:
        record = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict):
        return None
    files = [str(f) for f in record.get("files") or [] if isinstance(f, str)]
    left_out = [str(f) for f in record.get("left_out") or [] if isinstance(f, str)]
    return files, left_out


def read_head(path: Path, size: int = 256) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def source_lines(
    root: Path | None,
    relative: str,
    start: int | None,
    end: int | None = None,
    *,
    max_lines: int = 12,
    max_chars: int = 2000,
) -> str:
    """Lines `start`..`end` (1-based) of a file inside the scanned tree, or "" when the tree,
    the file or the lines are not there. Never reads outside `root`."""
    if root is None or not relative or not start or start < 1:
        return ""
    end = max(start, end or start)
    end = min(end, start + max_lines - 1)
    try:
        base = root.resolve(strict=True)
        path = (base / relative).resolve(strict=True)
        path.relative_to(base)
        if not path.is_file():
            return ""
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = list(islice(handle, start - 1, end))
    except (OSError, ValueError):
        return ""
    return "".join(lines).rstrip("\n")[:max_chars]


def mask_secret(value: str) -> str:
    """A fixed-width mask that keeps at most a 4-character prefix of a long secret (enough to
    recognise e.g. an AWS key id prefix), never its length or the rest."""
    if len(value) >= 16:
        return value[:4] + MASK
    return MASK


# Large reports repeat one message per rule thousands of times: titles are cached.
@functools.lru_cache(maxsize=4096)
def first_sentence(text: str, limit: int = 200) -> str:
    """A title from a message: its first sentence or line, cut to `limit` characters."""
    text = " ".join(text.split())
    match = re.search(r"(?<=[.!?])\s", text)
    if match and match.start() >= 12:
        text = text[: match.start()]
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def severity_from_score(score: Any) -> str | None:
    """A CVSS-like number (SARIF `security-severity`) as a SecuLite severity."""
    try:
        value = float(score)
    except (TypeError, ValueError):
        return None
    if value != value or value < 0:  # NaN or negative
        return None
    if value >= 9.0:
        return "critical"
    if value >= 7.0:
        return "high"
    if value >= 4.0:
        return "medium"
    if value > 0:
        return "low"
    return "informational"


def mapping(value: Any) -> Mapping[str, Any]:
    """`value` if it is a JSON object, else an empty one."""
    if isinstance(value, dict):  # the usual case, without the slower abstract-class check
        return value
    return value if isinstance(value, Mapping) else {}


def as_int(value: Any) -> int | None:
    """A positive line number or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.isdigit():
        return int(value) or None
    return None


def as_str_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, (list, tuple)) or (
        isinstance(value, Iterable) and not isinstance(value, (bytes, dict))
    ):
        return tuple(str(item) for item in value if isinstance(item, str) and item)
    return ()


def confidence_of(value: Any) -> str:
    """high/medium/low from a tool's confidence or SARIF precision, else unknown."""
    if isinstance(value, str):
        return _confidence_of_text(value)
    return _confidence_of_text(str(value or ""))


@functools.lru_cache(maxsize=256)
def _confidence_of_text(value: str) -> str:
    text = value.strip().lower().replace("_", "-")
    if text in {"high", "very-high", "certain"}:
        return "high"
    if text in {"medium", "moderate"}:
        return "medium"
    if text in {"low", "very-low"}:
        return "low"
    return "unknown"
