"""What a tool run really analysed, read from the tool's own output (the `coverage` contract).

A result's coverage is stored as JSON of exactly this shape (auto-resolve reads it):
{"unit": "files"|"hosts"|"urls"|"dependencies"|"images"|"servers",
 "analysed": int or null (null: the tool does not say),
 "unanalysed": [{"path": "<relative path>", "reason": "<short>"}] (at most 200),
 "unanalysed_count": int, "summary": "<human sentence>"}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

UNITS = ("files", "hosts", "urls", "dependencies", "images", "servers")
MAX_UNANALYSED = 200
REASON_CHARS = 200


@dataclass(frozen=True)
class Coverage:
    unit: str
    analysed: int | None
    unanalysed: tuple[tuple[str, str], ...] = ()
    unanalysed_count: int = 0
    summary: str = ""

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unknown coverage unit {self.unit!r}")

    @property
    def partial(self) -> bool:
        return self.unanalysed_count > 0

    def as_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "analysed": self.analysed,
            "unanalysed": [{"path": path, "reason": reason} for path, reason in self.unanalysed],
            "unanalysed_count": self.unanalysed_count,
            "summary": self.summary,
        }


def unit_noun(unit: str, count: int | None) -> str:
    """'files' → 'file' for one, and so on."""
    if count != 1:
        return unit
    return "dependency" if unit == "dependencies" else unit[:-1]


def coverage_of(
    unit: str,
    analysed: int | None,
    unanalysed: Iterable[tuple[str, str]] = (),
    *,
    summary: str = "",
    tool: str = "The tool",
) -> Coverage:
    """A Coverage with the unanalysed list de-duplicated by path, cut to MAX_UNANALYSED (the
    count keeps the full number), and a summary written from the numbers unless given."""
    seen: dict[str, str] = {}
    for path, reason in unanalysed:
        key = str(path)
        if key not in seen:
            seen[key] = " ".join(str(reason).split())[:REASON_CHARS]
    missed = list(seen.items())
    if not summary:
        if analysed is None:
            summary = f"{tool} does not report how many {unit} it analysed"
        else:
            summary = f"{analysed} {unit_noun(unit, analysed)} analysed"
        if missed:
            summary += f"; {len(missed)} {unit_noun(unit, len(missed))} could not be analysed"
        summary += "."
    return Coverage(
        unit=unit,
        analysed=analysed,
        unanalysed=tuple(missed[:MAX_UNANALYSED]),
        unanalysed_count=len(missed),
        summary=summary,
    )


def unknown_coverage(unit: str, tool: str) -> Coverage:
    """For tools whose output says nothing about what they looked at."""
    return coverage_of(unit, None, tool=tool)
