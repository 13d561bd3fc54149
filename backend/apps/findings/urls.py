"""API routes of the findings app."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.findings.apis import FindingEventViewSet, FindingOccurrenceViewSet, FindingViewSet
from apps.findings.group_apis import IssueGroupViewSet
from apps.findings.triage_apis import ProjectSlaApi, SavedFilterDetailApi, SavedFilterListApi

router = SimpleRouter()
router.register("findings", FindingViewSet, basename="finding")
router.register("issue-groups", IssueGroupViewSet, basename="issue-group")
router.register(
    r"findings/(?P<finding_pk>\d+)/events", FindingEventViewSet, basename="finding-event"
)
router.register(
    r"findings/(?P<finding_pk>\d+)/occurrences",
    FindingOccurrenceViewSet,
    basename="finding-occurrence",
)

urlpatterns = [
    path("saved-filters/", SavedFilterListApi.as_view(), name="saved-filter-list"),
    path("saved-filters/<str:id>/", SavedFilterDetailApi.as_view(), name="saved-filter-detail"),
    path("projects/<str:project_pk>/sla/", ProjectSlaApi.as_view(), name="project-sla"),
    *router.urls,
]
