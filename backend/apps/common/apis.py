"""Platform-level endpoints: health of the database, broker and tool isolation, and (for
staff) of workers."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import ScopedApiKeyPermission
from apps.common.health import broker_health, database_health, sandbox_health, workers_health


class HealthApi(APIView):
    """Open to monitors; answers 503 when a dependency is down."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses=inline_serializer(
            "Health",
            {
                "status": serializers.CharField(),
                "database": serializers.DictField(),
                "broker": serializers.DictField(),
                "tool_isolation": serializers.DictField(),
            },
        )
    )
    def get(self, request: Request) -> Response:
        database = database_health()
        broker = broker_health()
        ok = bool(database["ok"]) and bool(broker["ok"])
        return Response(
            {
                "status": "ok" if ok else "degraded",
                "database": database,
                "broker": broker,
                # Reduced isolation does not make the API unhealthy; it is shown to admins.
                "tool_isolation": sandbox_health(),
            },
            status=200 if ok else 503,
        )


class WorkersHealthApi(APIView):
    """Staff only: which Celery workers answer a ping (takes about a second), and why tool
    isolation is reduced if it is."""

    # The scoped-key check first, so a staff user's project key hears why it is refused.
    permission_classes = [ScopedApiKeyPermission, IsAuthenticated, IsAdminUser]

    @extend_schema(
        tags=["admin"],
        operation_id="health_workers",
        responses=inline_serializer(
            "WorkersHealth",
            {
                "ok": serializers.BooleanField(),
                "workers": serializers.ListField(child=serializers.CharField()),
                "latency_ms": serializers.FloatField(required=False),
                "error": serializers.CharField(required=False),
                "tool_isolation": serializers.DictField(),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        return Response({**workers_health(), "tool_isolation": sandbox_health(detail=True)})
