"""Endpoints around triage: each user's saved filters of the findings list, and a project's
service levels (days to fix per severity)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.scopes import KeyScope
from apps.common.ids import is_valid_id
from apps.common.roles import ProjectRole
from apps.findings.models import SavedFilter
from apps.findings.saved_filters import (
    saved_filter_create,
    saved_filter_delete,
    saved_filter_list,
)
from apps.findings.sla import SLA_FIELDS, project_sla_update, sla_days_for_project
from apps.projects.selectors import project_get_for_user


class SavedFilterSerializer(serializers.ModelSerializer):
    class Meta:
        model = SavedFilter
        fields = ["id", "name", "query", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {
            "query": {
                "help_text": "The findings list's query string, e.g. state=open&severity=high."
            },
            "name": {"validators": []},  # saving under a name again replaces that filter
        }


@extend_schema(tags=["findings"])
class SavedFilterListApi(APIView):
    """The caller's saved filters of the findings list (nobody else's), by name."""

    @extend_schema(responses=SavedFilterSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(SavedFilterSerializer(saved_filter_list(user=request.user), many=True).data)

    @extend_schema(request=SavedFilterSerializer, responses={201: SavedFilterSerializer})
    def post(self, request: Request) -> Response:
        """Save a query under a name; saving under an existing name replaces its query."""
        data = SavedFilterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        saved = saved_filter_create(
            user=request.user,
            name=data.validated_data["name"],
            query=data.validated_data.get("query", ""),
        )
        return Response(SavedFilterSerializer(saved).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["findings"], parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)])
class SavedFilterDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, id: Any) -> Response:
        """Delete one of the caller's saved filters."""
        if not is_valid_id(str(id)):
            return Response(status=status.HTTP_404_NOT_FOUND)
        saved_filter_delete(user=request.user, saved_filter_id=int(id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _days_field(label: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=3650,
        allow_null=True,
        required=False,
        help_text=f"Days to fix a {label} finding from its first sighting; null: no due date.",
    )


class ProjectSlaSerializer(serializers.Serializer):
    critical = _days_field("critical")
    high = _days_field("high")
    medium = _days_field("medium")
    low = _days_field("low")


@extend_schema(
    tags=["projects"], parameters=[OpenApiParameter("project_pk", int, OpenApiParameter.PATH)]
)
class ProjectSlaApi(APIView):
    """A project's service levels: days to fix per severity, counted from a finding's first
    sighting (critical 7, high 30, medium 90, low 180 until changed). Everyone with a role
    reads; owners change them. New findings get their due date at first sight; changing the
    days leaves due dates already set as they are."""

    scoped_key_access = {"GET": KeyScope.READ}

    @extend_schema(responses=ProjectSlaSerializer)
    def get(self, request: Request, project_pk: Any) -> Response:
        project = project_get_for_user(project_id=project_pk, user=request.user)
        return Response(sla_days_for_project(project_id=project.pk))

    @extend_schema(request=ProjectSlaSerializer, responses=ProjectSlaSerializer)
    def patch(self, request: Request, project_pk: Any) -> Response:
        project = project_get_for_user(
            project_id=project_pk, user=request.user, min_role=ProjectRole.OWNER
        )
        data = ProjectSlaSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        days = {
            severity: data.validated_data[severity]
            for severity in SLA_FIELDS
            if severity in data.validated_data
        }
        return Response(project_sla_update(project=project, days=days))
