"""Account endpoints: sign-in and sign-out, profile, passwords, API keys, user administration.

The anonymous endpoints (register, login, password reset) take JSON only: a cross-site HTML
form cannot send JSON, so no other site can sign a visitor in to an account of its choosing.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.models import User
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from apps.accounts import services
from apps.accounts.filters import ApiKeyFilter, UserFilter
from apps.accounts.models import ApiKey
from apps.accounts.permissions import ScopedApiKeyPermission
from apps.accounts.selectors import (
    api_key_get_for_user,
    api_key_list,
    profile_get_for_user,
    user_get,
    user_list,
)
from apps.accounts.serializers import (
    AdminUserInviteInputSerializer,
    AdminUserOutputSerializer,
    AdminUserUpdateInputSerializer,
    ApiKeyCreatedOutputSerializer,
    ApiKeyCreateInputSerializer,
    ApiKeyOutputSerializer,
    DetailOutputSerializer,
    EmailChangeConfirmInputSerializer,
    EmailChangeInputSerializer,
    LoginInputSerializer,
    LoginOutputSerializer,
    PasswordChangeInputSerializer,
    PasswordResetConfirmInputSerializer,
    PasswordResetRequestInputSerializer,
    ProfileOutputSerializer,
    ProfileUpdateInputSerializer,
    RegisterConfirmInputSerializer,
    RegisterInputSerializer,
    UserOutputSerializer,
)
from apps.common.parsers import DepthLimitedJSONParser

RESET_LINK_SENT_MESSAGE = (
    "If an active account uses this email address, a link to reset its password is on its way."
)
REGISTRATION_MESSAGE = (
    "Thanks. We sent an email to the address you gave: follow it to finish your registration."
)


def _caller(request: Request) -> User:
    """The signed-in user; only called behind IsAuthenticated."""
    return cast(User, request.user)


class AnonymousApi(APIView):
    """Base for endpoints used before signing in: no session, JSON bodies only, throttled."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [DepthLimitedJSONParser]
    throttle_classes = [ScopedRateThrottle]


class RegisterApi(AnonymousApi):
    throttle_scope = "register"

    @extend_schema(
        tags=["auth"],
        operation_id="auth_register",
        request=RegisterInputSerializer,
        responses={202: DetailOutputSerializer},
        description=(
            "Register an account. Answers the same whether or not the email address or the "
            "username is taken: the address gets either an activation link or the reason why "
            "not. The account can sign in once the link is followed."
        ),
    )
    def post(self, request: Request) -> Response:
        data = RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_register(**data.validated_data)
        return Response({"detail": REGISTRATION_MESSAGE}, status=status.HTTP_202_ACCEPTED)


class RegisterConfirmApi(AnonymousApi):
    throttle_classes: list = []

    @extend_schema(
        tags=["auth"],
        operation_id="auth_register_confirm",
        request=RegisterConfirmInputSerializer,
        responses=DetailOutputSerializer,
    )
    def post(self, request: Request) -> Response:
        data = RegisterConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_register_confirm(**data.validated_data)
        return Response({"detail": "Your account is active. You can sign in now."})


class LoginApi(AnonymousApi):
    throttle_scope = "login"

    @extend_schema(
        tags=["auth"],
        operation_id="auth_login",
        request=LoginInputSerializer,
        responses={200: LoginOutputSerializer},
        description=(
            "Sign in with username or email. Starts a session (cookie; writes then need the "
            "`X-CSRFToken` header from the `csrftoken` cookie) and issues no API key: scripts "
            "use a key created at /api-keys/. Wrong credentials: 400 `invalid_credentials`; "
            "five failures from one address lock the account there: 429 `account_locked`. "
            "`status` says what comes next: `signed_in` (`user` is set), `mfa_required` "
            "(answer one of `mfa_methods` at /auth/mfa/…) or `mfa_enrolment_required` "
            "(enrol a second factor first); until then no other endpoint sees a session."
        ),
    )
    def post(self, request: Request) -> Response:
        data = LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The Django request, so django-axes sees (and marks) the same object its middleware does.
        outcome = services.user_login(request=request._request, **data.validated_data)
        return Response(LoginOutputSerializer(outcome).data)


class LogoutApi(APIView):
    permission_classes = [AllowAny, ScopedApiKeyPermission]

    @extend_schema(
        tags=["auth"],
        operation_id="auth_logout",
        request=None,
        responses={204: None},
        description="End the session; a call made with an API key revokes that key.",
    )
    def post(self, request: Request) -> Response:
        api_key = request.auth if isinstance(request.auth, ApiKey) else None
        services.user_logout(request=request._request, api_key=api_key)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    @extend_schema(tags=["auth"], operation_id="auth_me", responses=UserOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(_caller(request)).data)


class ProfileApi(APIView):
    @extend_schema(tags=["auth"], operation_id="auth_profile", responses=ProfileOutputSerializer)
    def get(self, request: Request) -> Response:
        profile = profile_get_for_user(user=_caller(request))
        return Response(ProfileOutputSerializer(profile).data)

    @extend_schema(
        tags=["auth"],
        operation_id="auth_profile_update",
        request=ProfileUpdateInputSerializer,
        responses=ProfileOutputSerializer,
    )
    def patch(self, request: Request) -> Response:
        data = ProfileUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        profile = services.user_profile_update(user=_caller(request), **data.validated_data)
        return Response(ProfileOutputSerializer(profile).data)


class PasswordChangeApi(APIView):
    # It checks the current password, so it must not serve as an unlimited password oracle.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        tags=["auth"],
        operation_id="auth_password_change",
        request=PasswordChangeInputSerializer,
        responses=DetailOutputSerializer,
    )
    def post(self, request: Request) -> Response:
        data = PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_password_change(user=_caller(request), **data.validated_data)
        # Other sessions end with the old password; this one carries on.
        update_session_auth_hash(request._request, user)
        return Response(
            {
                "detail": "Your password has been changed. Your other sessions are signed out "
                "and every API key is revoked."
            }
        )


class EmailChangeApi(APIView):
    # It checks the password, so it must not serve as an unlimited password oracle.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        tags=["auth"],
        operation_id="auth_email_change",
        request=EmailChangeInputSerializer,
        responses={202: DetailOutputSerializer},
        description=(
            "Ask to change the email address (needs the current password). The new address "
            "gets a confirmation link and the old one a notice; the answer is the same if the "
            "new address belongs to another account."
        ),
    )
    def post(self, request: Request) -> Response:
        data = EmailChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_email_change_request(user=_caller(request), **data.validated_data)
        email = data.validated_data["email"]
        return Response(
            {"detail": f"Follow the link we sent to {email} to confirm the change."},
            status=status.HTTP_202_ACCEPTED,
        )


class EmailChangeConfirmApi(AnonymousApi):
    throttle_classes: list = []

    @extend_schema(
        tags=["auth"],
        operation_id="auth_email_change_confirm",
        request=EmailChangeConfirmInputSerializer,
        responses=DetailOutputSerializer,
    )
    def post(self, request: Request) -> Response:
        data = EmailChangeConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_email_change_confirm(**data.validated_data)
        return Response({"detail": f"Your email address is now {user.email}."})


class PasswordResetRequestApi(AnonymousApi):
    throttle_scope = "password_reset"

    @extend_schema(
        tags=["auth"],
        operation_id="auth_password_reset",
        request=PasswordResetRequestInputSerializer,
        responses=DetailOutputSerializer,
        description="Always answers the same, so it does not reveal which emails have accounts.",
    )
    def post(self, request: Request) -> Response:
        data = PasswordResetRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_password_reset_request(email=data.validated_data["email"])
        return Response({"detail": RESET_LINK_SENT_MESSAGE})


class PasswordResetConfirmApi(AnonymousApi):
    throttle_classes: list = []

    @extend_schema(
        tags=["auth"],
        operation_id="auth_password_reset_confirm",
        request=PasswordResetConfirmInputSerializer,
        responses=DetailOutputSerializer,
    )
    def post(self, request: Request) -> Response:
        data = PasswordResetConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_password_reset_confirm(**data.validated_data)
        return Response({"detail": "Your password has been set. You can sign in now."})


@extend_schema(tags=["api-keys"])
class ApiKeyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's own API keys. The full key appears once, in the answer to its creation."""

    serializer_class = ApiKeyOutputSerializer
    filterset_class = ApiKeyFilter
    search_fields = ["name", "prefix"]
    ordering_fields = ["created_at", "name", "last_used_at", "expires_at"]
    ordering = ["-created_at"]

    def get_queryset(self) -> QuerySet[ApiKey]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return ApiKey.objects.none()
        return api_key_list(user=_caller(self.request))

    def get_object(self) -> ApiKey:
        return api_key_get_for_user(api_key_id=self.kwargs["pk"], user=_caller(self.request))

    @extend_schema(
        request=ApiKeyCreateInputSerializer, responses={201: ApiKeyCreatedOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        data = ApiKeyCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        api_key, full_key = services.api_key_create(
            user=_caller(request), request=request, **data.validated_data
        )
        body = {**ApiKeyOutputSerializer(api_key).data, "key": full_key}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        """Revoke the key; it stops working at once and stays listed as revoked."""
        services.api_key_revoke(api_key=self.get_object(), actor=_caller(request), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["admin"])
class AdminUserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """User administration for staff: list, invite, (de)activate, grant staff, send resets."""

    # The scoped-key check first, so a staff user's project key hears why it is refused.
    permission_classes = [ScopedApiKeyPermission, IsAuthenticated, IsAdminUser]
    serializer_class = AdminUserOutputSerializer
    filterset_class = UserFilter
    search_fields = ["username", "email", "first_name", "last_name"]
    ordering_fields = ["username", "email", "date_joined", "last_login"]
    ordering = ["username"]

    def get_queryset(self) -> QuerySet[User]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return User.objects.none()
        return user_list(actor=self.request.user)

    def get_object(self) -> User:
        return user_get(user_id=self.kwargs["pk"], actor=self.request.user)

    @extend_schema(
        request=AdminUserInviteInputSerializer,
        responses={201: AdminUserOutputSerializer},
        description="Create an active user without a password and email them a set-password link.",
    )
    def create(self, request: Request) -> Response:
        data = AdminUserInviteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_invite(invited_by=_caller(request), **data.validated_data)
        return Response(self.get_serializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AdminUserUpdateInputSerializer, responses=AdminUserOutputSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        data = AdminUserUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_admin_update(
            actor=_caller(request), user=self.get_object(), **data.validated_data
        )
        return Response(self.get_serializer(user).data)

    @extend_schema(
        request=None,
        responses={202: OpenApiResponse(DetailOutputSerializer, "The email is on its way.")},
    )
    @action(detail=True, methods=["post"], url_path="password-reset")
    def password_reset(self, request: Request, pk: Any = None) -> Response:
        services.user_password_reset_send(user=self.get_object())
        return Response(
            {"detail": "A password reset link has been emailed to the user."},
            status=status.HTTP_202_ACCEPTED,
        )
