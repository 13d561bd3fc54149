"""Target and target-group endpoints, nested under /projects/{project_pk}/.

Reads need the auditor role in the project, writes the member role (`ProjectScopedViewSet`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.scopes import KeyScope
from apps.common.parsers import DepthLimitedJSONParser
from apps.common.viewsets import ProjectScopedReadViewSet
from apps.targets import services
from apps.targets.filters import TargetGroupFilter
from apps.targets.models import TargetAsset, TargetGroup
from apps.targets.selectors import (
    target_get,
    target_group_get,
    target_group_list,
    target_list,
)
from apps.targets.serializers import (
    TargetCreateSerializer,
    TargetGroupCreateSerializer,
    TargetGroupOutputSerializer,
    TargetGroupUpdateSerializer,
    TargetOutputSerializer,
    TargetUpdateSerializer,
)

JSON_OR_MULTIPART = ("application/json", "multipart/form-data")


class TargetViewSet(ProjectScopedReadViewSet):
    """What a project scans. A file_upload target is created with a multipart request whose
    `upload` field holds the archive; every other type may be sent as JSON."""

    scoped_key_access = {"list": KeyScope.READ, "retrieve": KeyScope.READ}

    queryset = TargetAsset.objects.none()
    serializer_class = TargetOutputSerializer
    parser_classes = [DepthLimitedJSONParser, MultiPartParser, FormParser]
    filterset_fields = ["asset_type", "is_active"]
    search_fields = ["name", "identifier"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    def get_queryset(self) -> QuerySet[TargetAsset]:
        if getattr(self, "swagger_fake_view", False):
            return TargetAsset.objects.none()
        return target_list(project=self.project)

    def get_object(self) -> TargetAsset:
        return target_get(project=self.project, target_id=self.kwargs["pk"])

    @extend_schema(
        request={media: TargetCreateSerializer for media in JSON_OR_MULTIPART},
        responses={201: TargetOutputSerializer},
    )
    def create(self, request: Request, project_pk: Any = None) -> Response:
        data = TargetCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = services.target_create(
            project=self.project, user=request.user, **data.validated_data
        )
        return Response(self.get_serializer(target).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={media: TargetUpdateSerializer for media in JSON_OR_MULTIPART},
        responses=TargetOutputSerializer,
    )
    def partial_update(self, request: Request, project_pk: Any = None, pk: Any = None) -> Response:
        target = self.get_object()
        # partial: a form request that leaves out is_active must not read as "false"
        data = TargetUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        target = services.target_update(target=target, **data.validated_data)
        return Response(self.get_serializer(target).data)

    def destroy(self, request: Request, project_pk: Any = None, pk: Any = None) -> Response:
        services.target_delete(target=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class TargetGroupViewSet(ProjectScopedReadViewSet):
    """Reusable sets of a project's targets."""

    queryset = TargetGroup.objects.none()
    serializer_class = TargetGroupOutputSerializer
    filterset_class = TargetGroupFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    def get_queryset(self) -> QuerySet[TargetGroup]:
        if getattr(self, "swagger_fake_view", False):
            return TargetGroup.objects.none()
        return target_group_list(project=self.project)

    def get_object(self) -> TargetGroup:
        return target_group_get(project=self.project, group_id=self.kwargs["pk"])

    @extend_schema(
        request=TargetGroupCreateSerializer, responses={201: TargetGroupOutputSerializer}
    )
    def create(self, request: Request, project_pk: Any = None) -> Response:
        data = TargetGroupCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = services.target_group_create(
            project=self.project,
            name=data.validated_data["name"],
            description=data.validated_data["description"],
            target_ids=data.validated_data["targets"],
        )
        group = target_group_get(project=self.project, group_id=group.pk)
        return Response(self.get_serializer(group).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TargetGroupUpdateSerializer, responses=TargetGroupOutputSerializer)
    def partial_update(self, request: Request, project_pk: Any = None, pk: Any = None) -> Response:
        data = TargetGroupUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "targets" in fields:
            fields["target_ids"] = fields.pop("targets")
        group = services.target_group_update(group=self.get_object(), **fields)
        group = target_group_get(project=self.project, group_id=group.pk)
        return Response(self.get_serializer(group).data)

    def destroy(self, request: Request, project_pk: Any = None, pk: Any = None) -> Response:
        services.target_group_delete(group=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
