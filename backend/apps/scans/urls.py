"""API routes of the scans app."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.scans.apis import (
    ProjectScanViewSet,
    ScanConfigurationViewSet,
    ScanConfigurationWebhookTriggerApi,
    ScanViewSet,
)

router = SimpleRouter()
router.register(
    r"projects/(?P<project_pk>\d+)/scan-configurations",
    ScanConfigurationViewSet,
    basename="scan-configuration",
)
router.register(r"projects/(?P<project_pk>\d+)/scans", ProjectScanViewSet, basename="project-scan")
router.register("scans", ScanViewSet, basename="scan")

urlpatterns = [
    *router.urls,
    path(
        "webhooks/scan-configurations/<int:configuration_id>/trigger/",
        ScanConfigurationWebhookTriggerApi.as_view(),
        name="scan-configuration-webhook-trigger",
    ),
]
