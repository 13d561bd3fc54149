"""Hand a provider-verified user to SecuLite's session and audit log (apps.accounts): the
same `session_begin` as a password sign-in, so MFA policy applies to SSO as well."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.accounts.audit import audit_record
from apps.accounts.signin import session_begin

SESSION_BACKEND = "apps.accounts.backends.UsernameOrEmailBackend"


def sso_session_begin(request: HttpRequest, user: Any, *, method: str) -> str:
    """Start the session (or the half sign-in that waits for a second factor); returns the
    outcome's status for the web app ("signed_in", "mfa_required", "mfa_enrolment_required")."""
    user.backend = SESSION_BACKEND
    return str(session_begin(request, user, method=method).status)


def sso_audit(
    action: str, *, request: HttpRequest | None = None, actor: Any = None, **detail: Any
) -> None:
    """Record an SSO event in the audit log (never a token or an assertion)."""
    audit_record(action, request=request, actor=actor, **detail)
