"""Celery tasks of the accounts app: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from apps.accounts import audit, services


@shared_task(name="accounts.api_keys_purge")
def api_keys_purge() -> int:
    return services.api_keys_purge()


@shared_task(name="accounts.audit_events_purge")
def audit_events_purge() -> int:
    return audit.audit_events_purge()
