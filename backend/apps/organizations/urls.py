"""API routes of the organizations app."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from apps.organizations.apis import (
    OrganizationInvitationAcceptApi,
    OrganizationMemberViewSet,
    OrganizationViewSet,
)

router = SimpleRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register(
    r"organizations/(?P<org_pk>\d+)/members",
    OrganizationMemberViewSet,
    basename="organization-member",
)

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "organizations/invitations/accept/",
        OrganizationInvitationAcceptApi.as_view(),
        name="organization-invitation-accept",
    ),
    *router.urls,
]
