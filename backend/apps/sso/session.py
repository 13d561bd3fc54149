"""Hand a provider-verified user to SecuLite's session and audit log (apps.accounts): the
same `session_begin` as a password sign-in, so MFA policy applies to SSO as well."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from django.contrib.auth import login
from django.http import HttpRequest

logger = logging.getLogger(__name__)

SESSION_BACKEND = "apps.accounts.backends.UsernameOrEmailBackend"


def sso_session_begin(request: HttpRequest, user: Any) -> str:
    """Start the session (or the half sign-in that waits for a second factor); returns the
    outcome's status for the web app."""
    user.backend = SESSION_BACKEND
    try:
        signin = importlib.import_module("apps.accounts.signin")
    except ImportError:
        login(request, user, backend=SESSION_BACKEND)
        return "signed_in"
    outcome = signin.session_begin(request, user, method="sso")
    return str(outcome.status)


def sso_audit(
    action: str, *, request: HttpRequest | None = None, actor: Any = None, **detail: Any
) -> None:
    """Record an SSO event in the audit log (never a token or assertion)."""
    try:
        audit = importlib.import_module("apps.accounts.audit")
    except ImportError:
        logger.info("SSO %s %s", action, detail)
        return
    audit.audit_record(action, request=request, actor=actor, **detail)
