"""Tool endpoints: everyone signed in reads the catalogue; staff switch tools on and off."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.scopes import KeyScope
from apps.tools import services
from apps.tools.models import ToolDefinition
from apps.tools.presets import PRESETS, TARGET_KINDS
from apps.tools.selectors import tool_get_for_user, tool_list
from apps.tools.serializers import (
    ToolOutputSerializer,
    ToolPresetsOutputSerializer,
    ToolUpdateSerializer,
)


class ToolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The tools the platform knows, whether this worker can run them and whether admins
    enabled them."""

    scoped_key_access = {
        "list": KeyScope.READ,
        "retrieve": KeyScope.READ,
        "presets": KeyScope.READ,
    }

    queryset = ToolDefinition.objects.none()
    serializer_class = ToolOutputSerializer
    filterset_fields = ["category", "available", "enabled"]
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "slug", "category", "last_checked_at"]
    ordering = ["name"]

    def get_queryset(self) -> QuerySet[ToolDefinition]:
        if getattr(self, "swagger_fake_view", False):
            return ToolDefinition.objects.none()
        return tool_list(user=self.request.user)

    def get_object(self) -> ToolDefinition:
        return tool_get_for_user(
            tool_id=self.kwargs["pk"],
            user=self.request.user,
            manage=self.request.method not in ("GET", "HEAD", "OPTIONS"),
        )

    @extend_schema(
        request=ToolUpdateSerializer,
        responses=ToolOutputSerializer,
        description="Staff only: enable or disable a tool for new scans.",
    )
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        tool = self.get_object()
        data = ToolUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tool = services.tool_set_enabled(tool=tool, enabled=data.validated_data["enabled"])
        return Response(self.get_serializer(tool).data)

    @extend_schema(
        responses=ToolPresetsOutputSerializer,
        description="Kinds of target (each a set of asset types) and named sets of tools for "
        "each kind, to filter and pick tools in a scan configuration.",
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def presets(self, request: Request) -> Response:
        data = {"target_kinds": TARGET_KINDS, "presets": PRESETS}
        return Response(ToolPresetsOutputSerializer(data).data)
