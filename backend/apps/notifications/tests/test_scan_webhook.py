"""Scan webhooks against a real HTTP server on loopback: payload, failures, policy, retries."""

from __future__ import annotations

import pytest

from apps.notifications import services, tasks, webhooks
from apps.notifications.models import Channel, DeliveryStatus, NotificationDelivery
from apps.notifications.tests.conftest import finished_scan, new_finding
from apps.scans.models import ScanStatus

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-t0ken"


def webhook_scan(project_with_roles, url: str, **config):
    """A finished scan whose configuration posts to `url`; members want no email."""
    from apps.accounts.models import UserProfile

    for user in (project_with_roles.owner, project_with_roles.member, project_with_roles.auditor):
        UserProfile.objects.create(user=user, notification_preferences={"email_enabled": False})
    config.setdefault("notify_on_completion", True)
    return finished_scan(project_with_roles.project, notify_webhook_url=url, **config)


def webhook_delivery() -> NotificationDelivery:
    return NotificationDelivery.objects.get(channel=Channel.WEBHOOK)


def test_payload_shape_and_no_secret_anywhere(
    project_with_roles, webhook_receiver, allow_loopback, caplog
):
    port = webhook_receiver.port
    url = f"http://hook-user:{SECRET}@127.0.0.1:{port}/hooks/{SECRET}?token={SECRET}"
    scan = webhook_scan(project_with_roles, url, notify_min_severity="high")
    top = new_finding(scan, "critical", "RCE in upload", file_path="api/upload.py", line_start=7)
    new_finding(scan, "medium", "Below the floor")

    outcome = services.scan_notify(scan_id=scan.pk)

    assert outcome == services.NotifyOutcome(sent=1)
    [request] = webhook_receiver.received
    assert request.path == f"/hooks/{SECRET}?token={SECRET}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == webhooks.USER_AGENT
    assert "Authorization" not in request.headers
    payload = request.json()
    assert set(payload) == {
        "event",
        "sent_at",
        "scan",
        "project",
        "configuration",
        "new_findings",
    }
    assert payload["event"] == "scan.completed"
    assert payload["scan"]["id"] == scan.pk
    assert payload["scan"]["status"] == "completed"
    assert payload["scan"]["url"] == f"https://seculite.example.com/scans/{scan.pk}"
    assert payload["scan"]["summary"] == scan.summary
    assert payload["project"] == {
        "id": scan.project_id,
        "name": scan.project.name,
        "url": f"https://seculite.example.com/projects/{scan.project_id}",
    }
    assert payload["configuration"] == {"id": scan.configuration_id, "name": "nightly"}
    assert payload["new_findings"]["min_severity"] == "high"
    assert payload["new_findings"]["counts"] == {"critical": 1}
    assert payload["new_findings"]["top"] == [
        {
            "id": top.pk,
            "title": "RCE in upload",
            "severity": "critical",
            "location": "api/upload.py:7",
            "rule_id": top.rule_id,
            "url": f"https://seculite.example.com/findings/{top.pk}",
        }
    ]
    assert SECRET not in request.body.decode()
    delivery = webhook_delivery()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.recipient == f"http://127.0.0.1:{port}/hooks/…"
    assert SECRET not in caplog.text and "hook-user" not in caplog.text
    assert f"http://127.0.0.1:{port}/hooks/…" in caplog.text


def test_a_failed_scan_is_posted_as_scan_failed(
    project_with_roles, webhook_receiver, allow_loopback
):
    scan = webhook_scan(
        project_with_roles,
        webhook_receiver.url(),
        notify_on_completion=False,
        notify_on_failure=True,
    )
    scan.status = ScanStatus.FAILED
    scan.error_message = "Trivy on image: failed"
    scan.save()

    services.scan_notify(scan_id=scan.pk)

    payload = webhook_receiver.received[0].json()
    assert payload["event"] == "scan.failed"
    assert payload["scan"]["error_message"] == "Trivy on image: failed"


def test_a_scan_completed_with_errors_is_posted_with_its_own_event(
    project_with_roles, webhook_receiver, allow_loopback
):
    scan = webhook_scan(
        project_with_roles,
        webhook_receiver.url(),
        notify_on_completion=False,
        notify_on_failure=True,
    )
    scan.status = ScanStatus.COMPLETED_WITH_ERRORS
    scan.error_message = "npm audit on web: failed"
    scan.save()

    services.scan_notify(scan_id=scan.pk)

    payload = webhook_receiver.received[0].json()
    assert payload["event"] == "scan.completed_with_errors"
    assert payload["scan"]["status"] == "completed_with_errors"
    assert payload["scan"]["error_message"] == "npm audit on web: failed"


def test_timeout_is_a_failed_attempt_with_its_reason_and_a_retry(
    project_with_roles, webhook_receiver, allow_loopback, settings
):
    settings.SECULITE_WEBHOOK_TIMEOUT_SECONDS = 0.3
    webhook_receiver.responses = [(200, 1.5)]
    scan = webhook_scan(project_with_roles, webhook_receiver.url())

    outcome = services.scan_notify(scan_id=scan.pk, final_attempt=True)

    delivery = webhook_delivery()
    # The webhook's own retries take over: the notification task has nothing to retry.
    assert outcome == services.NotifyOutcome()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error == "No answer within 0.3 s (timed out)."
    [attempt] = delivery.webhook_message.attempts.all()
    assert (attempt.ok, attempt.status_code) == (False, None)
    assert attempt.error == "No answer within 0.3 s (timed out)."
    assert 250 <= attempt.duration_ms < 1500


@pytest.mark.parametrize(
    ("status", "error", "transient"),
    [
        (500, "HTTP 500 from the webhook.", True),
        (404, "HTTP 404 from the webhook.", False),
        (302, "HTTP 302: redirects are not followed.", False),
    ],
)
def test_non_2xx_answers_fail(
    project_with_roles, webhook_receiver, allow_loopback, status, error, transient
):
    webhook_receiver.responses = [(status, 0.0)]
    scan = webhook_scan(project_with_roles, webhook_receiver.url())

    outcome = services.scan_notify(scan_id=scan.pk, final_attempt=False)

    delivery = webhook_delivery()
    assert delivery.last_error == error
    assert outcome.retry is False  # retries of a webhook are its own (webhook_deliveries)
    assert delivery.status == (DeliveryStatus.PENDING if transient else DeliveryStatus.FAILED)
    assert delivery.webhook_message.scheduled_retry == (1 if transient else 0)
    assert delivery.webhook_message.attempts.get().status_code == status
    # The redirect's Location was not followed: one request only.
    assert [r.path for r in webhook_receiver.received] == ["/hook"]


def test_private_addresses_are_refused_unless_allowed(project_with_roles, webhook_receiver):
    scan = webhook_scan(project_with_roles, webhook_receiver.url())

    outcome = services.scan_notify(scan_id=scan.pk, final_attempt=False)

    delivery = webhook_delivery()
    assert not outcome.retry and delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.startswith("Refused by the target network policy: 127.0.0.1")
    assert "SECULITE_TARGET_ALLOW" in delivery.last_error
    assert webhook_receiver.received == []


def test_deny_list_wins_over_allow(project_with_roles, webhook_receiver, settings):
    settings.SECULITE_TARGET_ALLOW = ["127.0.0.0/8"]
    settings.SECULITE_TARGET_DENY = ["127.0.0.1/32"]
    scan = webhook_scan(project_with_roles, webhook_receiver.url())
    services.scan_notify(scan_id=scan.pk)
    assert "SECULITE_TARGET_DENY" in webhook_delivery().last_error
    assert webhook_receiver.received == []


def test_the_connection_goes_to_the_address_that_was_checked(
    project_with_roles, webhook_receiver, monkeypatch
):
    """A host name is resolved once, by the policy check; the POST connects to that address
    (here a name that does not resolve at all), so a second DNS answer cannot redirect it."""
    import ipaddress

    checked: list[str] = []

    def policy_check(host: str):
        checked.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    monkeypatch.setattr(webhooks, "target_policy_check", policy_check)
    url = f"http://hooks.seculite.invalid:{webhook_receiver.port}/hook"
    scan = webhook_scan(project_with_roles, url)

    services.scan_notify(scan_id=scan.pk)

    assert checked == ["hooks.seculite.invalid"]
    assert webhook_delivery().status == DeliveryStatus.SENT
    assert webhook_receiver.received[0].headers["Host"] == (
        f"hooks.seculite.invalid:{webhook_receiver.port}"
    )


def test_a_repeated_notification_task_sends_nothing_twice(
    project_with_roles, webhook_receiver, allow_loopback, mailoutbox
):
    webhook_receiver.responses = [(503, 0.0)]
    scan = webhook_scan(project_with_roles, webhook_receiver.url(), notify_emails=["a@example.com"])

    tasks.scan_notify.apply(args=(scan.pk,))
    tasks.scan_notify.apply(args=(scan.pk,))  # e.g. redelivered after a worker died

    # The webhook failed transiently: its retry is scheduled, never repeated by scan_notify.
    assert len(webhook_receiver.received) == 1 and len(mailoutbox) == 1
    delivery = webhook_delivery()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)


def test_no_webhook_when_the_configuration_wants_nothing(
    project_with_roles, webhook_receiver, allow_loopback
):
    scan = webhook_scan(
        project_with_roles,
        webhook_receiver.url(),
        notify_on_completion=False,
        notify_min_severity="critical",
    )
    new_finding(scan, "high", "Not critical")
    services.scan_notify(scan_id=scan.pk)
    assert webhook_receiver.received == [] and not NotificationDelivery.objects.exists()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T0/B0/XYZ", "https://hooks.slack.com/services/…"),
        ("https://u:p@example.com:8443/?t=1#x", "https://example.com:8443/…"),
        ("http://[::1]:9000/hook", "http://[::1]:9000/hook"),
        ("https://example.com", "https://example.com"),
    ],
)
def test_webhook_display_url_keeps_no_secret(url, shown):
    assert webhooks.webhook_display_url(url) == shown
