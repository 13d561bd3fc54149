"""Single sign-on API: the providers for the sign-in page, the start of a sign-in or connect
flow, and the caller's connected accounts."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.http import urlencode
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from apps.accounts.authentication import CsrfSessionAuthentication
from apps.common.parsers import DepthLimitedJSONParser
from apps.sso import services
from apps.sso.serializers import (
    SsoConnectionOutputSerializer,
    SsoProvidersOutputSerializer,
    SsoStartInputSerializer,
    SsoStartOutputSerializer,
)


class SsoProvidersApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["auth"], operation_id="auth_sso_providers", responses=SsoProvidersOutputSerializer
    )
    def get(self, request: Request) -> Response:
        providers = [
            {
                "id": info.id,
                "name": info.name,
                "kind": info.kind,
                "start_url": reverse("auth-sso-start", kwargs={"provider_id": info.id}),
            }
            for info in services.provider_list(request._request)
        ]
        body = {"providers": providers, "local_passwords": settings.SECULITE_LOCAL_PASSWORDS}
        return Response(SsoProvidersOutputSerializer(body).data)


class SsoStartApi(APIView):
    """JSON only (a cross-site form cannot send it), with the session's CSRF check when signed
    in; the answer is a URL carrying a one-time token bound to this session. Browsers only:
    no API key (a token means nothing to a script)."""

    authentication_classes = [CsrfSessionAuthentication]
    permission_classes = [AllowAny]
    parser_classes = [DepthLimitedJSONParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        tags=["auth"],
        operation_id="auth_sso_start",
        request=SsoStartInputSerializer,
        responses=SsoStartOutputSerializer,
        description=(
            "Begin signing in (or, signed in, connecting an identity) with a provider. "
            "Send the browser to `redirect_url` (valid once, for 5 minutes, in this session)."
        ),
    )
    def post(self, request: Request, provider_id: str) -> Response:
        data = SsoStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        django_request = request._request
        # The session must exist before the token is kept in it (the IdP's answer comes back
        # to the same session).
        token = services.sso_start_token_issue(
            request=django_request, provider_id=provider_id, process=data.validated_data["process"]
        )
        url = reverse("sso-browser-start", kwargs={"provider_id": provider_id})
        return Response(
            SsoStartOutputSerializer({"redirect_url": f"{url}?{urlencode({'token': token})}"}).data
        )


class SsoConnectionsApi(APIView):
    """The signed-in person's connected identities (web app sessions only)."""

    authentication_classes = [CsrfSessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        operation_id="auth_sso_connections",
        responses=SsoConnectionOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        names = {info.id: info for info in services.provider_list(request._request)}
        rows = []
        for account in services.connection_list(user=request.user):
            info = names.get(account.provider)
            rows.append(
                {
                    "id": account.pk,
                    "provider": account.provider,
                    "provider_name": info.name if info else account.provider,
                    "kind": info.kind if info else "",
                    "connected_at": account.date_joined,
                }
            )
        return Response(SsoConnectionOutputSerializer(rows, many=True).data)


class SsoConnectionDetailApi(APIView):
    authentication_classes = [CsrfSessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        operation_id="auth_sso_connection_remove",
        request=None,
        responses={204: None},
    )
    def delete(self, request: Request, connection_id: int) -> Response:
        services.connection_remove(user=request.user, connection_id=connection_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
