"""Two-factor endpoints: status, TOTP and security key enrolment, the sign-in challenge,
removal and recovery codes.

They serve a signed-in session and also the *pending* sign-in of apps.accounts.signin (the
enrolment a policy demands, the challenge after a password). API keys never reach them: a
machine has no second factor to manage. Bodies are JSON only, so a cross-site form cannot
drive the pending-session calls, which DRF's CSRF check does not cover.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from apps.accounts import signin
from apps.accounts.authentication import CsrfSessionAuthentication
from apps.accounts.mfa import services, totp, webauthn
from apps.accounts.mfa.policy import mfa_methods_for, mfa_required_reason
from apps.accounts.mfa.recovery import recovery_codes_left
from apps.accounts.mfa.serializers import (
    ChallengeInputSerializer,
    CodeInputSerializer,
    MfaStatusOutputSerializer,
    ReauthInputSerializer,
    RecoveryCodesOutputSerializer,
    SignInStepOutputSerializer,
    TotpSetupOutputSerializer,
    WebAuthnRegisterInputSerializer,
)
from apps.accounts.models import TotpDevice, WebAuthnCredential
from apps.common.parsers import DepthLimitedJSONParser


class MfaApi(APIView):
    authentication_classes = [CsrfSessionAuthentication]
    permission_classes = [AllowAny]
    parser_classes = [DepthLimitedJSONParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "mfa"
    # Which pending sign-in may use the endpoint besides a signed-in session.
    pending_status: str | None = signin.MFA_ENROLMENT_REQUIRED

    def subject(self, request: Request) -> tuple[Any, signin.PendingSignIn | None]:
        """The user the call is about: the signed-in one, or the pending sign-in's."""
        if request.user.is_authenticated:
            return request.user, None
        pending = signin.session_pending(request)
        if pending is not None and pending.status == self.pending_status:
            return pending.user, pending
        raise exceptions.NotAuthenticated(
            "Sign in with your password first; a half-done sign-in lasts a few minutes."
        )


def _step_answer(
    request: Request, user: Any, pending: Any, *, factor: str, codes: list[str]
) -> Response:
    """After an enrolment: a pending sign-in is completed; the codes are shown once."""
    if pending is not None:
        user = signin.session_complete(request, factor=factor)
    body = {"status": signin.SIGNED_IN, "user": user, "mfa_methods": [], "recovery_codes": codes}
    return Response(SignInStepOutputSerializer(body).data)


class MfaStatusApi(MfaApi):
    throttle_classes: list = []
    pending_status = None

    @extend_schema(tags=["mfa"], operation_id="mfa_status", responses=MfaStatusOutputSerializer)
    def get(self, request: Request) -> Response:
        pending = signin.session_pending(request)
        if request.user.is_authenticated:
            user = request.user
        elif pending is not None:
            user = pending.user
        else:
            raise exceptions.NotAuthenticated()
        body = {
            "methods": mfa_methods_for(user),
            "totp_enabled": TotpDevice.objects.filter(
                user=user, confirmed_at__isnull=False
            ).exists(),
            "webauthn_credentials": WebAuthnCredential.objects.filter(user=user),
            "recovery_codes_left": recovery_codes_left(user=user),
            "required_reason": mfa_required_reason(user) or "",
            "pending": pending.status if pending and not request.user.is_authenticated else "",
        }
        return Response(MfaStatusOutputSerializer(body).data)


class TotpSetupApi(MfaApi):
    @extend_schema(
        tags=["mfa"],
        operation_id="mfa_totp_setup",
        request=None,
        responses=TotpSetupOutputSerializer,
        description="A new authenticator app secret with its QR code (SVG), to confirm with a "
        "code at /auth/mfa/totp/confirm/. Shown only while unconfirmed.",
    )
    def post(self, request: Request) -> Response:
        user, _ = self.subject(request)
        setup = totp.totp_setup(user=user)
        return Response(TotpSetupOutputSerializer(setup).data)


class TotpConfirmApi(MfaApi):
    @extend_schema(
        tags=["mfa"],
        operation_id="mfa_totp_confirm",
        request=CodeInputSerializer,
        responses=SignInStepOutputSerializer,
        description="Enable the authenticator app with a code from it. The first factor comes "
        "with ten recovery codes, shown only in this answer. Completes a pending sign-in.",
    )
    def post(self, request: Request) -> Response:
        user, pending = self.subject(request)
        data = CodeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        codes = services.mfa_totp_enable(
            request=request, user=user, code=data.validated_data["code"]
        )
        return _step_answer(request, user, pending, factor="totp", codes=codes)


class TotpRemoveApi(MfaApi):
    pending_status = None

    @extend_schema(
        tags=["mfa"],
        operation_id="mfa_totp_remove",
        request=ReauthInputSerializer,
        responses={204: None},
    )
    def post(self, request: Request) -> Response:
        user, _ = self.subject(request)
        data = ReauthInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.mfa_reauthenticate(request=request, user=user, **data.validated_data)
        services.mfa_factor_remove(request=request, user=user, kind="totp")
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebAuthnRegisterOptionsApi(MfaApi):
    @extend_schema(
        tags=["mfa"],
        operation_id="mfa_webauthn_register_options",
        request=None,
        responses=OpenApiTypes.OBJECT,
        description="PublicKeyCredentialCreationOptions for navigator.credentials.create().",
    )
    def post(self, request: Request) -> Response:
        user, _ = self.subject(request)
        return Response(webauthn.registration_options(session=request.session, user=user))


class WebAuthnRegisterApi(MfaApi):
    @extend_schema(
        tags=["mfa"],
        operation_id="mfa_webauthn_register",
        request=WebAuthnRegisterInputSerializer,
        responses=SignInStepOutputSerializer,
    )
    def post(self, request: Request) -> Response:
        user, pending = self.subject(request)
        data = WebAuthnRegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _, codes = services.mfa_webauthn_add(request=request, user=user, **data.validated_data)
        return _step_answer(request, user, pending, factor="webauthn", codes=codes)


class WebAuthnRemoveApi(MfaApi):
    pending_status = None

    @extend_schema(
        tags=["mfa"],
        operation_id="mfa_webauthn_remove",
        request=ReauthInputSerializer,
        responses={204: None},
    )
    def post(self, request: Request, credential_id: int) -> Response:
        user, _ = self.subject(request)
        data = ReauthInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.mfa_reauthenticate(request=request, user=user, **data.validated_data)
        services.mfa_factor_remove(
            request=request, user=user, kind="webauthn", credential_id=credential_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class RecoveryCodesApi(MfaApi):
    pending_status = None

    @extend_schema(
        tags=["mfa"],
        operation_id="mfa_recovery_codes_regenerate",
        request=ReauthInputSerializer,
        responses=RecoveryCodesOutputSerializer,
        description="Replace the recovery codes with ten new ones, shown only in this answer.",
    )
    def post(self, request: Request) -> Response:
        user, _ = self.subject(request)
        data = ReauthInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.mfa_reauthenticate(request=request, user=user, **data.validated_data)
        codes = services.mfa_recovery_codes_regenerate(request=request, user=user)
        return Response({"recovery_codes": codes})


class ChallengeOptionsApi(MfaApi):
    pending_status = signin.MFA_REQUIRED

    @extend_schema(
        tags=["mfa"],
        operation_id="mfa_challenge_webauthn_options",
        request=None,
        responses=OpenApiTypes.OBJECT,
        description="PublicKeyCredentialRequestOptions for navigator.credentials.get().",
    )
    def post(self, request: Request) -> Response:
        pending = self._pending(request)
        return Response(webauthn.authentication_options(session=request.session, user=pending.user))

    def _pending(self, request: Request) -> signin.PendingSignIn:
        pending = signin.session_pending(request)
        if pending is None or pending.status != signin.MFA_REQUIRED:
            raise exceptions.NotAuthenticated(
                "No sign-in is waiting for a second factor; sign in with your password again."
            )
        return pending


class ChallengeApi(ChallengeOptionsApi):
    @extend_schema(
        tags=["mfa"],
        operation_id="mfa_challenge",
        request=ChallengeInputSerializer,
        responses=SignInStepOutputSerializer,
        description="Answer the second-factor challenge of a pending sign-in: a TOTP code, a "
        "recovery code (spent) or a security key's assertion. Wrong answers count towards "
        "the same lockout as passwords: 429 `account_locked`.",
    )
    def post(self, request: Request) -> Response:
        # The body first: a malformed one is a 400 whatever the session holds.
        data = ChallengeInputSerializer(data=request.data)
        pending = self._pending(request)
        data.is_valid(raise_exception=True)
        services.mfa_verify(request=request, user=pending.user, **data.validated_data)
        user = signin.session_complete(request, factor=data.validated_data["method"])
        body = {"status": signin.SIGNED_IN, "user": user, "mfa_methods": [], "recovery_codes": []}
        return Response(SignInStepOutputSerializer(body).data)
