"""Internal paths out of messages users read: the worker's scan folders, temp files, scanner
cache, home and install folders become short placeholders."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings

# What may follow a path in a message: quotes, brackets, spaces, a colon and line number.
_REST = r"[^\s'\"`<>()\[\]{},;]*"
# A path starts the message or follows something that cannot be part of a longer path.
_START = r"(?<![\w/.~-])"


def _variants(path: str | Path) -> list[str]:
    """The path as written and as resolved (/tmp may be a link), longest first."""
    raw = str(path).rstrip("/")
    out = {raw}
    with contextlib.suppress(OSError):
        out.add(str(Path(raw).resolve()))
    return sorted((p for p in out if len(p) > 1), key=len, reverse=True)


def _rules() -> tuple[tuple[re.Pattern[str], str], ...]:
    from apps.tools.adapters.base import scanners_home

    rules: list[tuple[str, str]] = []
    for checkouts in _variants(getattr(settings, "SECULITE_CHECKOUT_DIR", "") or ""):
        # A scan's shared checkout (apps/scans/services/checkouts.py) and the tree in it.
        c = re.escape(checkouts)
        rules.append((rf"{_START}{c}/scan-\d+/target-\d+/src", "<target>"))
        rules.append((rf"{_START}{c}(?![\w.-]){_REST}", "<checkouts>"))
    for tmp in _variants(tempfile.gettempdir()):
        t = re.escape(tmp)
        # A scan's folder (execution.py: seculite-<scan>-<result>-*) and the tree inside it:
        # the extracted or cloned source, or its link-free or path-filtered copy.
        tree = r"/target/(?:src|filtered|contained)"
        rules.append((rf"{_START}{t}/seculite-[^/\s'\"]+{tree}", "<target>"))
        rules.append((rf"{_START}{t}/seculite-[^/\s'\"]+", "<scan folder>"))
        rules.append((rf"{_START}{t}/{_REST}", "<temp>"))
    named: list[tuple[Iterable[str], str]] = [
        (_variants(scanners_home()), "<scanners>"),
        (_variants(settings.MEDIA_ROOT), "<media>"),
        (_variants(sys.prefix), "<python>"),
        (_variants(settings.REPO_DIR), "<seculite>"),
        (_variants(Path.home()), "~"),
    ]
    for paths, label in named:
        rules.extend((rf"{_START}{re.escape(p)}(?![\w.-])", label) for p in paths if p != os.sep)
    return tuple((re.compile(pattern), label) for pattern, label in rules)


def redact_internal_paths(text: str) -> str:
    """`text` with the worker's own paths replaced (a local codebase path the user gave is
    shown as it is, unless it lies in the worker's temp folder)."""
    if not text:
        return text
    for pattern, label in _rules():
        text = pattern.sub(label, text)
    return text


def tool_error_for_users(result: Any) -> str:
    """A tool result's error message as members may read it: no worker paths, and no reply
    from a server the tool was pointed at by an override."""
    from apps.tools.overrides import withhold_url_replies

    message = redact_internal_paths(result.error_message)
    if result.status != "failed":
        return message
    overrides: Any = {}
    for tool in (result.scan.configuration_snapshot or {}).get("tools", []):
        if tool.get("id") == result.tool_id:
            overrides = tool.get("overrides") or {}
    return withhold_url_replies(message, schema=result.tool.config_schema, overrides=overrides)
