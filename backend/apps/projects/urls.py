"""API routes of the projects app."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from apps.projects.apis import ProjectInvitationAcceptApi, ProjectMemberViewSet, ProjectViewSet

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register(
    r"projects/(?P<project_pk>\d+)/members", ProjectMemberViewSet, basename="project-member"
)

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "projects/invitations/accept/",
        ProjectInvitationAcceptApi.as_view(),
        name="project-invitation-accept",
    ),
    *router.urls,
]
