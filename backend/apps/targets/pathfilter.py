"""Targets' include/exclude paths: the tree every code tool scans holds only the chosen files.

When a code target sets `include_paths` or `exclude_paths`, preparation builds a filtered copy
of its tree in the work directory (same relative paths, regular files only) and hands that to
the tools, so one place makes every code scanner honour the filters, whatever its own options.

Glob semantics (the README documents them; `validators.validate_path_globs` accepts them):

- a pattern is matched against the POSIX path of a file relative to the target's root
  (`src/app/main.py`); `\\` counts as `/`, a leading `./` is ignored;
- `*` matches any characters except `/`, `?` one character except `/`, `[abc]` / `[!abc]` a
  character class, and `**` as a whole segment any number of directories (`src/**/*.py`,
  `**/test_*.py`, `docs/**`);
- a pattern without `/` (other than a trailing one) matches at any depth (`*.min.js`,
  `node_modules`), one with `/` is anchored at the root (`src/legacy`);
- a pattern that matches a directory matches every file under it (`vendor`, `vendor/`,
  `vendor/**` all mean the whole folder); a trailing `/` matches directories only;
- a file is scanned when it matches some include pattern (or none is set) and no exclude
  pattern: exclude wins. Matching is case-sensitive.

Symbolic links and special files are never copied, nor VCS metadata (`.git`, `.hg`, `.svn`).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from apps.tools.adapters.base import PreparedTarget

FILTERED_DIR_NAME = "filtered"
VCS_DIRS = frozenset({".git", ".hg", ".svn"})


class PathFilterError(Exception):
    """The filters leave nothing to scan; the message is safe to show to users."""


@dataclass(frozen=True)
class CompiledGlob:
    """One glob: `file` matches a file path, `directory` a folder the glob covers whole."""

    pattern: str
    file: re.Pattern[str]
    directory: re.Pattern[str]

    def matches(self, relative: str) -> bool:
        return self.file.fullmatch(relative) is not None

    def covers(self, relative_dir: str) -> bool:
        return self.directory.fullmatch(relative_dir) is not None


def glob_compile(pattern: str) -> CompiledGlob:
    """Compile one include/exclude glob (see the module doc)."""
    text = pattern.strip().replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    text = re.sub("/{2,}", "/", text)
    directory_only = text.endswith("/")
    text = text.rstrip("/")
    if "/" not in text:
        text = "**/" + text
    segments = text.split("/")
    parts: list[str] = []
    for position, segment in enumerate(segments):
        last = position == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:[^/]+/)*")
            continue
        parts.append(_segment_to_regex(segment) + ("" if last else "/"))
    body = "".join(parts)
    # A directory pattern needs something under it; any other may also name a directory.
    suffix = "/.+" if directory_only else "(?:/.+)?"
    return CompiledGlob(
        pattern=pattern,
        file=re.compile(f"{body}{suffix}", re.DOTALL),
        directory=re.compile(body, re.DOTALL),
    )


def _segment_to_regex(segment: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(segment):
        char = segment[index]
        if char == "*":
            while index + 1 < len(segment) and segment[index + 1] == "*":
                index += 1
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = segment.find("]", index + 2)
            if end == -1:
                out.append(re.escape(char))
            else:
                inner = segment[index + 1 : end]
                negate = inner[:1] in ("!", "^")
                inner = inner[1:] if negate else inner
                escaped = inner.replace("\\", "\\\\").replace("/", "")
                out.append(f"[{'^/' if negate else ''}{escaped}]")
                index = end
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


@dataclass(frozen=True)
class PathFilter:
    """Compiled include/exclude patterns of one target."""

    include: tuple[CompiledGlob, ...]
    exclude: tuple[CompiledGlob, ...]

    @classmethod
    def from_metadata(cls, metadata: Any) -> PathFilter | None:
        """The target's filter, or None when it sets neither list."""
        metadata = metadata if isinstance(metadata, dict) else {}
        include = _patterns(metadata.get("include_paths"))
        exclude = _patterns(metadata.get("exclude_paths"))
        if not include and not exclude:
            return None
        return cls(
            include=tuple(glob_compile(p) for p in include),
            exclude=tuple(glob_compile(p) for p in exclude),
        )

    def excludes_dir(self, relative_dir: str) -> bool:
        """Whether every file under the folder is excluded (so it need not be walked)."""
        return any(glob.covers(relative_dir) for glob in self.exclude)

    def keeps(self, relative: str) -> bool:
        """Whether the file at `relative` (POSIX, relative to the root) is scanned."""
        if any(glob.matches(relative) for glob in self.exclude):
            return False
        return not self.include or any(glob.matches(relative) for glob in self.include)


def _patterns(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [p.strip() for p in value if isinstance(p, str) and p.strip()]


def filtered_files(root: Path, path_filter: PathFilter) -> Iterable[str]:
    """Relative POSIX paths of the regular files under `root` the filter keeps.

    Links are neither followed nor returned; excluded and VCS directories are not entered.
    """
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath).relative_to(root).as_posix()
        prefix = "" if base == "." else base + "/"
        dirnames[:] = sorted(
            name
            for name in dirnames
            if name not in VCS_DIRS
            and not (Path(dirpath) / name).is_symlink()
            and not path_filter.excludes_dir(prefix + name)
        )
        for name in sorted(filenames):
            relative = prefix + name
            full = Path(dirpath) / name
            if full.is_symlink() or not full.is_file():
                continue
            if path_filter.keeps(relative):
                yield relative


def _place(source: Path, dest: Path, *, link: bool) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if link:
        try:
            os.link(source, dest)
            return
        except OSError:
            pass  # another filesystem or links not allowed: copy instead
    shutil.copyfile(source, dest)


def filtered_tree_build(
    *, root: Path, path_filter: PathFilter, workdir: Path, describe: Sequence[str] = ()
) -> Path:
    """Copy the files `path_filter` keeps from `root` into `workdir/filtered` and return it.

    Files of a tree SecuLite made itself (a clone or an extracted upload inside `workdir`) are
    hard-linked; a local codebase path is copied, so no tool can ever touch the user's files.
    Raises PathFilterError when no file is left.
    """
    dest = workdir / FILTERED_DIR_NAME
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    root = root.resolve()
    link = root.is_relative_to(workdir.resolve())
    count = 0
    for relative in filtered_files(root, path_filter):
        _place(root / relative, dest / relative, link=link)
        count += 1
    if count == 0:
        detail = f" ({'; '.join(describe)})" if describe else ""
        raise PathFilterError(
            f"No file of the target is left to scan by its include/exclude paths{detail}."
        )
    return dest


def path_filter_apply(prepared: PreparedTarget, *, workdir: Path) -> PreparedTarget:
    """`prepared` with its tree replaced by the filtered copy when the target sets filters.

    Targets without a tree (URLs, hosts, images) or without filters come back unchanged.
    """
    if prepared.path is None:
        return prepared
    path_filter = PathFilter.from_metadata(dict(prepared.metadata or {}))
    if path_filter is None:
        return prepared
    metadata = dict(prepared.metadata or {})
    describe = [
        f"{key}: {', '.join(metadata[key])}"
        for key in ("include_paths", "exclude_paths")
        if metadata.get(key)
    ]
    workdir.mkdir(parents=True, exist_ok=True)
    tree = filtered_tree_build(
        root=Path(prepared.path), path_filter=path_filter, workdir=workdir, describe=describe
    )
    return replace(prepared, path=tree)
