"""The webhook delivery log of a project, for its owners: messages, attempts, redelivery.

/projects/{project_pk}/webhook-deliveries/ lists what the project's scan configurations sent
to their webhooks (filter by `configuration`), each with every attempt; POST
.../{id}/redeliver/ sends a message again. Owners only: the log quotes receivers' answers.
Members and auditors get 403, others 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.common.roles import ProjectRole
from apps.common.viewsets import ProjectScopedReadViewSet
from apps.notifications.webhook_deliveries import (
    RedeliverRefused,
    webhook_message_get,
    webhook_message_list,
    webhook_redeliver,
)
from apps.notifications.webhook_models import WebhookMessage
from apps.notifications.webhook_serializers import (
    WebhookMessageDetailSerializer,
    WebhookMessageFilter,
    WebhookMessageSerializer,
)

PROJECT_PK = OpenApiParameter("project_pk", int, OpenApiParameter.PATH, description="Project id.")
ID = OpenApiParameter("id", int, OpenApiParameter.PATH)


@extend_schema(tags=["webhook-deliveries"])
@extend_schema_view(
    list=extend_schema(parameters=[PROJECT_PK]),
    retrieve=extend_schema(parameters=[PROJECT_PK, ID], responses=WebhookMessageDetailSerializer),
)
class ProjectWebhookDeliveryViewSet(ProjectScopedReadViewSet):
    """A project's webhook messages and their attempts, newest first (owners only)."""

    queryset = WebhookMessage.objects.none()
    serializer_class = WebhookMessageSerializer
    filterset_class = WebhookMessageFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    def required_role(self, request: Request) -> str:
        return ProjectRole.OWNER

    def get_queryset(self) -> QuerySet[WebhookMessage]:
        if getattr(self, "swagger_fake_view", False):
            return WebhookMessage.objects.none()
        return webhook_message_list(project=self.project)

    def get_object(self) -> WebhookMessage:
        return webhook_message_get(project=self.project, message_id=self.kwargs["pk"])

    def get_serializer_class(self) -> Any:
        if self.action in ("retrieve", "redeliver"):
            return WebhookMessageDetailSerializer
        return WebhookMessageSerializer

    @extend_schema(
        parameters=[PROJECT_PK, ID],
        request=None,
        responses={
            201: WebhookMessageDetailSerializer,
            400: OpenApiResponse(
                description="The configuration or its webhook URL is gone; nothing was sent."
            ),
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def redeliver(self, request: Request, project_pk: Any = None, pk: Any = None) -> Response:
        """Send the message's payload again now, with a fresh timestamp and signature, to the
        configuration's current webhook URL. Answers 201 with the message and its new attempt
        (which may itself have failed: see its `ok`, `status_code` and `error`)."""
        try:
            message = webhook_redeliver(message=self.get_object(), user=request.user)
        except RedeliverRefused as exc:
            raise exceptions.ValidationError({"detail": [str(exc)]}) from exc
        fresh = webhook_message_get(project=self.project, message_id=message.pk)
        return Response(WebhookMessageDetailSerializer(fresh).data, status=status.HTTP_201_CREATED)
