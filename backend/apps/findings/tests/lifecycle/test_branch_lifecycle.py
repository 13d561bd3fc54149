"""The lifecycle follows the default branch: a scan of another ref (a branch, a pull request)
records what it saw, creates the findings only it has seen off the default branch, and never
resolves, reopens or rewrites a finding of the default branch.

Runs on PostgreSQL (COPY path) and on the embedded SQLite default (ORM path; scripts/test.sh).
"""

from __future__ import annotations

import pytest

from apps.common.testing.factories import ScanFactory, ScanToolResultFactory
from apps.findings.ingest import findings_ingest
from apps.findings.models import Finding, FindingEventType, FindingOccurrence, FindingStatus
from apps.findings.tests.lifecycle.conftest import DIGEST_X, Looks
from apps.scans.models import Scan, ScanStatus
from apps.scans.services import execution
from apps.tools.adapters.base import NormalizedFinding

pytestmark = pytest.mark.django_db

NEW, GONE = FindingStatus.NEW, FindingStatus.AUTO_RESOLVED


def branch_scan(looks: Looks, ref: str = "feature/x") -> Scan:
    return ScanFactory(
        project=looks.project, status=ScanStatus.RUNNING, ref=ref, is_default_branch=False
    )


def at_line(rule: str, line: int, severity: str = "high") -> NormalizedFinding:
    """Rule `rule` on the same code (its snippet) at `line`: one finding wherever it moves."""
    return NormalizedFinding(
        title=f"issue {rule}", severity=severity, rule_id=rule, file_path="src/app.py",
        line_start=line, line_end=line, snippet=f"dangerous_{rule}(user_input)",
    )  # fmt: skip


def ingest(looks: Looks, scan: Scan, *findings: NormalizedFinding) -> None:
    result = ScanToolResultFactory(
        scan=scan, tool=looks.tool, target=looks.target, status="completed",
        config_digest=DIGEST_X,
    )  # fmt: skip
    findings_ingest(
        project=looks.project, findings=list(findings), tool=looks.tool, tool_result=result,
        target=looks.target,
    )  # fmt: skip


def test_a_branch_scan_resolves_nothing_on_the_default_branch(looks):
    looks.look("R1", "R2")
    branch = branch_scan(looks)
    looks.look("R1", scan=branch)  # R2 is fixed on the branch only
    assert looks.finalise(branch) == 0
    assert looks.statuses() == {"R1": NEW, "R2": NEW}
    # The default branch, scanned again without R2, does resolve it.
    scan, _ = looks.look("R1")
    assert looks.finalise(scan) == 1
    assert looks.statuses() == {"R1": NEW, "R2": GONE}


def test_scan_finalize_of_a_branch_scan_resolves_nothing(looks):
    looks.look("R1", "R2")
    branch = branch_scan(looks)
    looks.look(scan=branch, status="no_findings")
    finished = execution.scan_finalize(scan_id=branch.pk)
    assert finished.summary["resolved"] == 0
    assert looks.statuses() == {"R1": NEW, "R2": NEW}


def test_a_branch_sighting_newer_than_the_default_branch_does_not_keep_it_open(looks):
    """What a branch saw last does not count as the default branch's last sighting."""
    looks.look("R1", "R2")
    older = looks.scan()  # a default-branch scan, started before the branch scan
    looks.look("R1", "R2", scan=branch_scan(looks))
    looks.look("R1", scan=older)
    assert looks.finalise(older) == 1
    assert looks.status("R2") == GONE


def test_a_branch_scan_never_reopens_what_the_default_branch_resolved(looks):
    looks.look("R1", "R2")
    scan, _ = looks.look("R1")
    looks.finalise(scan)
    branch = branch_scan(looks)
    looks.look("R1", "R2", scan=branch)  # the branch still has R2
    gone = looks.finding("R2")
    assert gone.status == GONE
    assert not gone.events.filter(event_type=FindingEventType.REOPENED).exists()
    # The sighting itself is recorded.
    assert FindingOccurrence.objects.filter(finding=gone, scan=branch).exists()
    # Back on the default branch, it reopens.
    looks.look("R1", "R2")
    assert looks.status("R2") == FindingStatus.REOPENED


def test_a_branch_only_finding_is_off_the_default_branch_until_the_default_branch_sees_it(
    looks,
):
    ingest(looks, looks.scan(), at_line("R1", 10))
    branch = branch_scan(looks)
    ingest(looks, branch, at_line("R1", 30), at_line("R9", 40, severity="critical"))

    main = Finding.objects.get(rule_id="R1")
    assert (main.line_start, main.on_default_branch) == (10, True)  # not overwritten
    assert main.last_seen_scan_id != branch.pk
    occurrence = FindingOccurrence.objects.get(finding=main, scan=branch)
    assert occurrence.line_start == 30  # the branch's sighting, where the branch has it

    added = Finding.objects.get(rule_id="R9")
    assert (added.on_default_branch, added.status, added.line_start) == (False, NEW, 40)
    assert added.first_seen_scan_id == added.last_seen_scan_id == branch.pk

    # Another scan of the branch refreshes its own finding.
    again = branch_scan(looks)
    ingest(looks, again, at_line("R1", 31), at_line("R9", 41, severity="critical"))
    added.refresh_from_db()
    main.refresh_from_db()
    assert (added.line_start, added.last_seen_scan_id, added.on_default_branch) == (
        41,
        again.pk,
        False,
    )
    assert main.line_start == 10

    # Merged: the default branch sees it, and from now on it is a default-branch finding.
    merged = looks.scan()
    ingest(looks, merged, at_line("R1", 12), at_line("R9", 42, severity="critical"))
    added.refresh_from_db()
    main.refresh_from_db()
    assert (added.on_default_branch, added.line_start, added.last_seen_scan_id) == (
        True,
        42,
        merged.pk,
    )
    assert main.line_start == 12


def test_a_default_branch_scan_does_not_resolve_a_finding_only_a_branch_has(looks):
    looks.look("R1")
    looks.look("R1", "R3", scan=branch_scan(looks))
    scan, _ = looks.look("R1")
    assert looks.finalise(scan) == 0
    assert looks.statuses() == {"R1": NEW, "R3": NEW}
    assert looks.finding("R3").on_default_branch is False


def test_reingesting_a_branch_result_adds_nothing(looks):
    branch = branch_scan(looks)
    _, result = looks.look("R1", "R2", scan=branch)
    findings_ingest(
        project=looks.project, findings=[], tool=looks.tool, tool_result=result,
        target=looks.target,
    )  # fmt: skip
    from apps.findings.tests.lifecycle.conftest import reported

    again = findings_ingest(
        project=looks.project, findings=reported("R1", "R2"), tool=looks.tool,
        tool_result=result, target=looks.target,
    )  # fmt: skip
    assert (again.created, again.reopened) == (0, 0)
    assert Finding.objects.filter(project=looks.project).count() == 2
    assert FindingOccurrence.objects.filter(scan=branch).count() == 2
