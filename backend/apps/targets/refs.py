"""Refs of targets: each target's default branch, and the check of a ref a caller names.

A ref is a branch or tag name (`feature/x`, `v1.2.0`) or a full ref (`refs/heads/main`,
`refs/pull/12/head`, `refs/merge-requests/3/head`). Only scans of a target's default branch
drive the findings' lifecycle; scans of other refs are compared with it.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError

DEFAULT_BRANCH = "main"
MAX_REF_LENGTH = 255
_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f~^:?*\[\\]")


def target_default_branch(target: Any) -> str:
    """The branch whose scans drive `target`'s findings: its `default_branch`, else the git
    branch in its metadata, else "main"."""
    if getattr(target, "default_branch", ""):
        return str(target.default_branch)
    metadata = target.metadata if isinstance(getattr(target, "metadata", None), dict) else {}
    branch = metadata.get("branch")
    return branch if isinstance(branch, str) and branch else DEFAULT_BRANCH


def ref_validate(ref: str) -> str:
    """`ref` stripped, if `git check-ref-format` would accept it; ValidationError otherwise.

    An empty ref is returned as "" (meaning: each target's default branch).
    """
    if not isinstance(ref, str):
        raise ValidationError("Give the ref as a string.", code="invalid")
    ref = ref.strip()
    if not ref:
        return ""
    if len(ref) > MAX_REF_LENGTH:
        raise ValidationError(f"A ref has at most {MAX_REF_LENGTH} characters.", code="max_length")
    problem = _ref_problem(ref)
    if problem:
        raise ValidationError(f"'{ref[:80]}' is not a valid git ref: {problem}", code="invalid")
    return ref


def _ref_problem(ref: str) -> str:
    if ref.startswith("-"):
        return "it cannot start with '-'."
    if _FORBIDDEN.search(ref):
        return "it cannot contain spaces, control characters or ~ ^ : ? * [ \\."
    if ".." in ref or "@{" in ref or "//" in ref or ref == "@":
        return "it cannot contain '..', '@{' or '//', nor be '@'."
    if ref.startswith("/") or ref.endswith(("/", ".", ".lock")):
        return "it cannot start with '/' nor end with '/', '.' or '.lock'."
    if any(part.startswith(".") or part.endswith(".lock") for part in ref.split("/")):
        return "no part of it may start with '.' or end with '.lock'."
    return ""


def ref_short_name(ref: str) -> str:
    """A branch given as a full ref (refs/heads/x) by its name (x), for comparisons."""
    return ref.removeprefix("refs/heads/")
