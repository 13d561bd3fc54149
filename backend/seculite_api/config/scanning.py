"""Scan engine limits and policies."""

from apps.scans import limits
from seculite_api.env import VAR_DIR, env

# Local codebase paths may only be scanned under these folders (comma-separated).
SECULITE_ALLOWED_PATHS = env.list("SECULITE_ALLOWED_PATHS", default=[])
# Network target policy for DAST/network tools: CIDRs, host names or *.domain patterns.
# Loopback, private and link-local addresses are denied unless allowed here.
SECULITE_TARGET_ALLOW = env.list("SECULITE_TARGET_ALLOW", default=[])
SECULITE_TARGET_DENY = env.list("SECULITE_TARGET_DENY", default=[])
# Uploaded archives: uncompressed size and file count limits on extraction.
SECULITE_EXTRACT_MAX_BYTES = env.int("SECULITE_EXTRACT_MAX_BYTES", default=1024**3)
SECULITE_EXTRACT_MAX_FILES = env.int("SECULITE_EXTRACT_MAX_FILES", default=50_000)
# Largest report a user may import (POST /api/v1/projects/{id}/imports/); nginx allows it on
# that path plus the multipart envelope (nginx/seculite-env.sh).
SECULITE_IMPORT_MAX_BYTES = env.int("SECULITE_IMPORT_MAX_BYTES", default=1024**3)
# Largest raw tool output kept per tool run.
SECULITE_TOOL_OUTPUT_MAX_BYTES = env.int("SECULITE_TOOL_OUTPUT_MAX_BYTES", default=512 * 1024**2)
# The longest `tool_timeout_seconds` a configuration may set. Celery's task time limits, the
# broker's visibility timeout and each scan's deadline are derived from it (apps/scans/limits.py).
SECULITE_TOOL_TIMEOUT_MAX_SECONDS = max(
    limits.MIN_TOOL_TIMEOUT_SECONDS,
    env.int("SECULITE_TOOL_TIMEOUT_MAX_SECONDS", default=limits.DEFAULT_TOOL_TIMEOUT_MAX_SECONDS),
)
# A scan's deadline (past which the reaper ends it) is the time its tool runs may take in
# waves of CELERY_CONCURRENCY, plus this margin for queueing behind other scans and aggregation.
SECULITE_SCAN_DEADLINE_MARGIN_SECONDS = env.int(
    "SECULITE_SCAN_DEADLINE_MARGIN_SECONDS", default=limits.DEFAULT_SCAN_DEADLINE_MARGIN_SECONDS
)
# Scan-scoped checkouts (git clones, extracted archives) shared by a scan's tools; removed when
# the scan ends.
SECULITE_CHECKOUT_DIR = env.path("SECULITE_CHECKOUT_DIR", default=str(VAR_DIR / "checkouts"))
# Key for target credentials (git tokens, deploy keys) at rest; derived from SECRET_KEY when
# empty. Changing it makes stored credentials unreadable: they must be set again.
SECULITE_CREDENTIALS_KEY = env.str("SECULITE_CREDENTIALS_KEY", default="")
# Tool sandbox (README "Security model"): "auto" sandboxes every tool run with bubblewrap when
# the host allows it and reports reduced isolation when not; "off" never tries (the
# environment is still scrubbed and the limits still apply).
SECULITE_TOOL_SANDBOX = env.str("SECULITE_TOOL_SANDBOX", default="auto")
# Per-process limits of every tool run: writable memory and the tool user's process count.
SECULITE_TOOL_MEMORY_MAX_BYTES = env.int("SECULITE_TOOL_MEMORY_MAX_BYTES", default=4 * 1024**3)
SECULITE_TOOL_MAX_PROCESSES = env.int("SECULITE_TOOL_MAX_PROCESSES", default=512)
# Kept homes of tools with a vulnerability database cache (Trivy, Grype, Nuclei, ZAP).
SECULITE_TOOL_CACHE_DIR = env.path("SECULITE_TOOL_CACHE_DIR", default=str(VAR_DIR / "tool-cache"))
