"""audit_record: who, when, from where; never a secret; purged after the retention."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from apps.accounts.audit import AuditAction, AuditEvent, audit_events_purge, audit_record
from apps.accounts.tasks import audit_events_purge as audit_events_purge_task
from apps.common.testing.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_audit_record_takes_address_agent_and_actor_from_the_request():
    user = UserFactory(username="carol")
    request = RequestFactory().post(
        "/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 1000
    )
    request.user = user

    event = audit_record(AuditAction.SIGN_IN, request=request, method="password")

    event.refresh_from_db()
    assert event.actor == user
    assert event.actor_username == "carol"
    assert event.ip == "203.0.113.9"
    assert event.user_agent.startswith("Mozilla/5.0 ")
    assert len(event.user_agent) == 300
    assert event.detail == {"method": "password"}


def test_audit_record_honours_the_trusted_proxy_header(settings):
    settings.NUM_PROXIES = 1
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="198.51.100.7")

    event = audit_record(AuditAction.SIGN_IN_FAILED, request=request, username="mallory")

    assert event.ip == "198.51.100.7"
    assert event.actor is None
    assert event.actor_username == "mallory"


def test_audit_record_drops_secret_looking_detail_keys():
    event = audit_record(
        AuditAction.MFA_ENROLLED, password="hunter2", secret="JBSWY3DP", code="123456", kind="totp"
    )

    assert event.detail == {"kind": "totp"}


def test_actor_username_survives_the_users_deletion():
    user = UserFactory(username="dave")
    organization = OrganizationFactory()
    event = audit_record(AuditAction.SIGN_OUT, actor=user, organization=organization)

    user.delete()

    event.refresh_from_db()
    assert event.actor is None
    assert event.actor_username == "dave"
    assert event.organization == organization


def test_purge_deletes_events_older_than_the_retention(settings):
    settings.SECULITE_AUDIT_RETENTION_DAYS = 30
    old = audit_record(AuditAction.SIGN_IN, username="old")
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=31))
    recent = audit_record(AuditAction.SIGN_IN, username="recent")

    assert audit_events_purge_task() == 1

    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    assert audit_events_purge(days=0) >= 0


def test_purge_is_scheduled_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["audit-events-purge"]
    assert entry["task"] == "accounts.audit_events_purge"
    assert entry["schedule"] == 24 * 60 * 60.0
