"""Code context of a finding: the flagged lines and a few around them, read from the scanned tree.

Captured at ingest (the tree is gone afterwards) and stored on the finding as
`{"start": first line number, "lines": [...], "highlight": [first, last flagged line]}`, so the
finding page can show numbered lines with the flagged ones marked, for every code tool alike,
whether or not its report carries a snippet. Size-capped (lines, characters per line, bytes)
and masked: in every window, private key blocks, token shapes, values assigned to secret names
and opaque key-like literals (secrets.values_near_code); in a secret finding's window also
every literal and long high-entropy run, because the lines around a committed key often hold
more of it. A secret is never stored.
"""

from __future__ import annotations

import re
from typing import Any

from apps.findings.fingerprints import SourceReader
from apps.findings.secrets import is_secret_finding, mask_text, values_in_code, values_near_code
from apps.tools.adapters.base import NormalizedFinding
from apps.tools.adapters.common import MASK

# Lines shown before and after the flagged ones.
AROUND = 3
# A long flagged range (a whole Terraform resource) is cut to its first lines.
MAX_FLAGGED_LINES = 20
MAX_LINE_CHARS = 300
MAX_BYTES = 8_000

_KEY_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
_KEY_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
# In a secret finding's window: runs that look like key material or tokens (letters and
# digits mixed, 20 characters or more), whatever the tool's own detector matched.
_RUN = r"[A-Za-z0-9+/=_.-]"
_HIGH_ENTROPY = re.compile(rf"(?={_RUN}*\d)(?={_RUN}*[A-Za-z]){_RUN}{{20,}}")


class CodeContextReader:
    """Builds the code context of each finding of one ingest (files read once, by `reader`)."""

    def __init__(self, reader: SourceReader, tool_id: str) -> None:
        self.reader = reader
        self.tool_id = tool_id
        # Per file: the 1-based numbers of the lines inside a private key block.
        self._key_lines: dict[str, frozenset[int]] = {}
        # Per file: each line, masked, once (findings of one file share most of their lines).
        self._masked_lines: dict[str, dict[int, str]] = {}

    def __call__(self, finding: NormalizedFinding) -> dict[str, Any] | None:
        """The finding's context, or None when it has no place in a readable file."""
        start = finding.line_start
        if not start or not finding.file_path or self.reader.root is None:
            return None
        content = self.reader.file_lines(finding.file_path)
        if not content or start > len(content):
            return None
        end = min(max(finding.line_end or start, start), len(content))
        end = min(end, start + MAX_FLAGGED_LINES - 1)
        first = max(1, start - AROUND)
        last = min(len(content), end + AROUND)
        lines = [_clipped(line) for line in content[first - 1 : last]]
        lines = self._masked(finding, lines, first, content)
        first, lines = _within_bytes(lines, first, start, end)
        return {"start": first, "lines": lines, "highlight": [start, end]}

    def _masked(
        self, finding: NormalizedFinding, lines: list[str], first: int, content: list[str]
    ) -> list[str]:
        in_key = self._key_block_lines(finding.file_path, content)
        done = self._masked_lines.setdefault(finding.file_path, {})
        # Any line may hold a secret no rule flagged (a password assigned next to an eval).
        masked = []
        for number, line in enumerate(lines, start=first):
            if number in in_key:
                masked.append(MASK)
            elif number in done:
                masked.append(done[number])
            else:
                done[number] = mask_text(line, values_near_code(line))
                masked.append(done[number])
        if not is_secret_finding(self.tool_id, finding):
            return masked
        # A secret finding's window: every literal and high-entropy run too.
        values = values_in_code("\n".join(lines))
        return [
            line if line == MASK else _HIGH_ENTROPY.sub(MASK, mask_text(line, values))
            for line in masked
        ]

    def _key_block_lines(self, path: str, content: list[str]) -> frozenset[int]:
        """Lines between a private key's BEGIN and END markers (the markers excluded)."""
        if path not in self._key_lines:
            numbers: set[int] = set()
            inside = False
            if any("PRIVATE KEY" in line for line in content):
                for number, line in enumerate(content, start=1):
                    if _KEY_BEGIN.search(line):
                        inside = not _KEY_END.search(line)
                        continue
                    if inside and _KEY_END.search(line):
                        inside = False
                        continue
                    if inside:
                        numbers.add(number)
            self._key_lines[path] = frozenset(numbers)
        return self._key_lines[path]


def code_context_capture(
    finding: NormalizedFinding, reader: SourceReader, *, tool_id: str
) -> dict[str, Any] | None:
    """One finding's context (see CodeContextReader); for callers outside an ingest."""
    return CodeContextReader(reader, tool_id)(finding)


def _clipped(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 1] + "…"


def _within_bytes(lines: list[str], first: int, start: int, end: int) -> tuple[int, list[str]]:
    """Context lines dropped from the ends (after, then before) until the lines fit in
    MAX_BYTES; flagged lines are dropped from the end only when they alone do not fit."""
    chars = sum(map(len, lines)) + len(lines)
    if chars * 4 <= MAX_BYTES:  # fits whatever the characters (UTF-8 takes 4 bytes at most)
        return first, lines
    size = sum(len(line.encode("utf-8")) + 1 for line in lines)
    while size > MAX_BYTES and len(lines) > 1:
        last = first + len(lines) - 1
        if last > end or first >= start:
            removed = lines.pop()
        else:
            removed = lines.pop(0)
            first += 1
        size -= len(removed.encode("utf-8")) + 1
    return first, lines
