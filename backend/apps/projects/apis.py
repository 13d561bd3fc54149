"""Project and project-member endpoints."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.scopes import KeyScope
from apps.common.invitation_apis import (
    InvitationAcceptApi,
    InvitationAcceptSerializer,
    InvitationSentSerializer,
    invitation_accept_description,
    invitation_sent_response,
)
from apps.common.roles import ProjectRole
from apps.common.viewsets import SAFE_METHODS, ProjectScopedReadViewSet
from apps.projects import services
from apps.projects.models import Project, ProjectMembership
from apps.projects.selectors import project_get_for_user, project_list
from apps.projects.serializers import (
    ProjectCreateSerializer,
    ProjectInvitationAcceptedSerializer,
    ProjectMemberCreateSerializer,
    ProjectMemberOutputSerializer,
    ProjectMemberUpdateSerializer,
    ProjectOutputSerializer,
    ProjectUpdateSerializer,
)


class ProjectViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Projects the caller has a role in (all projects for staff)."""

    # A project-scoped API key lists and reads its own project only (the selector hides the rest).
    scoped_key_access = {"list": KeyScope.READ, "retrieve": KeyScope.READ}

    serializer_class = ProjectOutputSerializer
    queryset = Project.objects.none()  # for the schema; real rows come from the selector
    filterset_fields = ["organization"]
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name"]

    def get_queryset(self) -> QuerySet[Project]:
        if getattr(self, "swagger_fake_view", False):
            return Project.objects.none()
        return project_list(user=self.request.user)

    def get_object(self) -> Project:
        min_role = ProjectRole.AUDITOR if self.request.method in SAFE_METHODS else ProjectRole.OWNER
        return project_get_for_user(
            project_id=self.kwargs["pk"], user=self.request.user, min_role=min_role
        )

    @extend_schema(request=ProjectCreateSerializer, responses={201: ProjectOutputSerializer})
    def create(self, request: Request) -> Response:
        data = ProjectCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = services.project_create(user=request.user, **data.validated_data)
        out = ProjectOutputSerializer(project, context=self.get_serializer_context())
        return Response(out.data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProjectUpdateSerializer, responses=ProjectOutputSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        project = self.get_object()
        data = ProjectUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        project = services.project_update(project=project, user=request.user, **data.validated_data)
        return Response(
            ProjectOutputSerializer(project, context=self.get_serializer_context()).data
        )

    def destroy(self, request: Request, pk: Any = None) -> Response:
        services.project_delete(project=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectMemberViewSet(ProjectScopedReadViewSet):
    """Members of one project. Everyone with a role reads; owners change membership."""

    serializer_class = ProjectMemberOutputSerializer
    queryset = ProjectMembership.objects.none()  # for the schema
    write_role = services.MEMBER_MANAGER_ROLE
    filterset_fields = ["role"]
    search_fields = ["user__username", "user__email"]
    ordering_fields = ["created_at", "role", "user__username"]
    ordering = ["user__username"]

    def get_queryset(self) -> QuerySet[ProjectMembership]:
        if getattr(self, "swagger_fake_view", False):
            return ProjectMembership.objects.none()
        return ProjectMembership.objects.filter(project=self.project).select_related("user")

    @extend_schema(
        request=ProjectMemberCreateSerializer,
        responses={
            201: ProjectMemberOutputSerializer,
            202: OpenApiResponse(InvitationSentSerializer, "Invited by email."),
        },
        description=(
            "Add someone who already shares a project or an organization with you by id "
            "(201, the membership; any other id is the same 400), or invite an email address "
            "(202, the same answer for every address): it gets a link, and its account joins "
            "on accepting it."
        ),
    )
    def create(self, request: Request, project_pk: Any = None) -> Response:
        data = ProjectMemberCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        if "user" not in data.validated_data:
            email = data.validated_data["email"]
            services.project_invitation_send(
                project=self.project,
                actor=request.user,
                email=email,
                role=data.validated_data["role"],
            )
            return invitation_sent_response(email)
        membership = services.project_member_add(
            project=self.project,
            user=data.validated_data["user"],
            role=data.validated_data["role"],
            actor=request.user,
        )
        return Response(self.get_serializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProjectMemberUpdateSerializer, responses=ProjectMemberOutputSerializer)
    def partial_update(self, request: Request, project_pk: Any = None, pk: Any = None) -> Response:
        membership = self.get_object()  # 404 before any validation detail leaks
        data = ProjectMemberUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.project_member_update(
            membership=membership, role=data.validated_data["role"], actor=request.user
        )
        return Response(self.get_serializer(membership).data)

    def destroy(self, request: Request, project_pk: Any = None, pk: Any = None) -> Response:
        services.project_member_remove(membership=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    post=extend_schema(
        tags=["projects"],
        operation_id="projects_invitation_accept",
        request=InvitationAcceptSerializer,
        responses={201: ProjectInvitationAcceptedSerializer},
        description=invitation_accept_description("a project"),
    )
)
class ProjectInvitationAcceptApi(InvitationAcceptApi):
    output_serializer = ProjectInvitationAcceptedSerializer

    def accept(self, *, user: Any, token: str) -> ProjectMembership:
        return services.project_invitation_accept(user=user, token=token)
