"""API routes of the findings app."""

from rest_framework.routers import SimpleRouter

from apps.findings.apis import FindingEventViewSet, FindingOccurrenceViewSet, FindingViewSet
from apps.findings.group_apis import IssueGroupViewSet

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

urlpatterns = router.urls
