"""The one way a session is signed in, by password or by single sign-on.

`session_begin` is called once the first factor (a password, an identity provider's answer)
is proven. A user with a second factor, or who must enrol one (staff, an organization's
policy), gets no Django login yet: the session only holds a short-lived *pending* sign-in,
which the MFA endpoints alone read. `session_complete` logs in after a verified factor.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model, login
from django.http import HttpRequest

from apps.accounts.audit import AuditAction, audit_record
from apps.accounts.mfa.policy import mfa_methods_for, mfa_required_reason

PENDING_SESSION_KEY = "seculite_signin_pending"
# Set on a signed-in session: the factor that completed it ("" when none was needed).
MFA_SESSION_KEY = "seculite_mfa"

SIGNED_IN = "signed_in"
MFA_REQUIRED = "mfa_required"
MFA_ENROLMENT_REQUIRED = "mfa_enrolment_required"
SIGN_IN_STATUSES = [SIGNED_IN, MFA_REQUIRED, MFA_ENROLMENT_REQUIRED]


@dataclass(frozen=True)
class SignInOutcome:
    status: str
    user: Any | None = None
    mfa_methods: list[str] = field(default_factory=list)
    # Why enrolment is needed ("staff", "organization:<slug>"), for the enrolment page.
    reason: str = ""


@dataclass(frozen=True)
class PendingSignIn:
    user: Any
    method: str
    status: str
    reason: str


def _django_request(request: Any) -> HttpRequest:
    return getattr(request, "_request", request)


def _backend_of(user: Any) -> str:
    return getattr(user, "backend", None) or settings.AUTHENTICATION_BACKENDS[-1]


def session_begin(request: Any, user: Any, *, method: str) -> SignInOutcome:
    """Start signing `user` in after their first factor (`method`: "password", "oidc:…").

    Returns "signed_in" (Django login done), "mfa_required" (answer one of `mfa_methods`)
    or "mfa_enrolment_required" (enrol a factor first).
    """
    django_request = _django_request(request)
    methods = mfa_methods_for(user)
    reason = mfa_required_reason(user) or ""
    if methods:
        status = MFA_REQUIRED
    elif reason:
        status = MFA_ENROLMENT_REQUIRED
    else:
        _login(django_request, user, method=method, factor="")
        return SignInOutcome(status=SIGNED_IN, user=user)
    # A fresh session key, so a session id planted before sign-in is worth nothing; a session
    # signed in as someone else ends here rather than living on beside the pending sign-in.
    # (DRF has already set request.user to anonymous on the login API: the session tells.)
    if django_request.session.get(SESSION_KEY) is not None:
        django_request.session.flush()
    else:
        django_request.session.cycle_key()
    django_request.session[PENDING_SESSION_KEY] = {
        "user_id": user.pk,
        "backend": _backend_of(user),
        "method": method,
        "status": status,
        "reason": reason,
        "started": time.time(),
    }
    return SignInOutcome(status=status, mfa_methods=methods, reason=reason)


def session_pending(request: Any) -> PendingSignIn | None:
    """The session's half-done sign-in, or None when there is none or it has expired."""
    django_request = _django_request(request)
    data = django_request.session.get(PENDING_SESSION_KEY)
    if not isinstance(data, dict):
        return None
    age = time.time() - float(data.get("started", 0))
    if age > settings.SECULITE_MFA_PENDING_SECONDS:
        session_pending_clear(django_request)
        return None
    user_id = data.get("user_id")
    user: Any = (
        get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if isinstance(user_id, int)
        else None
    )
    if user is None:
        session_pending_clear(django_request)
        return None
    user.backend = data.get("backend")
    return PendingSignIn(
        user=user,
        method=str(data.get("method", "")),
        status=str(data.get("status", "")),
        reason=str(data.get("reason", "")),
    )


def session_pending_clear(request: Any) -> None:
    _django_request(request).session.pop(PENDING_SESSION_KEY, None)


def session_complete(request: Any, *, factor: str) -> Any:
    """Finish the pending sign-in after `factor` ("totp", "webauthn", "recovery_code") was
    verified by the caller. Returns the user now logged in."""
    pending = session_pending(request)
    if pending is None:
        raise LookupError("no pending sign-in")
    django_request = _django_request(request)
    session_pending_clear(django_request)
    _login(django_request, pending.user, method=pending.method, factor=factor)
    return pending.user


def _login(request: HttpRequest, user: Any, *, method: str, factor: str) -> None:
    login(request, user, backend=_backend_of(user))
    request.session[MFA_SESSION_KEY] = factor
    action = AuditAction.SIGN_IN if method == "password" else AuditAction.SSO_SIGN_IN
    audit_record(action, request=request, actor=user, method=method, mfa=factor or None)
