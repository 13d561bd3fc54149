"""History that scales: sightings are ranges of a stream's results, so an unchanged re-scan
adds no row while "seen by which scans, where" stays answerable."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.common.testing.factories import ScanFactory, ScanToolResultFactory
from apps.findings.ingest import findings_ingest
from apps.findings.ingest_postgres import BatchWriter
from apps.findings.models import Finding, FindingOccurrence, SightingStream
from apps.findings.sightings import results_seeing, seen_by_result, seen_by_scan
from apps.findings.tests.lifecycle.conftest import reported
from apps.scans.models import ScanStatus
from apps.scans.services.execution import scan_summary
from apps.scans.services.tool_results import tool_result_finish
from apps.tools.adapters.base import NormalizedFinding


def seen_in(scan) -> set[str]:
    return set(Finding.objects.filter(seen_by_scan(scan.pk)).values_list("rule_id", flat=True))


def many(count: int, prefix: str = "M") -> list[NormalizedFinding]:
    return [
        NormalizedFinding(
            title=f"issue {n}",
            severity="medium",
            rule_id=f"{prefix}{n}",
            # Per prefix: a second batch at the same lines would join the first's issue groups
            # instead of starting its own (one query fewer than a first ingest of its size).
            file_path=f"src/{prefix.lower()}{n}.py",
            line_start=n + 1,
        )
        for n in range(count)
    ]


def test_an_unchanged_rescan_adds_no_occurrence_and_both_scans_saw_everything(looks):
    rules = [f"R{n}" for n in range(1, 41)]
    first, _ = looks.look(*rules)
    assert FindingOccurrence.objects.count() == 40
    second, _ = looks.look(*rules)
    third, result = looks.look(*rules)
    assert FindingOccurrence.objects.count() == 40
    assert seen_in(first) == seen_in(second) == seen_in(third) == set(rules)
    assert set(FindingOccurrence.objects.values_list("first_seq", "last_seq")) == {(1, 3)}
    assert set(FindingOccurrence.objects.values_list("scan", "last_scan")) == {(first.pk, third.pk)}
    assert Finding.objects.filter(seen_by_result(result)).count() == 40
    assert scan_summary(scan=second, auto_resolved=0)["total"] == 40


def test_a_moved_finding_opens_a_new_range_where_it_is_now(looks):
    def at(line: int) -> list[NormalizedFinding]:
        # Anchored on its snippet, the finding stays itself when its line moves.
        return [
            replace(finding, snippet=f"call_{finding.rule_id}()", line_start=line or None)
            for finding, line in zip(reported("R1", "R2"), (line, 0), strict=True)
        ]

    first, _ = looks.look(findings=at(5))
    second, _ = looks.look(findings=at(5))
    third, _ = looks.look(findings=at(9))
    ranges = FindingOccurrence.objects.filter(finding=looks.finding("R1")).order_by("first_seq")
    assert [(r.first_seq, r.last_seq, r.line_start) for r in ranges] == [(1, 2, 5), (3, 3, 9)]
    kept = FindingOccurrence.objects.get(finding=looks.finding("R2"))
    assert (kept.first_seq, kept.last_seq, kept.last_scan_id) == (1, 3, third.pk)
    assert seen_in(first) == seen_in(second) == seen_in(third) == {"R1", "R2"}
    assert Finding.objects.count() == 2


def test_a_finding_gone_for_one_scan_then_back_has_two_ranges_and_not_the_middle_scan(looks):
    first, _ = looks.look("R1", "R2")
    middle, _ = looks.look("R2")
    last, _ = looks.look("R1", "R2")
    ranges = FindingOccurrence.objects.filter(finding=looks.finding("R1")).order_by("first_seq")
    assert [(r.first_seq, r.last_seq) for r in ranges] == [(1, 1), (3, 3)]
    assert seen_in(first) == {"R1", "R2"}
    assert seen_in(middle) == {"R2"}
    assert seen_in(last) == {"R1", "R2"}
    assert FindingOccurrence.objects.get(finding=looks.finding("R2")).sightings == 3


def test_a_result_that_ingested_nothing_breaks_the_ranges(looks):
    looks.look("R1")
    empty, _ = looks.look()
    looks.look("R1")
    assert seen_in(empty) == set()
    ranges = FindingOccurrence.objects.filter(finding=looks.finding("R1"))
    assert sorted(ranges.values_list("first_seq", "last_seq")) == [(1, 1), (3, 3)]


def test_branch_scans_keep_their_own_stream(looks):
    main, _ = looks.look("R1", "R2")
    branch = ScanFactory(
        project=looks.project, status=ScanStatus.RUNNING, ref="feature", is_default_branch=False
    )
    looks.look("R1", "R3", scan=branch)
    main_again, _ = looks.look("R1", "R2")
    streams = SightingStream.objects.filter(project=looks.project)
    assert sorted(streams.values_list("ref_key", "head_seq")) == [("", 2), ("feature", 1)]
    # The default branch's ranges run on across the branch scan in between.
    on_main = FindingOccurrence.objects.get(finding=looks.finding("R1"), stream__ref_key="")
    assert (on_main.first_seq, on_main.last_seq) == (1, 2)
    assert seen_in(branch) == {"R1", "R3"}
    assert seen_in(main) == seen_in(main_again) == {"R1", "R2"}


def test_a_retried_ingest_keeps_its_number_and_adds_nothing(looks):
    looks.look("R1", "R2")
    scan, result = looks.look("R1", "R2", "R3")
    looks.look("R1")  # a newer result of the stream has ingested meanwhile
    before = sorted(FindingOccurrence.objects.values_list("finding", "first_seq", "last_seq"))
    findings_ingest(
        project=looks.project, findings=reported("R1", "R2", "R3"), tool=looks.tool,
        tool_result=result, target=looks.target,
    )  # fmt: skip
    result.refresh_from_db()
    assert result.sighting_seq == 2
    assert sorted(FindingOccurrence.objects.values_list("finding", "first_seq", "last_seq")) == (
        before
    )
    assert seen_in(scan) == {"R1", "R2", "R3"}


def test_the_results_that_saw_a_finding(looks):
    _, first = looks.look("R1")
    _, second = looks.look("R1")
    looks.look("R2")
    _, fourth = looks.look("R1")
    saw = set(results_seeing(looks.finding("R1").pk).values_list("pk", flat=True))
    assert saw == {first.pk, second.pk, fourth.pk}


class _Unthreaded(BatchWriter):
    """Writes on the caller's thread, where the test counts the queries (the same ones)."""

    def __init__(self, statement: Any, connection: Any, *, overlapped: bool) -> None:
        super().__init__(statement, connection, overlapped=False)


def _queries_to_ingest(looks, findings: list[NormalizedFinding]) -> tuple[int, int]:
    """Queries of a first ingest and of an unchanged re-ingest of `findings`: in all, and on
    the occurrences table."""
    counts = []
    for _ in range(2):
        scan = looks.scan()
        result = ScanToolResultFactory(scan=scan, tool=looks.tool, target=looks.target)
        with CaptureQueriesContext(connection) as queries:
            findings_ingest(
                project=looks.project, findings=findings, tool=looks.tool,
                tool_result=result, target=looks.target,
            )  # fmt: skip
        ranges = [q for q in queries.captured_queries if "findingoccurrence" in q["sql"]]
        counts.append((len(queries.captured_queries), len(ranges)))
    return counts[0], counts[1]


@pytest.mark.parametrize("size", [100, 1000])
def test_ingest_queries_do_not_grow_with_the_findings(looks, size, monkeypatch):
    monkeypatch.setattr("apps.findings.ingest.BatchWriter", _Unthreaded)
    looks.look()  # the stream exists: its creation is counted by neither
    first, again = _queries_to_ingest(looks, many(size))
    small_first, small_again = _queries_to_ingest(looks, many(10, prefix="S"))
    assert FindingOccurrence.objects.count() == size + 10
    if connection.vendor == "postgresql":
        # COPY and one statement per batch (ranges included), whatever its size.
        assert (first, again) == (small_first, small_again)
        assert again[1] == 1
    else:
        # Django splits SQLite's bulk inserts by its bound-parameter limit; reading and
        # extending the ranges of an unchanged re-ingest stays two queries.
        assert again[1] == small_again[1] == 2


def test_a_failed_import_takes_no_number_and_its_result_still_ends(looks):
    scan = looks.scan()
    result = ScanToolResultFactory(scan=scan, tool=looks.tool, target=looks.target)
    with pytest.raises(RuntimeError), transaction.atomic():  # an import: all or nothing
        findings_ingest(
            project=looks.project, findings=reported("R1"), tool=looks.tool,
            tool_result=result, target=looks.target,
        )  # fmt: skip
        raise RuntimeError("the report breaks half way")
    tool_result_finish(result, "failed", error_message="Unreadable report")
    connection.check_constraints()  # what the commit checks
    result.refresh_from_db()
    assert (result.status, result.sighting_stream_id, result.sighting_seq) == ("failed", None, None)
    assert not FindingOccurrence.objects.exists()
    _, later = looks.look("R1")
    assert later.sighting_seq == 1
