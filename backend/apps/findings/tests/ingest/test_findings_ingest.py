"""Findings ingestion: dedupe, idempotency, stable fingerprints, auto-resolve and reopen."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.common.testing.factories import (
    ProjectFactory,
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.findings.ingest import findings_ingest
from apps.findings.lifecycle import findings_auto_resolve
from apps.findings.models import (
    Finding,
    FindingEvent,
    FindingEventType,
    FindingOccurrence,
    FindingStatus,
)
from apps.targets.models import AssetType
from apps.tools.adapters.base import NormalizedFinding

pytestmark = pytest.mark.django_db

SOURCE = """import os
import subprocess


def run(cmd):
    return subprocess.call(cmd, shell=True)


def calc(expr):
    return eval(expr)
"""


def write_tree(root: Path, text: str = SOURCE) -> Path:
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "app" / "utils.py").write_text(text)
    return root


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def code_findings(text: str = SOURCE) -> list[NormalizedFinding]:
    return [
        NormalizedFinding(
            title="subprocess call with shell=True",
            severity="high",
            rule_id="B602",
            file_path="app/utils.py",
            line_start=line_of(text, "shell=True"),
            cwe=78,
        ),
        NormalizedFinding(
            title="Use of eval",
            severity="medium",
            rule_id="B307",
            file_path="app/utils.py",
            line_start=line_of(text, "eval("),
        ),
    ]


@pytest.fixture
def setting(tmp_path):
    project = ProjectFactory()
    target = TargetAssetFactory(
        project=project, asset_type=AssetType.CODEBASE_PATH, identifier="/srv/code"
    )
    tool = ToolDefinitionFactory(slug="bandit")
    return project, target, tool, write_tree(tmp_path / "checkout-1")


def run_scan(project, target, tool, root, findings):
    scan = ScanFactory(project=project)
    result = ScanToolResultFactory(
        scan=scan, tool=tool, target=target, status="completed", config_digest="c" * 64
    )
    outcome = findings_ingest(
        project=project,
        findings=findings,
        tool=tool,
        tool_result=result,
        target=target,
        target_root=root,
    )
    return scan, result, outcome


def test_first_ingest_creates_findings_occurrences_and_events(setting):
    project, target, tool, root = setting
    scan, result, outcome = run_scan(project, target, tool, root, code_findings())
    assert (outcome.created, outcome.existing) == (2, 0)
    findings = Finding.objects.filter(project=project).order_by("rule_id")
    assert [(f.rule_id, f.severity, f.file_path, f.line_start) for f in findings] == [
        ("B307", "medium", "app/utils.py", 10),
        ("B602", "high", "app/utils.py", 6),
    ]
    assert all(f.first_seen_scan == scan and f.status == FindingStatus.NEW for f in findings)
    assert FindingOccurrence.objects.filter(tool_result=result).count() == 2
    assert FindingEvent.objects.filter(event_type=FindingEventType.CREATED).count() == 2


def test_retrying_the_same_tool_result_writes_nothing_new(setting):
    project, target, tool, root = setting
    _scan, result, _ = run_scan(project, target, tool, root, code_findings())
    again = findings_ingest(
        project=project,
        findings=code_findings(),
        tool=tool,
        tool_result=result,
        target=target,
        target_root=root,
    )
    assert (again.created, again.existing) == (0, 2)
    assert Finding.objects.count() == 2
    assert FindingOccurrence.objects.count() == 2
    assert FindingEvent.objects.count() == 2


def test_second_scan_of_unchanged_code_creates_no_new_findings(setting, tmp_path):
    project, target, tool, root = setting
    run_scan(project, target, tool, root, code_findings())
    # A new checkout in another folder: absolute paths must not matter.
    root2 = write_tree(tmp_path / "elsewhere" / "checkout-2")
    scan2, _, outcome = run_scan(project, target, tool, root2, code_findings())
    assert (outcome.created, outcome.existing) == (0, 2)
    assert set(Finding.objects.values_list("last_seen_scan", flat=True)) == {scan2.id}
    # One sighting range per finding, extended by the second scan (no row per sighting).
    assert FindingOccurrence.objects.count() == 2
    assert set(FindingOccurrence.objects.values_list("last_scan", flat=True)) == {scan2.id}


def test_moving_code_down_ten_lines_keeps_the_same_finding(setting, tmp_path):
    project, target, tool, root = setting
    run_scan(project, target, tool, root, code_findings())
    before = dict(Finding.objects.values_list("rule_id", "fingerprint"))
    moved_text = "# padding\n" * 10 + SOURCE
    moved_root = write_tree(tmp_path / "moved", moved_text)
    _, _, outcome = run_scan(project, target, tool, moved_root, code_findings(moved_text))
    assert outcome.created == 0
    after = dict(Finding.objects.values_list("rule_id", "fingerprint"))
    assert after == before
    assert Finding.objects.get(rule_id="B307").line_start == 20


def test_two_identical_lines_in_one_file_stay_two_findings(setting, tmp_path):
    project, target, tool, _ = setting
    text = "x = eval(a)\nx = eval(a)\n"
    root = write_tree(tmp_path / "dup", text)
    findings = [
        NormalizedFinding(
            title="eval", severity="medium", rule_id="B307", file_path="app/utils.py", line_start=n
        )
        for n in (1, 2)
    ]
    _, _, outcome = run_scan(project, target, tool, root, findings)
    assert outcome.created == 2


def test_same_code_in_two_targets_is_two_findings(setting, tmp_path):
    project, target, tool, root = setting
    other = TargetAssetFactory(project=project, asset_type=AssetType.CODEBASE_PATH)
    run_scan(project, target, tool, root, code_findings())
    run_scan(project, other, tool, root, code_findings())
    assert Finding.objects.count() == 4


def test_gone_finding_is_auto_resolved_and_reopened_when_back(setting):
    project, target, tool, root = setting
    run_scan(project, target, tool, root, code_findings())
    scan2, result2, _ = run_scan(project, target, tool, root, code_findings()[:1])
    assert findings_auto_resolve(scan=scan2, results=[result2]) == 1
    gone = Finding.objects.get(rule_id="B307")
    assert gone.status == FindingStatus.AUTO_RESOLVED
    assert gone.resolved_in_scan == scan2
    assert Finding.objects.get(rule_id="B602").status == FindingStatus.NEW

    _, _, outcome = run_scan(project, target, tool, root, code_findings())
    assert outcome.reopened == 1
    back = Finding.objects.get(rule_id="B307")
    assert back.status == FindingStatus.REOPENED
    assert back.resolved_in_scan is None
    assert list(back.events.values_list("event_type", flat=True)) == [
        FindingEventType.CREATED, FindingEventType.AUTO_RESOLVED, FindingEventType.REOPENED,
    ]  # fmt: skip


def test_manually_resolved_finding_reopens_with_its_previous_status(setting):
    project, target, tool, root = setting
    run_scan(project, target, tool, root, code_findings())
    Finding.objects.filter(rule_id="B602").update(status=FindingStatus.RESOLVED)
    _, _, outcome = run_scan(project, target, tool, root, code_findings())
    assert (outcome.created, outcome.existing, outcome.reopened) == (0, 2, 1)
    back = Finding.objects.get(rule_id="B602")
    assert back.status == FindingStatus.REOPENED
    event = back.events.get(event_type=FindingEventType.REOPENED)
    assert (event.from_value, event.to_value) == (FindingStatus.RESOLVED, FindingStatus.REOPENED)
    assert Finding.objects.get(rule_id="B307").status == FindingStatus.NEW


def test_deleting_a_scan_clears_the_pointers_that_have_no_database_constraint(setting):
    project, target, tool, root = setting
    scan1, _, _ = run_scan(project, target, tool, root, code_findings())
    scan2, _, _ = run_scan(project, target, tool, root, code_findings())
    scan2.delete()
    finding = Finding.objects.get(rule_id="B602")
    assert (finding.first_seen_scan_id, finding.last_seen_scan_id) == (scan1.pk, None)
    assert not FindingOccurrence.objects.filter(scan_id=scan2.pk).exists()
    scan1_id = scan1.pk
    scan1.delete()
    assert not FindingEvent.objects.filter(scan_id=scan1_id).exists()
    assert Finding.objects.get(rule_id="B602").first_seen_scan_id is None


def test_triaged_findings_stay_as_triaged(setting):
    project, target, tool, root = setting
    run_scan(project, target, tool, root, code_findings())
    Finding.objects.filter(rule_id="B307").update(status=FindingStatus.FALSE_POSITIVE)
    scan2, result2, _ = run_scan(project, target, tool, root, code_findings()[:1])
    findings_auto_resolve(scan=scan2, results=[result2])
    assert Finding.objects.get(rule_id="B307").status == FindingStatus.FALSE_POSITIVE
    run_scan(project, target, tool, root, code_findings())
    assert Finding.objects.get(rule_id="B307").status == FindingStatus.FALSE_POSITIVE


def test_ingest_uses_a_bounded_number_of_queries(setting, django_assert_max_num_queries):
    project, target, tool, _ = setting
    findings = [
        NormalizedFinding(
            title=f"dep {n}",
            severity="low",
            rule_id=f"GHSA-{n}",
            package_name=f"pkg{n}",
            package_version="1.0",
        )
        for n in range(500)
    ]
    scan = ScanFactory(project=project)
    result = ScanToolResultFactory(scan=scan, tool=tool, target=target)
    # 12 for the findings, their events and sightings; 1 for the project's SLA (due dates);
    # 7 for their issue groups (a constant number: the changed ids, the lock, a read, new
    # groups, memberships, the recount).
    with django_assert_max_num_queries(20):
        outcome = findings_ingest(
            project=project, findings=findings, tool=tool, tool_result=result, target=target
        )
    assert outcome.created == 500
