"""API routes of the webhook delivery log."""

from rest_framework.routers import SimpleRouter

from apps.notifications.webhook_apis import ProjectWebhookDeliveryViewSet

router = SimpleRouter()
router.register(
    r"projects/(?P<project_pk>\d+)/webhook-deliveries",
    ProjectWebhookDeliveryViewSet,
    basename="project-webhook-delivery",
)

urlpatterns = router.urls
