"""One-pass reader of a JSON report's top-level keys: chosen arrays item by item, the rest whole.

For reports whose findings and side data (coverage, errors) sit under different top-level
keys (Semgrep's `results`, `errors`, `paths`), so all of them are read in one pass instead of
one ijson pass per key. Each item is decoded by the standard library's C decoder
(`JSONDecoder.raw_decode`) from a buffer that holds a chunk of the file plus the item being
read, so memory stays at one item and one chunk, whatever the report's size. The errors are
those of `jsonstream`: missing or empty output, invalid JSON (including NaN/Infinity, which
ijson refuses too), and a top level that is not an object.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from apps.tools.adapters.base import ToolOutputError
from apps.tools.adapters.jsonstream import _invalid, _require_output

_CHUNK = 1 << 20
_WHITESPACE = " \t\n\r"
_NUMBER = "0123456789.eE+-"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_no_constant)


class _Bad(Exception):
    """Invalid JSON at the reader's position."""


class _Reader:
    def __init__(self, handle: IO[str], chunk: int) -> None:
        self.handle, self.chunk = handle, chunk
        self.buf, self.pos, self.eof = "", 0, False

    def more(self, size: int = 0) -> bool:
        """Append `size` characters or a chunk (dropping what was read); False at the end of
        the file."""
        if self.eof:
            return False
        data = self.handle.read(size or self.chunk)
        if not data:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + data
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next character that is not whitespace ("" at the end of the file)."""
        while True:
            buf, pos = self.buf, self.pos
            while pos < len(buf) and buf[pos] in _WHITESPACE:
                pos += 1
            self.pos = pos
            if pos < len(buf):
                return buf[pos]
            if not self.more():
                return ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise _Bad(f"expected {char!r}")
        self.pos += 1

    def value(self) -> Any:
        """The next value, decoded whole; reads on while the buffer ends inside it."""
        self.peek()
        size = self.chunk
        while True:
            size *= 2  # a value longer than the buffer is decoded again a few times, not often
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                # Read on only when the value may go on in the next chunk, so invalid JSON
                # early in a big report is not read whole.
                cut = exc.pos >= len(self.buf) - 10 or exc.msg.startswith("Unterminated string")
                if cut and self.more(size):
                    continue
                raise _Bad(str(exc)) from exc
            except ValueError as exc:  # NaN, Infinity
                raise _Bad(str(exc)) from exc
            if not self.eof and self._number_may_go_on(end) and self.more(size):
                continue
            self.pos = end
            return value

    def _number_may_go_on(self, end: int) -> bool:
        """Whether the value just read is a number that the buffer may have cut short."""
        return self.buf[self.pos] in "-0123456789" and not self.buf[end:].strip(_NUMBER)


def stream_top_level(
    output_path: Path,
    tool: str,
    *,
    streamed: Iterable[str],
    expect_keys: Iterable[str],
    chunk: int = _CHUNK,
) -> Iterator[tuple[str, Any]]:
    """(key, value) for each top-level key of the object in `output_path`, in file order; for
    a key in `streamed` whose value is an array, (key, item) for each of its items instead.
    ToolOutputError when the file is missing, empty or not JSON, and (like `jsonstream`'s
    readers) when its top level is not an object with one of `expect_keys`."""
    _require_output(output_path, tool)
    wanted = frozenset(streamed)
    expected = sorted(expect_keys)
    shape_error = ToolOutputError(
        f"{tool} report does not look like {tool} JSON output (expected a top-level "
        f"object with one of: {', '.join(expected)})"
    )
    found = False
    with output_path.open(encoding="utf-8", newline="") as handle:
        reader = _Reader(handle, chunk)
        try:
            first = reader.peek()
            if first != "{":
                if first in '["-0123456789tfn' and first:
                    reader.value()  # other JSON: its own error if it is not JSON either
                    if reader.peek() != "":
                        raise _Bad("data after the report")
                    raise shape_error
                raise _Bad("expected an object")
            reader.pos += 1
            if reader.peek() == "}":
                reader.pos += 1
            else:
                while True:
                    if reader.peek() != '"':
                        raise _Bad("expected a key")
                    key = reader.value()
                    found = found or key in expected
                    reader.expect(":")
                    if key in wanted and reader.peek() == "[":
                        yield from ((key, item) for item in _items(reader))
                    else:
                        yield key, reader.value()
                    if reader.peek() == "}":
                        reader.pos += 1
                        break
                    reader.expect(",")
            if reader.peek() != "":
                raise _Bad("data after the report")
        except (_Bad, UnicodeDecodeError) as exc:
            raise _invalid(output_path, tool, exc) from exc
    if not found:
        raise shape_error


def _items(reader: _Reader) -> Iterator[Any]:
    reader.pos += 1  # the "["
    if reader.peek() == "]":
        reader.pos += 1
        return
    while True:
        yield reader.value()
        if reader.peek() == "]":
            reader.pos += 1
            return
        reader.expect(",")
