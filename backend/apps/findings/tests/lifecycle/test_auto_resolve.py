"""Auto-resolve: only a complete (or, file by file, partial) run of the same tool, target and
effective configuration, newer than the run that last saw the finding, resolves it."""

from __future__ import annotations

import pytest

from apps.findings.models import FindingEventType, FindingStatus
from apps.findings.tests.lifecycle.conftest import DIGEST_X, DIGEST_Y

NEW, GONE = FindingStatus.NEW, FindingStatus.AUTO_RESOLVED


def partial(*unanalysed: str, count: int | None = None) -> dict:
    """Coverage of a run that could not analyse `unanalysed` (the shape the adapters write)."""
    return {
        "unit": "files",
        "analysed": 10,
        "unanalysed": [{"path": path, "reason": "timeout"} for path in unanalysed],
        "unanalysed_count": len(unanalysed) if count is None else count,
        "summary": f"10 files analysed, {len(unanalysed)} not",
    }


def test_a_complete_run_resolves_what_it_no_longer_reports(looks):
    looks.look("R1", "R2")
    scan, _ = looks.look("R1", status="completed")
    assert looks.finalise(scan) == 1
    assert looks.statuses() == {"R1": NEW, "R2": GONE}
    gone = looks.finding("R2")
    assert gone.resolved_in_scan == scan
    event = gone.events.get(event_type=FindingEventType.AUTO_RESOLVED)
    assert (event.from_value, event.to_value, event.scan) == (NEW, GONE, scan)


def test_a_run_that_reported_nothing_resolves_everything_it_saw_before(looks):
    looks.look("R1", "R2")
    scan, _ = looks.look(status="no_findings")
    assert looks.finalise(scan) == 2
    assert looks.statuses() == {"R1": GONE, "R2": GONE}


@pytest.mark.parametrize("status", ["failed", "timed_out", "cancelled", "skipped", "running"])
def test_a_run_that_did_not_finish_resolves_nothing(looks, status):
    looks.look("R1", "R2")
    scan, _ = looks.look("R1", status=status)
    assert looks.finalise(scan) == 0
    assert looks.statuses() == {"R1": NEW, "R2": NEW}


def test_a_run_with_another_configuration_does_not_close_findings_of_the_first(looks):
    """Two configurations with different rules on one target: each run of one no longer
    closes what only the other reports."""
    looks.look("R1", "R2", digest=DIGEST_X)
    scan, _ = looks.look("R1", digest=DIGEST_Y)
    assert looks.finalise(scan) == 0
    assert looks.statuses() == {"R1": NEW, "R2": NEW}
    # The first configuration, run again, still resolves what it no longer sees.
    scan, _ = looks.look(digest=DIGEST_X)
    assert looks.finalise(scan) == 1
    assert looks.statuses() == {"R1": NEW, "R2": GONE}


def test_only_the_configuration_that_saw_a_finding_last_may_resolve_it(looks):
    looks.look("R1", digest=DIGEST_X)
    looks.look("R1", digest=DIGEST_Y)  # seen last by Y
    scan, _ = looks.look(digest=DIGEST_X)
    assert looks.finalise(scan) == 0
    assert looks.status("R1") == NEW
    scan, _ = looks.look(digest=DIGEST_Y)
    assert looks.finalise(scan) == 1
    assert looks.status("R1") == GONE


def test_a_run_whose_configuration_is_unknown_resolves_nothing(looks):
    """Results recorded before configurations were compared have no digest: not comparable."""
    looks.look("R1", "R2", digest="")
    scan, _ = looks.look("R1", digest="")
    assert looks.finalise(scan) == 0
    assert looks.statuses() == {"R1": NEW, "R2": NEW}


def test_a_partial_run_resolves_only_findings_in_files_it_analysed(looks):
    looks.look("R1", "R2", "R3", "R4", "DEP")
    # src/r2.py timed out; "./src/r4.py" is R4's file, written the way some tools write it.
    scan, _ = looks.look(status="partial", coverage=partial("src/r2.py", "./src/r4.py"))
    assert looks.finalise(scan) == 2
    assert looks.statuses() == {"R1": GONE, "R2": NEW, "R3": GONE, "R4": NEW, "GHSA-1": NEW}


def test_a_partial_run_that_skipped_a_folder_keeps_the_findings_under_it(looks):
    looks.look("R1", "R2")
    scan, _ = looks.look(status="partial", coverage=partial("src"))
    assert looks.finalise(scan) == 0
    assert looks.statuses() == {"R1": NEW, "R2": NEW}


def test_a_partial_run_whose_list_of_unanalysed_files_was_cut_resolves_nothing(looks):
    looks.look("R1", "R2")
    scan, _ = looks.look(status="partial", coverage=partial("src/r2.py", count=500))
    assert looks.finalise(scan) == 0
    assert looks.statuses() == {"R1": NEW, "R2": NEW}


@pytest.mark.parametrize(
    "coverage", [{}, {"unanalysed": "src/r2.py"}, {"unanalysed": [{"reason": "?"}]}]
)
def test_a_partial_run_without_a_readable_list_resolves_nothing(looks, coverage):
    looks.look("R1", "R2")
    scan, _ = looks.look(status="partial", coverage=coverage)
    assert looks.finalise(scan) == 0
    assert looks.statuses() == {"R1": NEW, "R2": NEW}


def test_an_older_scan_finalising_last_does_not_resolve_what_a_newer_one_saw(looks):
    """Two scans of the same target and configuration at once: the older one's tool ran
    first, the newer one's tool then saw R2; the older scan finalises last."""
    looks.look("R1", "R2")  # an earlier scan
    older, newer = looks.scan(), looks.scan()
    looks.look("R1", scan=older)
    looks.look("R1", "R2", scan=newer)
    assert looks.finalise(newer) == 0
    assert looks.finalise(older) == 0
    assert looks.statuses() == {"R1": NEW, "R2": NEW}


def test_an_older_scan_does_not_reopen_what_a_newer_one_resolved(looks):
    looks.look("R1", "R2")
    older, newer = looks.scan(), looks.scan()
    looks.look("R1", scan=newer)
    assert looks.finalise(newer) == 1
    looks.look("R1", "R2", scan=older)  # the older scan's tool reports R2 only now
    assert looks.finalise(older) == 0
    assert looks.statuses() == {"R1": NEW, "R2": GONE}
    assert looks.finding("R2").resolved_in_scan == newer
    # A scan newer than the one that resolved it does reopen it.
    looks.look("R1", "R2")
    assert looks.statuses() == {"R1": NEW, "R2": FindingStatus.REOPENED}
