"""Two-factor authentication and the audit log."""

from seculite_api.env import env

# Staff accounts must have a second factor: without one they may only enrol after the password.
SECULITE_MFA_REQUIRED_FOR_STAFF = env.bool("SECULITE_MFA_REQUIRED_FOR_STAFF", default=True)
# A password-checked sign-in waits this long for its second factor.
SECULITE_MFA_PENDING_SECONDS = env.int("SECULITE_MFA_PENDING_SECONDS", default=300)
# WebAuthn relying party: its id (a domain) and the web app's origins; by default FRONTEND_URL's.
SECULITE_WEBAUTHN_RP_ID = env.str("SECULITE_WEBAUTHN_RP_ID", default="")
SECULITE_WEBAUTHN_ORIGINS = [
    origin.strip().rstrip("/")
    for origin in env.list("SECULITE_WEBAUTHN_ORIGINS", default=[])
    if origin.strip()
]
SECULITE_WEBAUTHN_RP_NAME = env.str("SECULITE_WEBAUTHN_RP_NAME", default="SecuLite")
# Audit events older than this many days are purged daily.
SECULITE_AUDIT_RETENTION_DAYS = env.int("SECULITE_AUDIT_RETENTION_DAYS", default=365)
