"""Scan engine limits and policies."""

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
# Largest raw tool output kept per tool run.
SECULITE_TOOL_OUTPUT_MAX_BYTES = env.int("SECULITE_TOOL_OUTPUT_MAX_BYTES", default=512 * 1024**2)
# Scans still running this long after they started are ended by the reaper.
SECULITE_SCAN_MAX_SECONDS = env.int("SECULITE_SCAN_MAX_SECONDS", default=6 * 3600)
# Scan-scoped checkouts (git clones, extracted archives) shared by a scan's tools; removed when
# the scan ends.
SECULITE_CHECKOUT_DIR = env.path("SECULITE_CHECKOUT_DIR", default=str(VAR_DIR / "checkouts"))
# Key for target credentials (git tokens, deploy keys) at rest; derived from SECRET_KEY when
# empty. Changing it makes stored credentials unreadable: they must be set again.
SECULITE_CREDENTIALS_KEY = env.str("SECULITE_CREDENTIALS_KEY", default="")
