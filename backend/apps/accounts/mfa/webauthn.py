"""WebAuthn security keys and passkeys through py_webauthn (the Duo Labs library): options for
the browser, and verification of its answers against a challenge kept in the session.

The relying party is SECULITE_WEBAUTHN_RP_ID (default: FRONTEND_URL's host) and the accepted
origins SECULITE_WEBAUTHN_ORIGINS (default: FRONTEND_URL).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from apps.accounts.models import WebAuthnCredential
from apps.common.errors import ServiceError

CHALLENGE_SESSION_KEY = "seculite_webauthn_challenge"
CHALLENGE_SECONDS = 300
_TRANSPORTS = {transport.value for transport in AuthenticatorTransport}


def rp_id() -> str:
    return settings.SECULITE_WEBAUTHN_RP_ID or (urlsplit(settings.FRONTEND_URL).hostname or "")


def expected_origins() -> list[str]:
    return list(settings.SECULITE_WEBAUTHN_ORIGINS) or [settings.FRONTEND_URL]


def _user_handle(user: Any) -> bytes:
    return f"seculite-user-{user.pk}".encode()


def _descriptors(user: Any) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=bytes(credential.credential_id),
            transports=[
                AuthenticatorTransport(t) for t in credential.transports if t in _TRANSPORTS
            ],
        )
        for credential in WebAuthnCredential.objects.filter(user=user)
    ]


def _remember(session: Any, *, purpose: str, user: Any, challenge: bytes) -> None:
    session[CHALLENGE_SESSION_KEY] = {
        "purpose": purpose,
        "user_id": user.pk,
        "challenge": bytes_to_base64url(challenge),
        "at": time.time(),
    }


def _take_challenge(session: Any, *, purpose: str, user: Any) -> bytes:
    """The session's challenge for `purpose`; it is removed, so each is answered once."""
    data = session.pop(CHALLENGE_SESSION_KEY, None)
    if (
        not isinstance(data, dict)
        or data.get("purpose") != purpose
        or data.get("user_id") != user.pk
        or time.time() - float(data.get("at", 0)) > CHALLENGE_SECONDS
    ):
        raise ServiceError(
            "No security key request is waiting; start again.", code="webauthn_no_challenge"
        )
    return base64url_to_bytes(str(data["challenge"]))


def registration_options(*, session: Any, user: Any) -> dict[str, Any]:
    """Options for navigator.credentials.create(); the challenge waits in the session."""
    options = generate_registration_options(
        rp_id=rp_id(),
        rp_name=settings.SECULITE_WEBAUTHN_RP_NAME,
        user_name=user.get_username(),
        user_id=_user_handle(user),
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.DISCOURAGED,
        ),
    )
    _remember(session, purpose="register", user=user, challenge=options.challenge)
    return dict(json.loads(options_to_json(options)))


def _invalid(exc: Exception) -> ServiceError:
    return ServiceError(f"The security key's answer was refused: {exc}", code="webauthn_invalid")


def registration_verify(
    *, session: Any, user: Any, credential: dict[str, Any], name: str
) -> WebAuthnCredential:
    """Check the browser's attestation against the session's challenge; store the key."""
    challenge = _take_challenge(session, purpose="register", user=user)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=expected_origins(),
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise _invalid(exc) from exc
    if WebAuthnCredential.objects.filter(credential_id=verified.credential_id).exists():
        raise ServiceError("This security key is already registered.", code="webauthn_duplicate")
    response = credential.get("response")
    transports = response.get("transports", []) if isinstance(response, dict) else []
    return WebAuthnCredential.objects.create(
        user=user,
        name=name,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[t for t in transports if isinstance(t, str) and t in _TRANSPORTS],
    )


def authentication_options(*, session: Any, user: Any) -> dict[str, Any]:
    """Options for navigator.credentials.get() listing the user's keys."""
    options = generate_authentication_options(
        rp_id=rp_id(),
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.DISCOURAGED,
    )
    _remember(session, purpose="authenticate", user=user, challenge=options.challenge)
    return dict(json.loads(options_to_json(options)))


@transaction.atomic
def authentication_verify(*, session: Any, user: Any, credential: dict[str, Any]) -> bool:
    """Check an assertion by one of the user's keys; its sign count must go up (a cloned key
    gives itself away by repeating counts). Raises ServiceError when the answer is malformed
    or stale; returns False when it is not a valid signature of a known key."""
    challenge = _take_challenge(session, purpose="authenticate", user=user)
    raw_id = credential.get("rawId") or credential.get("id")
    if not isinstance(raw_id, str):
        raise ServiceError("The security key's answer has no credential id.", code="invalid")
    try:
        credential_id = base64url_to_bytes(raw_id)
    except (ValueError, TypeError) as exc:
        raise _invalid(exc) from exc
    stored = (
        WebAuthnCredential.objects.select_for_update()
        .filter(user=user, credential_id=credential_id)
        .first()
    )
    if stored is None:
        return False
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=expected_origins(),
            credential_public_key=bytes(stored.public_key),
            credential_current_sign_count=stored.sign_count,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError):
        return False
    stored.sign_count = verified.new_sign_count
    stored.last_used_at = timezone.now()
    stored.save(update_fields=["sign_count", "last_used_at", "updated_at"])
    return True


def webauthn_remove(*, user: Any, credential_id: int) -> bool:
    deleted, _ = WebAuthnCredential.objects.filter(user=user, pk=credential_id).delete()
    return deleted > 0
