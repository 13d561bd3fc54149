"""API routes of the in-app notifications and the notification preferences."""

from django.urls import path

from apps.notifications.inbox_apis import (
    NotificationListApi,
    NotificationPreferencesApi,
    NotificationReadAllApi,
    NotificationReadApi,
    NotificationUnreadCountApi,
)

urlpatterns = [
    path("notifications/", NotificationListApi.as_view(), name="notification-list"),
    path(
        "notifications/unread-count/",
        NotificationUnreadCountApi.as_view(),
        name="notification-unread-count",
    ),
    path("notifications/read-all/", NotificationReadAllApi.as_view(), name="notification-read-all"),
    path(
        "notifications/preferences/",
        NotificationPreferencesApi.as_view(),
        name="notification-preferences",
    ),
    path("notifications/<str:id>/read/", NotificationReadApi.as_view(), name="notification-read"),
]
