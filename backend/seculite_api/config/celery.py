"""Celery: broker and result backend. Embedded default needs no server (filesystem broker)."""

from apps.scans import limits
from seculite_api.config.scanning import SECULITE_TOOL_TIMEOUT_MAX_SECONDS
from seculite_api.env import VAR_DIR, env

_broker_dir = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast (pidbox) exchanges; kombu's default is a "control" folder in the cwd.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # An unacknowledged task (its worker died) is delivered again after this many seconds.
    # Derived to outlast the longest tool task, or a slow tool would be started twice; an
    # explicit value below that (tests of redelivery) draws the system check seculite.W001.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int(
            "CELERY_VISIBILITY_TIMEOUT",
            default=limits.broker_visibility_timeout(SECULITE_TOOL_TIMEOUT_MAX_SECONDS),
        ),
        # Look for tasks of dead workers every 10 s (kombu's default sweeps every ~100 s).
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
# Scans fan in through the database (the last tool run to finish enqueues the aggregation),
# so no task result is ever read back: results are not stored unless a backend is configured.
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
# Worker processes per worker (scripts pass the same CELERY_CONCURRENCY as -c); scan
# deadlines count on this many tool runs at a time.
CELERY_WORKER_CONCURRENCY = max(1, env.int("CELERY_CONCURRENCY", default=2))
# Tool runs get time limits from their scan's tool timeout when they are fanned out; these,
# from the longest allowed timeout, apply to any tool-run message sent without them.
_TOOL_SOFT_LIMIT, _TOOL_HARD_LIMIT = limits.tool_task_time_limits(SECULITE_TOOL_TIMEOUT_MAX_SECONDS)
CELERY_TASK_ANNOTATIONS = {
    "scans.tool_result_run": {
        "soft_time_limit": _TOOL_SOFT_LIMIT,
        "time_limit": _TOOL_HARD_LIMIT,
    },
    # A report of 100,000 findings takes under a minute; one stuck far longer fails (the soft
    # limit raises inside report_generate, which marks it failed) instead of holding a worker.
    "reports.generate": {"soft_time_limit": 600, "time_limit": 660},
}
CELERY_TASK_ROUTES = {
    "scans.scan_run": {"queue": "scans"},
    "scans.tool_result_run": {"queue": "scans"},
    "imports.import_run": {"queue": "scans"},
}
CELERY_BEAT_SCHEDULE = {
    "scans-reaper": {
        "task": "scans.scans_reap",
        "schedule": 60.0,
        "options": {"queue": "default"},
    },
    # Risk acceptances end on a day: hourly is soon enough, and cheap (an indexed status).
    "findings-acceptance-expire": {
        "task": "findings.acceptance_expire",
        "schedule": 60 * 60.0,
        "options": {"queue": "default"},
    },
    # Today's open findings per project, read from the rollups: the day's last run is its
    # end-of-day figure in the metrics' history.
    "dashboard-snapshots-take": {
        "task": "dashboard.snapshots_take",
        "schedule": 10 * 60.0,
        "options": {"queue": "default"},
    },
    # The metrics' rollups of projects whose findings changed without a refresh queued (ingest,
    # scans and triage queue one themselves within seconds): the safety net.
    "dashboard-metrics-rollups-refresh-dirty": {
        "task": "dashboard.metrics_rollups_refresh_dirty",
        "schedule": 10 * 60.0,
        "options": {"queue": "default"},
    },
    # In-app notifications of accepted risks about to end and of findings past their due date:
    # once per finding, so an hourly run repeats nothing.
    "notifications-acceptance-expiring": {
        "task": "notifications.acceptance_expiring_inbox",
        "schedule": 60 * 60.0,
        "options": {"queue": "default"},
    },
    "notifications-sla-breaches": {
        "task": "notifications.sla_breaches_inbox",
        "schedule": 60 * 60.0,
        "options": {"queue": "default"},
    },
    # A webhook retry scheduled while the broker was down lives only in its row: queue it again.
    "notifications-webhook-retries-sweep": {
        "task": "notifications.webhook_retries_sweep",
        "schedule": 5 * 60.0,
        "options": {"queue": "default"},
    },
    # Scheduled reports: a schedule's next_run_at moves on as its report is queued, so an
    # hourly run (or two beats) queues each period's report once.
    "reports-run-due": {
        "task": "reports.run_due",
        "schedule": 60 * 60.0,
        "options": {"queue": "default"},
    },
    "audit-events-purge": {
        "task": "accounts.audit_events_purge",
        "schedule": 24 * 60 * 60.0,
        "options": {"queue": "default"},
    },
    "api-keys-purge": {
        "task": "accounts.api_keys_purge",
        "schedule": 6 * 60 * 60.0,
        "options": {"queue": "default"},
    },
}
CELERY_WORKER_SEND_TASK_EVENTS = False
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
