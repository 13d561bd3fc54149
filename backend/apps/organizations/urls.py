"""API routes of the organizations app."""

from rest_framework.routers import SimpleRouter

from apps.organizations.apis import OrganizationMemberViewSet, OrganizationViewSet

router = SimpleRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register(
    r"organizations/(?P<org_pk>\d+)/members",
    OrganizationMemberViewSet,
    basename="organization-member",
)

urlpatterns = router.urls
