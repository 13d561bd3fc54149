"""Stable finding fingerprints.

A fingerprint identifies "the same issue" across scans. It must survive the code moving a few
lines, ignore checkout paths and scan ids, and keep two different issues in one file apart:

- code findings: tool + rule + target + relative file + the normalised text of the flagged
  line(s) (not the line number; secret values masked);
- findings with a tool-provided stable id (SARIF partialFingerprints, secret hashes with their
  file): tool + rule + target + that id;
- dependency findings: tool + target + ecosystem/package/version/advisory (via the hint), one
  finding whichever manifest lists it;
- web findings: tool + rule + target + method + URL without query values + parameter;
- network findings: tool + rule + target + host + port.

One identity reported at two places (two equal lines in one file) stays two findings, told
apart by an ordinal in report order; the same identity reported twice at the same place (or
with no place, as dependency, web and network findings have) is one finding.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from apps.findings.secrets import is_secret_finding, mask_code
from apps.tools.adapters.base import NormalizedFinding

_WHITESPACE = re.compile(r"\s+")
_MAX_LINE_READ = 20


def _digest(*parts: object) -> str:
    joined = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(joined.encode("utf-8", "replace")).hexdigest()


def normalise_code(text: str) -> str:
    """Whitespace-insensitive form of a code excerpt."""
    return _WHITESPACE.sub(" ", text).strip()


def normalise_url(url: str) -> str:
    """Scheme, host and path; query parameter names kept, values dropped."""
    parts = urlsplit(url)
    query_names = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair})
    path = parts.path or "/"
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}?{'&'.join(query_names)}"


class SourceReader:
    """Reads flagged lines from the scanned tree, caching each file once per ingest."""

    def __init__(self, root: Path | None):
        self.root = root.resolve() if root else None
        self._cache: dict[str, list[str] | None] = {}

    def lines(self, relative: str, start: int | None, end: int | None) -> str:
        if not start:
            return ""
        content = self.file_lines(relative)
        if content is None:
            return ""
        last = min(end or start, start + _MAX_LINE_READ)
        return "\n".join(content[start - 1 : last])

    def file_lines(self, relative: str) -> list[str] | None:
        """Every line of a file of the tree (cached), or None when it cannot be read."""
        if self.root is None or not relative:
            return None
        if relative not in self._cache:
            self._cache[relative] = self._read(relative)
        return self._cache[relative]

    def _read(self, relative: str) -> list[str] | None:
        assert self.root is not None
        candidate = (self.root / relative).resolve()
        # A reported path must stay inside the scanned tree.
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        try:
            return candidate.read_text("utf-8", "replace").splitlines()
        except OSError:
            return None


def code_context(finding: NormalizedFinding, reader: SourceReader, *, secret: bool = False) -> str:
    """The text the fingerprint rests on for a code finding: the source line(s) if readable,
    else the tool's snippet; with secret values masked for a secret finding, so neither a
    hash of the secret is kept nor does rotating it change the finding."""
    text = reader.lines(finding.file_path, finding.line_start, finding.line_end)
    text = text or finding.snippet
    return normalise_code(mask_code(text) if secret else text)


def fingerprints_for(
    findings: Iterable[NormalizedFinding],
    *,
    tool_id: str,
    target_key: str,
    reader: SourceReader,
) -> Iterator[tuple[str, NormalizedFinding]]:
    """(fingerprint, finding) for each finding, in order. A key reported at several places
    gets an ordinal per place, so two equal lines in one file stay two findings while an
    entry a report repeats stays one."""
    places: dict[str, list[tuple[str, int, int | None] | None]] = {}
    for finding in findings:
        if finding.fingerprint_hint:
            key = _digest("hint", tool_id, finding.rule_id, target_key, finding.fingerprint_hint)
        elif finding.url:
            key = _digest(
                "web",
                tool_id,
                finding.rule_id,
                target_key,
                finding.http_method.upper(),
                normalise_url(finding.url),
                finding.parameter,
            )
        elif finding.package_name:
            key = _digest(
                "dep",
                tool_id,
                target_key,
                finding.package_name,
                finding.package_version,
                finding.cve or finding.rule_id,
                finding.image,
            )
        elif finding.host:
            key = _digest("net", tool_id, finding.rule_id, target_key, finding.host, finding.port)
        else:
            context = code_context(finding, reader, secret=is_secret_finding(tool_id, finding))
            if not context:
                # Nothing textual to anchor on: the line number is the best we have.
                context = f"line:{finding.line_start or 0}"
            key = _digest("code", tool_id, finding.rule_id, target_key, finding.file_path, context)
        place = (
            (finding.file_path, finding.line_start, finding.line_end)
            if finding.line_start
            else None
        )
        known = places.setdefault(key, [])
        if place not in known:
            known.append(place)
        ordinal = known.index(place) + 1
        yield (key if ordinal == 1 else _digest(key, ordinal)), finding
