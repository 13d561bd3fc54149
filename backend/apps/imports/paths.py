"""File paths of imported reports made relative to the folder the tool scanned.

A report written in CI names files under the runner's checkout (`/home/runner/work/app/app`,
`/builds/group/app`): kept absolute, the same file would differ between runners and never
match a scanned finding's path, and so its fingerprint. The caller says which folder that
was (`source_root`); paths under it are stored relative to it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator

from django.core.exceptions import ValidationError

from apps.tools.adapters.base import NormalizedFinding

_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:/")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def source_root_validate(root: str) -> str:
    """The folder as a normalised absolute path ("" when not given); refuses relative paths."""
    root = (root or "").strip().replace("\\", "/")
    if not root:
        return ""
    if _CONTROL.search(root):
        raise ValidationError("The source root holds control characters.")
    if not (root.startswith("/") or _WINDOWS_ABSOLUTE.match(root)):
        raise ValidationError(
            "Give the absolute folder the tool scanned, e.g. /home/runner/work/app/app."
        )
    return root.rstrip("/") or "/"


def relative_to_root(path: str, root: str) -> str:
    """`path` relative to `root` when it lies under it; otherwise unchanged."""
    if not root or not path:
        return path
    normalised = path.replace("\\", "/")
    prefix = root if root.endswith("/") else root + "/"
    if normalised.startswith(prefix) and len(normalised) > len(prefix):
        return normalised[len(prefix) :]
    return path


def findings_relative_to(
    findings: Iterable[NormalizedFinding], root: str
) -> Iterator[NormalizedFinding]:
    """The findings with their file paths made relative to `root` (streamed, one at a time)."""
    for finding in findings:
        relative = relative_to_root(finding.file_path, root)
        yield (
            finding
            if relative == finding.file_path
            else dataclasses.replace(finding, file_path=relative)
        )
