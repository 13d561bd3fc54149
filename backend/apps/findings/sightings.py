"""Which tool results saw a finding, stored as ranges so that history grows with changes, not
with findings times scans.

The results of one (project, tool, target, ref key) form a `SightingStream`, numbered in
ingest order (`ScanToolResult.sighting_seq`). A FindingOccurrence says the finding was seen,
at one location, by every result of its stream from `first_seq` to `last_seq`; ingest extends
the ranges that end at the previous result and opens one for anything new, moved or back after
a gap (apps.findings.ingest). So a finding is seen by result R exactly when one of its ranges
in R's stream covers R's number, and by a scan when it is seen by one of the scan's results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet

from apps.findings.models import FindingOccurrence, SightingStream
from apps.scans.models import ScanToolResult


@dataclass(frozen=True)
class Sighting:
    """Where one ingest records what it saw: its stream and its number there."""

    stream_id: int
    seq: int

    @property
    def previous(self) -> int:
        return self.seq - 1


def stream_ref_key(scan: Any) -> str:
    """ "" for a scan of the default branch (all of them share the default branch's history),
    the scan's ref otherwise."""
    return "" if getattr(scan, "is_default_branch", True) else (scan.ref or "")


@transaction.atomic
def sighting_take(*, tool_result: Any, project_id: int) -> Sighting:
    """The stream and number `tool_result` records its sightings under: the next number of its
    stream, or the one it already took (a retried ingest sees what it saw, under one number).
    The stream row stays locked until the caller's transaction ends, so an ingest run inside
    one (an import) has its stream to itself."""
    stream, _ = SightingStream.objects.select_for_update().get_or_create(
        project_id=project_id,
        tool_id=tool_result.tool_id,
        target_id=tool_result.target_id,
        ref_key=stream_ref_key(tool_result.scan),
    )
    taken = (
        ScanToolResult.objects.filter(pk=tool_result.pk)
        .values_list("sighting_stream_id", "sighting_seq")
        .get()
    )
    if taken[0] == stream.pk and taken[1] is not None:
        seq = taken[1]
    else:
        SightingStream.objects.filter(pk=stream.pk).update(head_seq=F("head_seq") + 1)
        seq = stream.head_seq + 1
        ScanToolResult.objects.filter(pk=tool_result.pk).update(
            sighting_stream_id=stream.pk, sighting_seq=seq
        )
    tool_result.sighting_stream_id, tool_result.sighting_seq = stream.pk, seq
    return Sighting(stream_id=stream.pk, seq=seq)


def stream_lock(stream_id: int) -> None:
    """Lock the stream's row for the rest of the current transaction (one batch of an ingest
    that is not inside a transaction of its caller's)."""
    list(SightingStream.objects.select_for_update().filter(pk=stream_id).values_list("pk"))


def seen_by_result(result: Any) -> Exists:
    """For a Finding queryset: whether `result` saw the finding (False if it never ingested)."""
    return Exists(
        FindingOccurrence.objects.filter(
            finding_id=OuterRef("pk"),
            stream_id=result.sighting_stream_id,
            first_seq__lte=result.sighting_seq,
            last_seq__gte=result.sighting_seq,
        )
        if result.sighting_seq is not None
        else FindingOccurrence.objects.none()
    )


def ranges_seen_by_scan(scan_id: int) -> QuerySet[FindingOccurrence]:
    """The ranges covering a result of the scan: from the scan's few results through the
    (stream, first_seq) index, never a pass over every range."""
    return FindingOccurrence.objects.filter(
        stream__tool_results__scan_id=scan_id,
        first_seq__lte=F("stream__tool_results__sighting_seq"),
        last_seq__gte=F("stream__tool_results__sighting_seq"),
    )


def seen_by_scan(scan_id: int) -> Exists:
    """For a Finding queryset: whether a result of the scan saw the finding."""
    return Exists(ranges_seen_by_scan(scan_id).filter(finding_id=OuterRef("pk")))


def results_seeing(finding_id: int) -> QuerySet[ScanToolResult]:
    """The tool results that saw the finding."""
    return ScanToolResult.objects.filter(
        sighting_stream__ranges__finding_id=finding_id,
        sighting_seq__gte=F("sighting_stream__ranges__first_seq"),
        sighting_seq__lte=F("sighting_stream__ranges__last_seq"),
    )


def ranges_record_orm(
    *,
    locations: dict[int, tuple[str, int | None, int | None]],
    sighting: Sighting,
    tool_result: Any,
    now: Any,
) -> None:
    """Record the sightings of one ingest batch (finding id → location) through the ORM, as
    ingest_postgres does in SQL: nothing for a finding a range already covers this result in
    (a retried ingest), an in-place extension of the range ending at the previous result at
    the same location, otherwise a new range."""
    q, previous = sighting.seq, sighting.previous
    near = FindingOccurrence.objects.filter(
        finding_id__in=list(locations),
        stream_id=sighting.stream_id,
        first_seq__lte=q,
        last_seq__gte=previous,
    ).values_list("pk", "finding_id", "last_seq", "file_path", "line_start", "line_end")
    covered: set[int] = set()
    extended: dict[int, int] = {}
    for pk, finding_id, last_seq, *location in near:
        if last_seq >= q:
            covered.add(finding_id)
        elif tuple(location) == locations[finding_id]:
            extended[finding_id] = max(pk, extended.get(finding_id, 0))
    extend = [pk for finding_id, pk in extended.items() if finding_id not in covered]
    if extend:
        FindingOccurrence.objects.filter(pk__in=extend, last_seq=previous).update(
            last_seq=q, last_tool_result_id=tool_result.pk, last_scan_id=tool_result.scan_id,
            last_seen_at=now,
        )  # fmt: skip
    opened = [
        FindingOccurrence(
            finding_id=finding_id,
            stream_id=sighting.stream_id,
            first_seq=q,
            last_seq=q,
            tool_result_id=tool_result.pk,
            scan_id=tool_result.scan_id,
            last_tool_result_id=tool_result.pk,
            last_scan_id=tool_result.scan_id,
            file_path=path,
            line_start=line_start,
            line_end=line_end,
            last_seen_at=now,
        )
        for finding_id, (path, line_start, line_end) in locations.items()
        if finding_id not in covered and finding_id not in extended
    ]
    if opened:
        FindingOccurrence.objects.bulk_create(opened, ignore_conflicts=True)
