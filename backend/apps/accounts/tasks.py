"""Celery tasks of the accounts app: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from apps.accounts import services


@shared_task(name="accounts.api_keys_purge")
def api_keys_purge() -> int:
    return services.api_keys_purge()
