"""Generating reports: what the PDF and HTML of the sample project say, and what they never
say (secret values); the scan report's tool runs; failure, pruning, query count."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from apps.common.testing.factories import FindingFactory, ProjectFactory, ToolDefinitionFactory
from apps.projects.services import project_delete
from apps.reports import findings_table
from apps.reports.models import Report, ReportStatus
from apps.reports.rendering import absolute_path
from apps.reports.services import report_generate, report_request, reports_prune
from apps.reports.tests.conftest import (
    ACCEPTED_UNTIL,
    AWS_KEY,
    PASSWORD,
    pdf_page_png,
    pdf_text,
)

pytestmark = pytest.mark.django_db


def _generate(project, fmt, user=None, **kwargs) -> Report:
    report = report_request(project=project, user=user, format=fmt, **kwargs)
    done = report_generate(report_id=report.pk)
    assert done is not None
    assert done.status == ReportStatus.READY, done.error
    return done


def _flat(text: str) -> str:
    """The text without any whitespace: PDF extraction spaces table cells unevenly."""
    return "".join(text.split())


def _has(text: str, expected: str) -> bool:
    return _flat(expected) in text


def test_the_pdf_report_lists_findings_charts_and_accepted_risks_and_masks_the_secret(
    sample, tmp_path
):
    report = _generate(sample.project, "pdf", user=sample.owner)
    path = absolute_path(report.file_path)
    content = path.read_bytes()
    assert content.startswith(b"%PDF-")
    assert report.size == len(content) and len(report.sha256) == 64
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    text = _flat(pdf_text(path))
    # Header and executive summary.
    assert _has(text, f"Security report: {sample.project.name}")
    assert _has(text, f"Requested by {sample.owner.username}")
    # Accepted and fixed findings are not open.
    assert _has(text, "5 findings are open (1 critical, 3 high, 1 medium)")
    # Open findings with their locations, rule, tool and assignee.
    for expected in (
        "SQL injection through string-built query", "shop/orders.py:42", "B608", "bandit",
        sample.member.username, "2030-01-02", "Reflected XSS in search view", "shop/search.py:7",
        "django@4.2.1", "openssl@3.0.1",
    ):  # fmt: skip
        assert _has(text, expected), expected
    # Charts, each with its numbers.
    for title in (
        "Open findings by severity per day",
        "New vs fixed per week",
        "Age of open findings",
        "Findings per tool",
    ):
        assert _has(text, title), title
    assert _has(text, "Findings per tool Tool Open New in period Trivy 2 2 Bandit 1 2")
    # Accepted risk: who, why, until when.
    accepted = text.split(_flat("Accepted risks (1)"))[1]
    assert _has(accepted, f"MD5 used for cache keys app/views.py: 10 {sample.owner.username}")
    assert _has(accepted, f"Cache keys only; no security boundary {ACCEPTED_UNTIL.isoformat()}")
    # What changed (a first report: since the period's start).
    assert _has(text, "(the period's start; first report) New findings 7 Fixed 1 Reopened 1")
    # The planted secret values appear nowhere.
    assert AWS_KEY not in text and _flat(PASSWORD) not in text
    assert AWS_KEY.encode() not in content and PASSWORD.encode() not in content
    assert _has(text, "AWS access key AKIA******** committed")

    png = pdf_page_png(path, tmp_path / "page1")
    image = Image.open(png).convert("L")
    assert image.width > 300 and image.height > 400
    low, high = image.getextrema()
    assert high - low > 100  # text on a page, not a blank one
    dark = sum(image.histogram()[:128])
    assert dark > 500
    shots = os.environ.get("SECULITE_REPORT_SHOT")
    if shots:
        Path(shots).write_bytes(pdf_page_png(path, tmp_path / "shot", dpi=90).read_bytes())


def test_the_html_report_is_self_contained_and_masks_the_secret(sample):
    report = _generate(sample.project, "html", user=sample.owner)
    html = absolute_path(report.file_path).read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "SQL injection through string-built query" in html
    assert "<svg" in html and "<title>Open findings by severity per day</title>" in html
    assert ACCEPTED_UNTIL.isoformat() in html
    assert AWS_KEY not in html and PASSWORD not in html
    # Nothing to fetch, nothing to run.
    for forbidden in ("<script", "http://", "https://", "<link", "url(", "@import"):
        assert forbidden not in html.replace('xmlns="http://www.w3.org/2000/svg"', ""), forbidden
    assert "@page" in html and "@media print" in html


def test_a_finding_title_with_markup_is_escaped(sample):
    FindingFactory(project=sample.project, title='<script>alert("x")</script><img src=x>')
    html = absolute_path(_generate(sample.project, "html").file_path).read_text()
    assert "<script>alert" not in html and "<img src=x>" not in html
    assert "&lt;script&gt;alert" in html


def test_the_second_report_says_what_changed_since_the_first(sample):
    first = _generate(sample.project, "html")
    Report.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=1))
    FindingFactory(
        project=sample.project, title="Path traversal in upload", severity="high",
        first_seen_at=timezone.now(),
    )  # fmt: skip
    html = absolute_path(_generate(sample.project, "html").file_path).read_text()
    assert "since the previous report" in html
    changes = html.split('id="changes"')[1].split('id="findings"')[0]
    assert "Path traversal in upload" in changes
    assert "SQL injection through string-built query" not in changes


def test_the_scan_report_lists_its_tools_including_the_failed_one(sample):
    report = _generate(sample.project, "pdf", scan=sample.scan)
    text = _flat(pdf_text(absolute_path(report.file_path)))
    assert _has(text, f"scan #{sample.scan.pk}")
    assert _has(text, "OWASP ZAP shop-app failed 0")
    assert _has(text, "failed: its target was not analysed")
    assert _has(text, "1 of 2 tool runs did not analyse their target")
    assert _has(text, "SQL injection through string-built query")  # seen by this scan
    assert _has(text, "Fixed (1)")
    assert _has(text, "Debug mode enabled in production settings")  # fixed by this scan
    assert _has(text, "openssl: buffer overread")  # reopened by this scan
    assert not _has(text, "Reflected XSS in search view")  # not seen by this scan


def test_a_rendering_error_fails_the_report_with_a_sentence_not_a_trace(sample, monkeypatch):
    from apps.reports import services

    def broken(report):
        raise RuntimeError(f"secret {PASSWORD} in a traceback")

    monkeypatch.setattr(services, "report_document", broken)
    report = report_request(project=sample.project, user=None, format="pdf")
    done = report_generate(report_id=report.pk)
    assert done.status == ReportStatus.FAILED
    assert "could not be generated" in done.error
    assert PASSWORD not in done.error and "Traceback" not in done.error
    assert done.file_path == ""
    # A redelivered task leaves a finished report alone.
    assert report_generate(report_id=report.pk).status == ReportStatus.FAILED


def test_older_reports_are_pruned_with_their_files(sample):
    reports = [_generate(sample.project, "html") for _ in range(3)]
    paths = [absolute_path(r.file_path) for r in reports]
    assert reports_prune(project_id=sample.project.pk, keep=1) == 2
    assert list(Report.objects.filter(project=sample.project)) == [reports[-1]]
    assert [p.exists() for p in paths] == [False, False, True]


def test_deleting_the_project_deletes_its_report_files(sample, django_capture_on_commit_callbacks):
    path = absolute_path(_generate(sample.project, "html").file_path)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        project_delete(project=sample.project)
    assert not path.exists()


def _queries_for_report(project) -> int:
    report = report_request(project=project, user=None, format="html")
    with CaptureQueriesContext(connection) as queries:
        report_generate(report_id=report.pk)
    return len(queries)


def test_the_query_count_does_not_grow_with_the_findings(monkeypatch):
    # Both projects have more open findings than are listed (the rest are counted).
    monkeypatch.setattr(findings_table, "DETAIL_CAP", 2)
    tools = [ToolDefinitionFactory(slug=f"tool-{i}") for i in range(3)]
    small, large = ProjectFactory(), ProjectFactory()
    for i in range(4):
        FindingFactory(project=small, tool=tools[i % 3], first_seen_at=timezone.now())
    for i in range(60):
        FindingFactory(
            project=large, tool=tools[i % 3], severity="medium" if i % 2 else "high",
            file_path=f"app/m{i % 7}.py", rule_id=f"R{i % 5}", first_seen_at=timezone.now(),
        )  # fmt: skip
    _generate(small, "html")  # each project's second report has a previous one
    _generate(large, "html")
    assert _queries_for_report(large) == _queries_for_report(small)


def test_a_large_project_lists_the_worst_in_detail_and_counts_the_rest(monkeypatch):
    monkeypatch.setattr(findings_table, "DETAIL_CAP", 3)
    project = ProjectFactory()
    for i in range(10):
        FindingFactory(
            project=project, severity="critical" if i < 2 else "low", rule_id=f"R{i % 2}",
            file_path="lib/util.py", title=f"Issue {i}",
        )  # fmt: skip
    html = absolute_path(_generate(project, "html").file_path).read_text()
    assert "3 of 10 open findings are listed one by one" in html
    assert "the other 7 are counted per rule and file" in html
    assert "The CSV export of the findings has every one" in html
    assert "Issue 0" in html and "Issue 1" in html
