"""No link out of a scanned tree: tools must never read files outside the target.

A codebase path holding `leak.py → /outside/secret.py` made Bandit report the outside file.
Trees SecuLite made itself (git checkouts, extracted archives) lose such links in place. A
codebase path is the user's folder and is scanned in place; when it holds such a link, the
tree is copied into the run's work dir without them (copying only then keeps the common case
fast). The sandbox binds only the tree, so a link that slipped through would dangle there,
but a run with reduced isolation has no such second line.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat
from pathlib import Path

from apps.tools.adapters.base import PreparedTarget

# At most this many dropped links are listed in the prepared target's metadata.
LISTED_LINKS = 50


def escaping_links(root: Path) -> list[Path]:
    """Symbolic links under `root` that resolve outside it (or cannot be resolved: loops)."""
    root = root.resolve()
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            if not path.is_symlink():
                continue
            try:
                target = path.resolve(strict=False)
            except (OSError, RuntimeError):  # a loop: never a safe link
                found.append(path)
                continue
            if target != root and not target.is_relative_to(root):
                found.append(path)
    return found


def drop_escaping_links(root: Path) -> list[str]:
    """Remove every link that leads out of `root`; their paths relative to `root`."""
    dropped = []
    for link in escaping_links(root):
        link.unlink()
        dropped.append(link.relative_to(root.resolve()).as_posix())
    return sorted(dropped)


def _special_files(directory: str, names: list[str]) -> set[str]:
    """Sockets, FIFOs and devices are never copied (reading a FIFO would block)."""
    skipped = set()
    for name in names:
        mode = os.lstat(os.path.join(directory, name)).st_mode
        if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
            skipped.add(name)
    return skipped


def _copy_without_escaping_links(root: Path, dest: Path) -> list[str]:
    shutil.copytree(root, dest, symlinks=True, ignore=_special_files)
    return drop_escaping_links(dest)


def contain_links(prepared: PreparedTarget, *, workdir: Path) -> PreparedTarget:
    """The prepared target with no link out of its tree (see the module docstring)."""
    if prepared.path is None:
        return prepared
    root = Path(prepared.path).resolve()
    workdir = workdir.resolve()
    if root.is_relative_to(workdir):
        dropped = drop_escaping_links(root)
    elif escaping_links(root):
        copy = workdir / "contained"
        copy.parent.mkdir(parents=True, exist_ok=True)
        dropped = _copy_without_escaping_links(root, copy)
        root = copy
    else:
        return prepared
    metadata = dict(prepared.metadata)
    if dropped:
        metadata["dropped_links"] = dropped[:LISTED_LINKS]
    return dataclasses.replace(prepared, path=root, metadata=metadata)
