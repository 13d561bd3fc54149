"""Organization and organization-member endpoints."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apps.common.invitation_apis import (
    InvitationAcceptApi,
    InvitationAcceptSerializer,
    InvitationSentSerializer,
    invitation_accept_description,
    invitation_sent_response,
)
from apps.common.viewsets import SAFE_METHODS
from apps.organizations import services
from apps.organizations.models import Organization, OrganizationMembership, OrganizationRole
from apps.organizations.selectors import (
    organization_get_for_user,
    organization_list,
    organization_member_get,
    organization_member_list,
)
from apps.organizations.serializers import (
    OrganizationCreateSerializer,
    OrganizationInvitationAcceptedSerializer,
    OrganizationMemberCreateSerializer,
    OrganizationMemberOutputSerializer,
    OrganizationMemberUpdateSerializer,
    OrganizationOutputSerializer,
    OrganizationUpdateSerializer,
)


class OrganizationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Organizations the caller belongs to (all of them for staff). Anyone may create one;
    owners and admins edit it; only owners delete it."""

    queryset = Organization.objects.none()
    serializer_class = OrganizationOutputSerializer
    filterset_fields = ["slug"]
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "slug", "created_at"]
    ordering = ["name"]

    def get_queryset(self) -> QuerySet[Organization]:
        if getattr(self, "swagger_fake_view", False):
            return Organization.objects.none()
        return organization_list(user=self.request.user)

    def get_object(self) -> Organization:
        if self.request.method in SAFE_METHODS:
            min_role = OrganizationRole.MEMBER
        elif self.request.method == "DELETE":
            min_role = OrganizationRole.OWNER
        else:
            min_role = OrganizationRole.ADMIN
        return organization_get_for_user(
            organization_id=self.kwargs["pk"], user=self.request.user, min_role=min_role
        )

    @extend_schema(
        request=OrganizationCreateSerializer, responses={201: OrganizationOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        data = OrganizationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organization = services.organization_create(user=request.user, **data.validated_data)
        organization = organization_get_for_user(organization_id=organization.pk, user=request.user)
        out = OrganizationOutputSerializer(organization, context=self.get_serializer_context())
        return Response(out.data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OrganizationUpdateSerializer, responses=OrganizationOutputSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        organization = self.get_object()
        data = OrganizationUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        organization = services.organization_update(
            organization=organization, actor=request.user, **data.validated_data
        )
        out = OrganizationOutputSerializer(organization, context=self.get_serializer_context())
        return Response(out.data)

    def destroy(self, request: Request, pk: Any = None) -> Response:
        services.organization_delete(organization=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    post=extend_schema(
        tags=["organizations"],
        operation_id="organizations_invitation_accept",
        request=InvitationAcceptSerializer,
        responses={201: OrganizationInvitationAcceptedSerializer},
        description=invitation_accept_description("an organization"),
    )
)
class OrganizationInvitationAcceptApi(InvitationAcceptApi):
    output_serializer = OrganizationInvitationAcceptedSerializer

    def accept(self, *, user: Any, token: str) -> OrganizationMembership:
        return services.organization_invitation_accept(user=user, token=token)


class OrganizationMemberViewSet(viewsets.GenericViewSet):
    """Members of one organization. Every member reads; owners and admins change membership.

    The organization is resolved from the URL before anything else runs: not a member → 404,
    a plain member trying to write → 403.
    """

    queryset = OrganizationMembership.objects.none()
    serializer_class = OrganizationMemberOutputSerializer
    filterset_fields = ["role"]
    search_fields = ["user__username", "user__email"]
    ordering_fields = ["created_at", "role", "user__username"]
    ordering = ["user__username"]
    organization: Organization

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if getattr(self, "swagger_fake_view", False):
            return
        read = request.method in SAFE_METHODS
        self.organization = organization_get_for_user(
            organization_id=kwargs.get("org_pk"),
            user=request.user,
            min_role=OrganizationRole.MEMBER if read else OrganizationRole.ADMIN,
        )

    def get_queryset(self) -> QuerySet[OrganizationMembership]:
        if getattr(self, "swagger_fake_view", False):
            return OrganizationMembership.objects.none()
        return organization_member_list(organization=self.organization)

    def get_object(self) -> OrganizationMembership:
        return organization_member_get(
            organization=self.organization, membership_id=self.kwargs["pk"]
        )

    def list(self, request: Request, org_pk: Any = None) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, org_pk: Any = None, pk: Any = None) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        request=OrganizationMemberCreateSerializer,
        responses={
            201: OrganizationMemberOutputSerializer,
            202: OpenApiResponse(InvitationSentSerializer, "Invited by email."),
        },
        description=(
            "Add a user by id (201, the membership), or invite an email address (202): the "
            "address gets a link and its account joins on accepting it."
        ),
    )
    def create(self, request: Request, org_pk: Any = None) -> Response:
        data = OrganizationMemberCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        if "user" not in data.validated_data:
            email = data.validated_data["email"]
            services.organization_invitation_send(
                organization=self.organization,
                actor=request.user,
                email=email,
                role=data.validated_data["role"],
            )
            return invitation_sent_response(email)
        membership = services.organization_member_add(
            organization=self.organization,
            actor=request.user,
            user=data.validated_data["user"],
            role=data.validated_data["role"],
        )
        return Response(self.get_serializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=OrganizationMemberUpdateSerializer, responses=OrganizationMemberOutputSerializer
    )
    def partial_update(self, request: Request, org_pk: Any = None, pk: Any = None) -> Response:
        data = OrganizationMemberUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.organization_member_update(
            membership=self.get_object(), actor=request.user, role=data.validated_data["role"]
        )
        return Response(self.get_serializer(membership).data)

    def destroy(self, request: Request, org_pk: Any = None, pk: Any = None) -> Response:
        services.organization_member_remove(membership=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
