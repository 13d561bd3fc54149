"""API routes of the projects app."""

from rest_framework.routers import SimpleRouter

from apps.projects.apis import ProjectMemberViewSet, ProjectViewSet

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register(
    r"projects/(?P<project_pk>\d+)/members", ProjectMemberViewSet, basename="project-member"
)

urlpatterns = router.urls
