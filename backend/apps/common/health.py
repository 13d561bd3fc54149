"""Health of what the API depends on: the database and the Celery broker; and how isolated
tool runs are."""

from __future__ import annotations

import time

from django.db import connection


def database_health() -> dict[str, object]:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; the reason is shown to admins
        return {"ok": False, "error": exc.__class__.__name__}
    return {
        "ok": True,
        "vendor": connection.vendor,
        "latency_ms": round((time.monotonic() - started) * 1000, 1),
    }


def broker_health(url: str | None = None) -> dict[str, object]:
    """Connect to the configured broker (or `url`) once, with a short timeout."""
    from seculite_api.celery import app

    started = time.monotonic()
    try:
        with app.connection_for_write(url=url) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:  # kombu raises many types; any of them means unreachable
        return {"ok": False, "error": exc.__class__.__name__}
    return {
        "ok": True,
        "transport": str(transport),
        "latency_ms": round((time.monotonic() - started) * 1000, 1),
    }


def workers_health(timeout: float = 1.0) -> dict[str, object]:
    """Ask every Celery worker to answer a ping within `timeout` seconds; list who answered."""
    from seculite_api.celery import app

    started = time.monotonic()
    try:
        replies = app.control.inspect(timeout=timeout).ping() or {}
    except Exception as exc:  # an unreachable broker raises kombu/OS errors of many types
        return {"ok": False, "workers": [], "error": exc.__class__.__name__}
    return {
        "ok": bool(replies),
        "workers": sorted(replies),
        "latency_ms": round((time.monotonic() - started) * 1000, 1),
    }


def sandbox_health(*, detail: bool = False) -> dict[str, object]:
    """Whether tool runs get the bubblewrap sandbox ("sandboxed") or only a scrubbed
    environment and limits ("reduced"), as the workers last reported it (else as this host
    can provide it). The reason and the worker's host name only with `detail` (staff)."""
    from apps.tools import sandbox

    status = sandbox.reported_status()
    if status is None:
        status = {**sandbox.isolation_status(), "host": "this API host"}
    answer = {"ok": status.get("isolation") == sandbox.SANDBOXED, **status}
    return answer if detail else {key: answer[key] for key in ("ok", "isolation") if key in answer}
