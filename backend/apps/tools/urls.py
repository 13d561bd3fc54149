"""API routes of the tools app."""

from rest_framework.routers import SimpleRouter

from apps.tools.apis import ToolViewSet

router = SimpleRouter()
router.register("tools", ToolViewSet, basename="tool")

urlpatterns = router.urls
