"""A report imported again unchanged (the same bytes, the same target, tool and format, right
after itself) is not read again: its sightings are extended, its lifecycle applied and its
kept copy is the redacted one. Anything else takes the full read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from apps.findings.models import Finding, FindingEvent, FindingOccurrence, FindingStatus
from apps.findings.sightings import seen_by_scan
from apps.imports import repeats, running
from apps.imports.tests.conftest import sample, target_of
from apps.scans.models import ScanStatus, ScanToolResult, ToolResultStatus

pytestmark = pytest.mark.django_db


def result_of(scan: Any) -> ScanToolResult:
    return ScanToolResult.objects.get(scan=scan)


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The formats of the reports the worker read (parsed), in order."""
    seen: list[str] = []
    original = running.report_reader

    def counting(**kwargs: Any) -> Any:
        seen.append(kwargs["format_id"])
        return original(**kwargs)

    monkeypatch.setattr(running, "report_reader", counting)
    return seen


def test_an_identical_report_imported_again_is_not_read_again(project, run_import, reads):
    target = target_of(project)
    first = run_import(project, target, sample("semgrep"), "semgrep")
    events = FindingEvent.objects.count()
    second = run_import(project, target, sample("semgrep"), "semgrep")
    assert reads == ["semgrep"]
    assert second.status == ScanStatus.COMPLETED
    assert second.summary == {**first.summary, "new": 0, "existing": 22}
    result = result_of(second)
    assert result.status == ToolResultStatus.COMPLETED
    assert (result.findings_count, result.coverage) == (22, result_of(first).coverage)
    assert result.config_digest == result_of(first).config_digest
    # Both imports saw all 22, in one range each; each finding's last sighting is the second.
    assert FindingOccurrence.objects.count() == 22
    assert Finding.objects.filter(seen_by_scan(first.pk)).count() == 22
    assert Finding.objects.filter(seen_by_scan(second.pk)).count() == 22
    assert set(Finding.objects.values_list("last_seen_scan", flat=True)) == {second.pk}
    assert FindingEvent.objects.count() == events
    with result.raw_output.open("rb") as raw:
        assert raw.read() == sample("semgrep").read_bytes()


def test_a_resolved_finding_an_identical_report_reports_again_reopens(project, run_import, reads):
    target = target_of(project)
    run_import(project, target, sample("semgrep"), "semgrep")
    finding = Finding.objects.order_by("pk").first()
    assert finding is not None
    Finding.objects.filter(pk=finding.pk).update(status=FindingStatus.RESOLVED)
    again = run_import(project, target, sample("semgrep"), "semgrep")
    assert reads == ["semgrep"]
    finding.refresh_from_db()
    assert finding.status == FindingStatus.REOPENED
    assert finding.events.filter(scan=again, to_value=FindingStatus.REOPENED).exists()


def test_the_kept_copy_of_an_identical_report_keeps_no_secret(project, run_import, reads):
    report = sample("gitleaks")
    secrets = [leak["Secret"] for leak in json.loads(report.read_text())]
    target = target_of(project)
    run_import(project, target, report, "gitleaks")
    again = run_import(project, target, report, "gitleaks")
    assert reads == ["gitleaks"]
    with result_of(again).raw_output.open("rb") as raw:
        kept = raw.read().decode()
    assert kept and not [secret for secret in secrets if secret != "REDACTED" and secret in kept]


def test_a_partial_report_imported_again_is_partial_again(project, run_import, reads):
    target = target_of(project)
    first = run_import(project, target, sample("semgrep", "partial.json"), "semgrep")
    again = run_import(project, target, sample("semgrep", "partial.json"), "semgrep")
    assert reads == ["semgrep"]
    before, after = result_of(first), result_of(again)
    assert after.status == ToolResultStatus.PARTIAL
    assert (after.error_message, after.coverage) == (before.error_message, before.coverage)
    assert again.status == ScanStatus.COMPLETED_WITH_ERRORS


@pytest.mark.parametrize(
    "between",
    [
        pytest.param("other bytes", id="the same findings in other bytes"),
        pytest.param("another report", id="another report in between"),
        pytest.param("a branch", id="the same report on a branch"),
        pytest.param("another version", id="another version of the importer"),
    ],
)
def test_anything_but_the_same_report_right_after_itself_is_read(
    project, run_import, reads, monkeypatch, between
):
    target = target_of(project)
    report = sample("semgrep").read_bytes()
    run_import(project, target, report, "semgrep")
    fields: dict[str, Any] = {}
    if between == "other bytes":
        report = json.dumps(json.loads(report)).encode()
    elif between == "another report":
        run_import(project, target, sample("semgrep", "one.json"), "semgrep")
    elif between == "a branch":
        fields["ref"] = "feature/x"
    else:
        monkeypatch.setattr(repeats, "CODE_VERSION", "another")
    again = run_import(project, target, report, "semgrep", **fields)
    assert reads[-1] == "semgrep" and len(reads) == (3 if between == "another report" else 2)
    assert result_of(again).status == ToolResultStatus.COMPLETED
    assert Finding.objects.filter(seen_by_scan(again.pk)).count() == 22


def test_a_failed_import_is_no_model_for_the_same_report(project, run_import, reads):
    target = target_of(project)
    whole = sample("semgrep").read_bytes()
    broken = whole[: whole.index(b'"end"', len(whole) // 2)]
    first = run_import(project, target, broken, "semgrep")
    again = run_import(project, target, broken, "semgrep")
    assert result_of(first).status == result_of(again).status == ToolResultStatus.FAILED
    assert reads == ["semgrep", "semgrep"]
