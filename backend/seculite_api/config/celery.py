"""Celery: broker and result backend. Embedded default needs no server (filesystem broker)."""

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
    # Longer than the longest tool run, or a slow tool would be started twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=7200),
        # Look for tasks of dead workers every 10 s (kombu's default sweeps every ~100 s).
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
# Scans fan in through the database (the last tool run to finish enqueues the aggregation),
# so no task result is ever read back: results are not stored unless a backend is configured.
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_ROUTES = {
    "scans.scan_run": {"queue": "scans"},
    "scans.tool_result_run": {"queue": "scans"},
}
CELERY_BEAT_SCHEDULE = {
    "scans-reaper": {
        "task": "scans.scans_reap",
        "schedule": 60.0,
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
