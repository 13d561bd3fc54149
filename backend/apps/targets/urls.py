"""API routes of the targets app."""

from rest_framework.routers import SimpleRouter

from apps.targets.apis import TargetGroupViewSet, TargetViewSet

router = SimpleRouter()
router.register(r"projects/(?P<project_pk>\d+)/targets", TargetViewSet, basename="target")
router.register(
    r"projects/(?P<project_pk>\d+)/target-groups", TargetGroupViewSet, basename="target-group"
)

urlpatterns = router.urls
