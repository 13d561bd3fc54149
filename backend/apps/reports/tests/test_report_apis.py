"""The reports API: request (queued, made by the worker), status, download and its headers,
validation in the API's error shape, and who may do what (the matrix has every role)."""

from __future__ import annotations

import pytest

from apps.reports.apis import HTML_REPORT_CSP
from apps.reports.models import Report, ReportStatus
from apps.reports.tests.conftest import AWS_KEY

pytestmark = pytest.mark.django_db


def _request(client, sample, django_capture_on_commit_callbacks, **body):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(f"/api/v1/projects/{sample.project.pk}/reports/", body, format="json")


def test_a_member_requests_a_pdf_report_and_downloads_it(
    sample, client_for, eager, django_capture_on_commit_callbacks
):
    client = client_for(sample.member)
    response = _request(client, sample, django_capture_on_commit_callbacks, format="pdf")
    assert response.status_code == 202, response.content
    created = response.json()
    assert created["status"] == ReportStatus.QUEUED and created["kind"] == "project"
    assert created["requested_by"]["username"] == sample.member.username

    detail = client.get(f"/api/v1/reports/{created['id']}/").json()
    assert detail["status"] == ReportStatus.READY
    assert detail["download_url"] == f"/api/v1/reports/{created['id']}/download/"

    download = client_for(sample.auditor).get(detail["download_url"])
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert body.startswith(b"%PDF-") and len(body) == detail["size"]
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment; filename=")
    assert ".pdf" in download["Content-Disposition"]

    listed = client_for(sample.auditor).get(f"/api/v1/projects/{sample.project.pk}/reports/")
    assert [r["id"] for r in listed.json()["results"]] == [created["id"]]


def test_an_html_report_is_served_with_a_csp_that_runs_nothing(
    sample, client_for, eager, django_capture_on_commit_callbacks
):
    client = client_for(sample.owner)
    created = _request(client, sample, django_capture_on_commit_callbacks, format="html").json()
    download = client.get(f"/api/v1/reports/{created['id']}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "text/html; charset=utf-8"
    assert download["Content-Security-Policy"] == HTML_REPORT_CSP
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    html = b"".join(download.streaming_content).decode()
    assert "SQL injection through string-built query" in html and AWS_KEY not in html


def test_a_scan_report_is_requested_on_the_scan(
    sample, client_for, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(sample.member).post(
            f"/api/v1/scans/{sample.scan.pk}/report/", {"format": "html"}, format="json"
        )
    assert response.status_code == 202, response.content
    report = Report.objects.get(pk=response.json()["id"])
    assert report.kind == "scan" and report.scan_id == sample.scan.pk
    assert report.status == ReportStatus.READY


def test_a_report_not_ready_is_a_409_in_the_error_shape(sample, client_for):
    report = Report.objects.create(
        project=sample.project, format="pdf", period_start="2026-01-01", period_end="2026-01-02"
    )
    response = client_for(sample.owner).get(f"/api/v1/reports/{report.pk}/download/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "report_not_ready"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "format"),
        ({"format": "docx"}, "format"),
        ({"format": "pdf", "kind": "scan"}, "kind"),
        ({"format": "pdf", "period_start": "yesterday"}, "period_start"),
        ({"format": "pdf", "period_start": "2026-02-01", "period_end": "2026-01-01"}, None),
        ({"format": "pdf", "period_end": "2999-01-01"}, None),
        ({"format": "pdf", "period_start": "2020-01-01", "period_end": "2026-01-01"}, None),
    ],
)
def test_bad_requests_are_400s_that_queue_nothing(sample, client_for, body, field):
    response = client_for(sample.owner).post(
        f"/api/v1/projects/{sample.project.pk}/reports/", body, format="json"
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    if field:
        assert field in error["fields"]
    else:
        assert error["code"] == "invalid_period"
    assert not Report.objects.exists()


def test_an_auditor_may_not_request_a_report(sample, client_for):
    response = client_for(sample.auditor).post(
        f"/api/v1/projects/{sample.project.pk}/reports/", {"format": "pdf"}, format="json"
    )
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_an_outsider_sees_no_report(sample, client_for):
    report = Report.objects.create(
        project=sample.project, format="pdf", period_start="2026-01-01", period_end="2026-01-02"
    )
    for path in (f"/api/v1/reports/{report.pk}/", f"/api/v1/reports/{report.pk}/download/"):
        assert client_for(sample.outsider).get(path).status_code == 404
