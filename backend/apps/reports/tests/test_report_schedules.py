"""Scheduled reports: validation, next run times, and a due schedule e-mailing its report
once with the file attached, however often beat fires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.reports.models import Report, ReportSchedule, ReportStatus
from apps.reports.schedules import next_run_after, report_schedules_run_due
from apps.reports.tests.conftest import AWS_KEY, pdf_text

pytestmark = pytest.mark.django_db


def _url(sample) -> str:
    return f"/api/v1/projects/{sample.project.pk}/report-schedules/"


def test_next_run_is_the_schedules_next_day_at_six_utc():
    monday_noon = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert next_run_after(
        frequency="weekly", weekday=0, day_of_month=1, after=monday_noon
    ) == datetime(2026, 12, 14, 6, 0, tzinfo=UTC)
    assert next_run_after(
        frequency="weekly", weekday=2, day_of_month=1, after=monday_noon
    ) == datetime(2026, 12, 9, 6, 0, tzinfo=UTC)
    assert next_run_after(
        frequency="monthly", weekday=0, day_of_month=28, after=datetime(2027, 2, 28, 7, tzinfo=UTC)
    ) == datetime(2027, 3, 28, 6, 0, tzinfo=UTC)


def test_a_member_creates_edits_and_deletes_a_schedule(sample, client_for):
    client = client_for(sample.member)
    response = client.post(
        _url(sample),
        {"frequency": "weekly", "weekday": 4, "format": "pdf",
         "recipients": ["Lead@Example.com", "lead@example.com", "ciso@example.com"]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["recipients"] == ["lead@example.com", "ciso@example.com"]
    assert datetime.fromisoformat(created["next_run_at"]).weekday() == 4
    edited = client.patch(
        f"{_url(sample)}{created['id']}/", {"frequency": "monthly", "day_of_month": 15}
    )
    assert edited.status_code == 200
    assert datetime.fromisoformat(edited.json()["next_run_at"]).day == 15
    assert client_for(sample.auditor).get(_url(sample)).json()["count"] == 1
    assert client.delete(f"{_url(sample)}{created['id']}/").status_code == 204
    assert not ReportSchedule.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"frequency": "daily", "recipients": ["a@example.com"]}, "frequency"),
        ({"frequency": "weekly", "recipients": []}, "recipients"),
        ({"frequency": "weekly", "recipients": ["not an address"]}, "recipients"),
        ({"frequency": "weekly", "recipients": [f"u{i}@example.com" for i in range(21)]},
         "recipients"),
        ({"frequency": "weekly", "weekday": 7, "recipients": ["a@example.com"]}, "weekday"),
        ({"frequency": "monthly", "day_of_month": 31, "recipients": ["a@example.com"]},
         "day_of_month"),
        ({"frequency": "weekly", "format": "xls", "recipients": ["a@example.com"]}, "format"),
        ({"frequency": "weekly", "recipients": "a@example.com"}, "recipients"),
    ],
)  # fmt: skip
def test_invalid_schedules_are_400s(sample, client_for, body, field):
    response = client_for(sample.owner).post(_url(sample), body, format="json")
    assert response.status_code == 400, response.content
    assert any(key.startswith(field) for key in response.json()["error"]["fields"])


def test_an_auditor_may_not_create_a_schedule(sample, client_for):
    response = client_for(sample.auditor).post(
        _url(sample), {"frequency": "weekly", "recipients": ["a@example.com"]}, format="json"
    )
    assert response.status_code == 403


def test_a_due_schedule_emails_its_pdf_once(sample, eager, django_capture_on_commit_callbacks):
    schedule = ReportSchedule.objects.create(
        project=sample.project, frequency="weekly", weekday=0, format="pdf",
        recipients=["lead@example.com", "ciso@example.com"],
        next_run_at=timezone.now() - timedelta(minutes=5),
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert report_schedules_run_due() == 1
    # Beat fires again (or twice at once): the schedule has moved on to its next period.
    with django_capture_on_commit_callbacks(execute=True):
        assert report_schedules_run_due() == 0

    report = Report.objects.get(schedule=schedule)
    assert report.status == ReportStatus.READY and report.emailed_at is not None
    assert report.requested_by is None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.bcc) == ["ciso@example.com", "lead@example.com"]
    assert message.to == []  # recipients do not see each other
    assert sample.project.name in message.subject
    (name, content, mimetype) = message.attachments[0]
    assert mimetype == "application/pdf" and name.endswith(".pdf")
    assert content.startswith(b"%PDF-")
    schedule.refresh_from_db()
    assert schedule.next_run_at > timezone.now() and schedule.next_run_at.weekday() == 0
    assert schedule.last_run_at is not None


def test_the_emailed_report_is_the_reports_text(
    sample, eager, django_capture_on_commit_callbacks, tmp_path
):
    ReportSchedule.objects.create(
        project=sample.project, frequency="monthly", day_of_month=1, format="pdf",
        recipients=["lead@example.com"], next_run_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        report_schedules_run_due()
    attached = tmp_path / "attached.pdf"
    attached.write_bytes(mail.outbox[0].attachments[0][1])
    text = pdf_text(attached)
    assert "SQL injection" in text and AWS_KEY not in text


def test_a_disabled_or_future_schedule_does_not_run(sample):
    ReportSchedule.objects.create(
        project=sample.project, frequency="weekly", recipients=["a@example.com"],
        enabled=False, next_run_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    ReportSchedule.objects.create(
        project=sample.project, frequency="weekly", recipients=["a@example.com"],
        next_run_at=timezone.now() + timedelta(hours=1),
    )  # fmt: skip
    assert report_schedules_run_due() == 0
    assert not Report.objects.exists()


def test_beat_looks_for_due_schedules_every_hour(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["reports-run-due"]
    assert entry["task"] == "reports.run_due"
    assert entry["schedule"] == 3600.0
