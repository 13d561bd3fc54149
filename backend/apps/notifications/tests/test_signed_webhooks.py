"""Signed webhooks against a real receiver on loopback that verifies them as the README shows;
chat formats; retries with backoff; the delivery log and redelivery through the API."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from apps.notifications import services, tasks, webhook_deliveries
from apps.notifications.models import Channel, DeliveryStatus, NotificationDelivery
from apps.notifications.signing import webhook_signature
from apps.notifications.tests.conftest import finished_scan, new_finding
from apps.notifications.webhook_models import WebhookMessage
from apps.scans.models import ScanConfiguration

pytestmark = pytest.mark.django_db


# The README's verification snippet, as a receiver would write it.
def verify_signature(secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    try:
        fields = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False  # too old (or from the future): maybe a replay
    signed = f"{timestamp}.".encode() + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))


@dataclass
class Request:
    headers: dict[str, str]
    body: bytes
    verified: bool

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class VerifyingReceiver:
    """Checks each POST's signature with `secret`: 401 when it does not verify, otherwise
    the next status of `statuses` (the last repeats) with `answer` as the body."""

    port: int = 0
    secret: str = ""
    statuses: list[int] = field(default_factory=lambda: [200])
    answer: bytes = b'{"ok": true}'
    received: list[Request] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/seculite"

    def post(self, body: bytes, headers: dict[str, str]) -> int:
        """POST as an attacker would (replayed or forged); the receiver's status."""
        kept = {k: v for k, v in headers.items() if k.startswith(("X-SecuLite", "Content-Type"))}
        request = urllib.request.Request(  # noqa: S310 - an http URL of the test's server
            self.url, data=body, headers=kept, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code


@pytest.fixture
def receiver(settings) -> Iterator[VerifyingReceiver]:
    settings.SECULITE_TARGET_ALLOW = ["127.0.0.1/32"]
    state = VerifyingReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            verified = verify_signature(
                state.secret, body, self.headers.get("X-SecuLite-Signature", "")
            )
            state.received.append(Request(dict(self.headers.items()), body, verified))
            status = 401
            if verified:
                accepted = [r for r in state.received if r.verified]
                status = state.statuses[min(len(accepted), len(state.statuses)) - 1]
            self.send_response(status)
            self.send_header("Content-Length", str(len(state.answer)))
            self.end_headers()
            self.wfile.write(state.answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def run_retries(monkeypatch) -> list[int]:
    """Scheduled retries run in-process right away, as a worker would run them once their
    countdown passed; the countdowns asked for are recorded."""
    countdowns: list[int] = []

    def enqueue(*, message_id: int, retry: int, countdown: int) -> None:
        countdowns.append(countdown)
        tasks.webhook_retry.apply(kwargs={"message_id": message_id, "retry": retry})

    monkeypatch.setattr(webhook_deliveries, "_enqueue_retry", enqueue)
    return countdowns


def configuration_url(project: Any, configuration_id: int | None = None) -> str:
    base = f"/api/v1/projects/{project.pk}/scan-configurations/"
    return f"{base}{configuration_id}/" if configuration_id else base


def deliveries_url(project: Any, suffix: str = "") -> str:
    return f"/api/v1/projects/{project.pk}/webhook-deliveries/{suffix}"


def create_configuration(client: Any, project: Any, url: str, **fields: Any) -> dict[str, Any]:
    response = client.post(
        configuration_url(project),
        {"name": "nightly", "notify_webhook_url": url, "notify_on_completion": True, **fields},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def scan_of(configuration_id: int) -> Any:
    from apps.accounts.models import UserProfile
    from apps.common.testing.factories import ScanFactory

    configuration = ScanConfiguration.objects.get(pk=configuration_id)
    for membership in configuration.project.memberships.all():
        UserProfile.objects.get_or_create(
            user=membership.user, defaults={"notification_preferences": {"email_enabled": False}}
        )
    return ScanFactory(
        project=configuration.project,
        configuration=configuration,
        status="completed",
        summary={"total": 1, "new": 1, "existing": 0, "resolved": 0},
    )


# --- Signature ------------------------------------------------------------------------------


def test_the_receiver_verifies_the_signature_and_rejects_tampering_and_replays(
    project_with_roles, client_for, receiver, caplog
):
    owner = client_for(project_with_roles.owner)
    created = create_configuration(owner, project_with_roles.project, receiver.url)
    secret = created["notify_webhook_secret"]
    assert isinstance(secret, str) and len(secret) >= 43  # token_urlsafe(32)
    receiver.secret = secret
    scan = scan_of(created["id"])
    new_finding(scan, "critical", "SQL injection in login", file_path="app/db.py", line_start=3)

    outcome = services.scan_notify(scan_id=scan.pk)

    assert outcome == services.NotifyOutcome(sent=1)
    [request] = receiver.received
    assert request.verified
    assert request.headers["X-SecuLite-Event"] == "scan.completed"
    message = WebhookMessage.objects.get()
    assert request.headers["X-SecuLite-Delivery"] == str(message.guid)
    signed_at = int(request.headers["X-SecuLite-Signature"].split(",")[0].removeprefix("t="))
    assert abs(time.time() - signed_at) < 60
    assert request.json()["new_findings"]["top"][0]["title"] == "SQL injection in login"

    # A tampered body with the genuine signature: refused.
    tampered = request.body.replace(b"critical", b"low")
    assert tampered != request.body
    assert receiver.post(tampered, request.headers) == 401
    # The genuine request replayed six minutes later (signed then): refused as stale.
    stale = dict(request.headers)
    stale["X-SecuLite-Signature"] = webhook_signature(
        secret=secret, body=request.body, timestamp=int(time.time()) - 360
    )
    assert receiver.post(request.body, stale) == 401
    # A signature made with another secret: refused.
    forged = dict(request.headers)
    forged["X-SecuLite-Signature"] = webhook_signature(secret="guessed", body=request.body)
    assert receiver.post(request.body, forged) == 401
    # The genuine request within the tolerance is accepted (the receiver dedupes by the
    # delivery id, which is the receiver's business).
    assert receiver.post(request.body, request.headers) == 200

    # The secret is nowhere but in the creation response: not stored in clear, not logged.
    stored = ScanConfiguration.objects.get(pk=created["id"]).notify_webhook_secret_encrypted
    assert stored.startswith("v1:") and secret not in stored
    assert secret not in caplog.text
    assert secret.encode() not in request.body


def test_the_secret_is_shown_once_and_rotation_replaces_it(
    project_with_roles, client_for, receiver, caplog
):
    project = project_with_roles.project
    owner = client_for(project_with_roles.owner)
    created = create_configuration(owner, project, receiver.url, notify_webhook_format="slack")
    first = created["notify_webhook_secret"]
    detail = owner.get(configuration_url(project, created["id"]))
    listing = owner.get(configuration_url(project))
    patched = owner.patch(
        configuration_url(project, created["id"]), {"description": "x"}, format="json"
    )
    for response in (detail, listing, patched):
        assert response.status_code == 200
        assert first not in response.content.decode()
    assert detail.json()["notify_webhook_secret"] is None
    assert detail.json()["notify_webhook_format"] == "slack"

    rotate = f"{configuration_url(project, created['id'])}webhook-secret/rotate/"
    assert client_for(project_with_roles.auditor).post(rotate).status_code == 403
    assert client_for(project_with_roles.outsider).post(rotate).status_code == 404
    rotated = client_for(project_with_roles.member).post(rotate)
    assert rotated.status_code == 200
    second = rotated.json()["notify_webhook_secret"]
    assert second and second != first
    assert second not in owner.get(configuration_url(project, created["id"])).content.decode()

    # Webhooks are now signed with the new secret only.
    receiver.secret = first
    services.scan_notify(scan_id=scan_of(created["id"]).pk)
    assert [r.verified for r in receiver.received] == [False]
    receiver.secret = second
    assert receiver.post(receiver.received[0].body, receiver.received[0].headers) == 200
    assert first not in caplog.text and second not in caplog.text

    # A clone gets a secret of its own, shown in the clone's response only.
    clone = owner.post(f"{configuration_url(project, created['id'])}clone/", {}, format="json")
    assert clone.status_code == 201
    assert clone.json()["notify_webhook_secret"] not in (None, first, second)
    # No URL, no secret to rotate: a 400 in the documented shape.
    bare = owner.post(configuration_url(project), {"name": "bare"}, format="json").json()
    assert bare["notify_webhook_secret"] is None
    refused = owner.post(f"{configuration_url(project, bare['id'])}webhook-secret/rotate/")
    assert refused.status_code == 400
    assert "notify_webhook_url" in json.dumps(refused.json())


def test_a_configuration_without_a_secret_signs_with_a_new_one(project_with_roles, receiver):
    """Configurations set up before signing existed get a secret nobody has seen; their
    webhooks are signed anyway, and rotating shows a secret."""
    scan = finished_scan(
        project_with_roles.project, notify_webhook_url=receiver.url, notify_on_completion=True
    )
    assert scan.configuration.notify_webhook_secret_encrypted == ""
    services.scan_notify(scan_id=scan.pk)
    scan.configuration.refresh_from_db()
    assert scan.configuration.notify_webhook_secret_encrypted.startswith("v1:")
    [request] = receiver.received
    assert request.headers["X-SecuLite-Signature"].startswith("t=")


# --- Formats --------------------------------------------------------------------------------


def test_slack_format(project_with_roles, client_for, receiver):
    owner = client_for(project_with_roles.owner)
    created = create_configuration(
        owner, project_with_roles.project, receiver.url, notify_webhook_format="slack"
    )
    receiver.secret = created["notify_webhook_secret"]
    scan = scan_of(created["id"])
    finding = new_finding(
        scan, "high", "Hard-coded <!channel> & <https://evil.example|click>", file_path="a.py"
    )

    services.scan_notify(scan_id=scan.pk)

    [request] = receiver.received
    assert request.verified
    body = request.json()
    assert set(body) == {"text", "blocks"}
    assert body["text"].startswith(f'Scan #{scan.pk} of "nightly" in ')
    assert [block["type"] for block in body["blocks"]] == [
        "header",
        "section",
        "section",
        "actions",
    ]
    assert body["blocks"][0]["text"]["type"] == "plain_text"
    assert body["blocks"][1]["text"]["text"] == "*New findings (high+): 1 high*"
    listed = body["blocks"][2]["text"]["text"]
    # The title cannot ping the channel or add a link: Slack's mrkdwn is escaped.
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in listed
    assert "<!channel>" not in json.dumps(body)
    assert f"<https://seculite.example.com/findings/{finding.pk}|" in listed
    assert body["blocks"][3]["elements"][0]["url"] == (
        f"https://seculite.example.com/scans/{scan.pk}"
    )
    assert receiver.secret not in request.body.decode()


def test_teams_format(project_with_roles, client_for, receiver):
    owner = client_for(project_with_roles.owner)
    created = create_configuration(
        owner, project_with_roles.project, receiver.url, notify_webhook_format="teams"
    )
    receiver.secret = created["notify_webhook_secret"]
    scan = scan_of(created["id"])
    new_finding(
        scan, "critical", "Secret [link](https://evil.example)", file_path="b.py", line_start=4
    )

    services.scan_notify(scan_id=scan.pk)

    [request] = receiver.received
    assert request.verified
    body = request.json()
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert [item["type"] for item in card["body"]] == ["TextBlock", "FactSet", "TextBlock"]
    facts = {fact["title"]: fact["value"] for fact in card["body"][1]["facts"]}
    assert facts["Status"] == "completed"
    assert facts["New findings"] == "New findings \\(high+\\): 1 critical"
    assert card["body"][2]["text"] == (
        "**critical** Secret \\[link\\]\\(https://evil.example\\) — b.py:4"
    )
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Open the scan",
            "url": f"https://seculite.example.com/scans/{scan.pk}",
        }
    ]
    assert receiver.secret not in request.body.decode()


def test_an_unknown_format_is_a_400(project_with_roles, client_for):
    response = client_for(project_with_roles.owner).post(
        configuration_url(project_with_roles.project),
        {"name": "x", "notify_webhook_format": "discord"},
        format="json",
    )
    assert response.status_code == 400
    assert "notify_webhook_format" in json.dumps(response.json())


# --- Retries --------------------------------------------------------------------------------


def test_503s_are_retried_with_backoff_until_success(
    project_with_roles, client_for, receiver, run_retries, django_capture_on_commit_callbacks
):
    created = create_configuration(
        client_for(project_with_roles.owner), project_with_roles.project, receiver.url
    )
    receiver.secret = created["notify_webhook_secret"]
    receiver.statuses = [503, 503, 204]
    scan = scan_of(created["id"])

    with django_capture_on_commit_callbacks(execute=True):
        services.scan_notify(scan_id=scan.pk)

    assert run_retries == [60, 300]
    assert [r.verified for r in receiver.received] == [True, True, True]
    assert len({r.headers["X-SecuLite-Delivery"] for r in receiver.received}) == 1
    assert len({r.body for r in receiver.received}) == 1  # the same payload each time
    delivery = NotificationDelivery.objects.get(channel=Channel.WEBHOOK)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, "")
    attempts = list(delivery.webhook_message.attempts.order_by("number"))
    assert [(a.number, a.trigger, a.status_code, a.ok) for a in attempts] == [
        (1, "first", 503, False),
        (2, "retry", 503, False),
        (3, "retry", 204, True),
    ]
    assert attempts[0].error == "HTTP 503 from the webhook."
    assert delivery.webhook_message.scheduled_retry == 0

    # A duplicate of an old retry task (a worker died after sending) sends nothing.
    tasks.webhook_retry.apply(kwargs={"message_id": delivery.webhook_message.pk, "retry": 2})
    assert len(receiver.received) == 3


def test_retries_stop_after_the_schedule(
    project_with_roles, client_for, receiver, run_retries, django_capture_on_commit_callbacks
):
    created = create_configuration(
        client_for(project_with_roles.owner), project_with_roles.project, receiver.url
    )
    receiver.secret = created["notify_webhook_secret"]
    receiver.statuses = [502]

    with django_capture_on_commit_callbacks(execute=True):
        services.scan_notify(scan_id=scan_of(created["id"]).pk)

    assert run_retries == [60, 300, 1800, 7200]
    delivery = NotificationDelivery.objects.get(channel=Channel.WEBHOOK)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 5)
    assert len(receiver.received) == 5


def test_a_final_answer_is_not_retried(
    project_with_roles, client_for, receiver, run_retries, django_capture_on_commit_callbacks
):
    created = create_configuration(
        client_for(project_with_roles.owner), project_with_roles.project, receiver.url
    )
    receiver.secret = "not the secret"  # every request fails verification: 401
    with django_capture_on_commit_callbacks(execute=True):
        services.scan_notify(scan_id=scan_of(created["id"]).pk)
    assert run_retries == []
    delivery = NotificationDelivery.objects.get(channel=Channel.WEBHOOK)
    assert (delivery.status, delivery.last_error) == ("failed", "HTTP 401 from the webhook.")


def test_a_retry_the_broker_lost_is_queued_again_by_the_sweep(
    project_with_roles, client_for, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    """The broker was down when the retry was scheduled: nothing holds it but the row, so
    the beat sweep queues it again once it is overdue (and never before)."""
    from datetime import timedelta

    from celery.exceptions import OperationalError
    from django.utils import timezone

    created = create_configuration(
        client_for(project_with_roles.owner), project_with_roles.project, receiver.url
    )
    receiver.secret = created["notify_webhook_secret"]
    receiver.statuses = [503, 204]

    def broker_down(**kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.webhook_retry, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        services.scan_notify(scan_id=scan_of(created["id"]).pk)
    message = WebhookMessage.objects.get()
    assert (message.scheduled_retry, len(receiver.received)) == (1, 1)

    monkeypatch.undo()
    queued: list[dict[str, Any]] = []

    def run_now(*, kwargs: dict[str, Any], **options: Any) -> None:
        queued.append(kwargs)
        tasks.webhook_retry.apply(kwargs=kwargs)

    monkeypatch.setattr(tasks.webhook_retry, "apply_async", run_now)
    assert tasks.webhook_retries_sweep.apply().get() == 0  # not due yet
    assert queued == []

    later = timezone.now() + timedelta(minutes=10)
    monkeypatch.setattr(webhook_deliveries.timezone, "now", lambda: later)
    assert tasks.webhook_retries_sweep.apply().get() == 1
    assert queued == [{"message_id": message.pk, "retry": 1}]
    assert [r.verified for r in receiver.received] == [True, True]
    delivery = NotificationDelivery.objects.get(channel=Channel.WEBHOOK)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert tasks.webhook_retries_sweep.apply().get() == 0  # nothing left to sweep


# --- Delivery log and redelivery ------------------------------------------------------------


def test_delivery_log_and_redeliver_for_owners(
    project_with_roles, client_for, receiver, caplog, settings
):
    project = project_with_roles.project
    owner = client_for(project_with_roles.owner)
    created = create_configuration(owner, project, receiver.url)
    secret = created["notify_webhook_secret"]
    receiver.secret = secret
    receiver.statuses = [404, 200]
    receiver.answer = b"x" * 5000
    other = create_configuration(owner, project, receiver.url, name="weekly")
    scan = scan_of(created["id"])
    services.scan_notify(scan_id=scan.pk)

    listing = owner.get(deliveries_url(project), {"configuration": created["id"]})
    assert listing.status_code == 200
    [message] = listing.json()["results"]
    assert message["event"] == "scan.completed"
    assert message["configuration"] == {"id": created["id"], "name": "nightly"}
    assert message["scan"] == scan.pk
    assert message["status"] == "failed"
    assert message["recipient"] == f"http://127.0.0.1:{receiver.port}/hooks/…"
    [attempt] = message["attempts"]
    assert attempt["status_code"] == 404 and attempt["ok"] is False
    assert attempt["trigger"] == "first" and attempt["triggered_by"] is None
    assert attempt["response_excerpt"] == "x" * 1000  # capped
    assert attempt["duration_ms"] >= 0
    assert owner.get(deliveries_url(project), {"configuration": other["id"]}).json()["count"] == 0
    detail = owner.get(deliveries_url(project, f"{message['id']}/"))
    assert detail.json()["payload"]["scan"]["id"] == scan.pk

    # Members and auditors may not read the log nor redeliver; outsiders do not see it.
    redeliver = deliveries_url(project, f"{message['id']}/redeliver/")
    for role, code in (("member", 403), ("auditor", 403), ("outsider", 404)):
        client = client_for(getattr(project_with_roles, role))
        assert client.get(deliveries_url(project)).status_code == code
        assert client.get(deliveries_url(project, f"{message['id']}/")).status_code == code
        assert client.post(redeliver).status_code == code
    assert len(receiver.received) == 1

    redelivered = owner.post(redeliver)

    assert redelivered.status_code == 201
    body = redelivered.json()
    assert body["status"] == "sent"
    assert [(a["number"], a["trigger"], a["status_code"]) for a in body["attempts"]] == [
        (2, "redeliver", 200),
        (1, "first", 404),
    ]
    assert body["attempts"][0]["triggered_by"]["id"] == project_with_roles.owner.pk
    first, again = receiver.received
    assert again.verified and again.body == first.body
    assert again.headers["X-SecuLite-Delivery"] == first.headers["X-SecuLite-Delivery"]
    for response in (listing, detail, redelivered):
        assert secret not in response.content.decode()
    assert secret not in caplog.text

    # Without a webhook URL there is nowhere to redeliver: a 400 in the error format.
    owner.patch(
        configuration_url(project, created["id"]), {"notify_webhook_url": ""}, format="json"
    )
    refused = owner.post(redeliver)
    assert refused.status_code == 400
    assert "no webhook URL" in json.dumps(refused.json())
    # Another project's message id answers 404.
    assert owner.get(deliveries_url(project, "999999/")).status_code == 404
    assert owner.get(deliveries_url(project), {"configuration": "x"}).status_code == 400


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        ("- not a list", "\\- not a list"),
        ("1. not a list", "1\\. not a list"),
        ("**loud** _it_ `code`", "\\*\\*loud\\*\\* \\_it\\_ \\`code\\`"),
        ("plain: v1.2-3 #4", "plain: v1.2-3 #4"),
    ],
)
def test_teams_escaping(title, shown):
    from apps.notifications.formats import _teams_escape

    assert _teams_escape(title) == shown


def test_the_beat_schedule_runs_the_retry_sweep():
    from celery import current_app

    from seculite_api.config.celery import CELERY_BEAT_SCHEDULE

    entry = CELERY_BEAT_SCHEDULE["notifications-webhook-retries-sweep"]
    assert entry["task"] == "notifications.webhook_retries_sweep"
    assert entry["task"] in current_app.tasks
    assert entry["schedule"] < webhook_deliveries.RETRY_LOST_AFTER.total_seconds() * 2
