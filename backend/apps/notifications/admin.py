"""Read-only admin for notification deliveries: what was sent, to whom, and what failed."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.notifications.models import NotificationDelivery


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_key", "channel", "recipient", "status", "attempts", "created_at"]
    list_filter = ["status", "channel"]
    search_fields = ["event_key", "recipient", "last_error"]
    raw_id_fields = ["project", "scan", "user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
