"""Celery tasks of the findings app: thin wrappers around the services of the same name."""

from __future__ import annotations

from celery import shared_task

from apps.findings.acceptance import findings_acceptance_expire as expire


@shared_task(name="findings.acceptance_expire", acks_late=True)
def findings_acceptance_expire() -> int:
    """Run by beat: reopen findings whose risk acceptance expired."""
    return expire()
