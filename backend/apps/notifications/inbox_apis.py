"""The caller's own in-app notifications (the web app's bell) and notification preferences.

Everything here is the caller's alone: another user's notification answers 404, staff
included. Project-scoped API keys reach none of it (no `scoped_key_access`).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.serializers import SEVERITY_CHOICES
from apps.common.pagination import CursorOrPagePagination
from apps.notifications.inbox import (
    ORDERINGS,
    notification_list,
    notification_mark_read,
    notification_unread_count,
    notifications_mark_all_read,
)
from apps.notifications.inbox_models import InboxEvent, Notification
from apps.notifications.preferences import (
    PreferenceError,
    notification_preferences_get,
    notification_preferences_update,
)


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = [
            "id",
            "event_type",
            "title",
            "body",
            "link",
            "project",
            "scan",
            "finding",
            "unread",
            "read_at",
            "created_at",
        ]
        extra_kwargs = {"link": {"help_text": "A path of the web app, e.g. /findings/12."}}


class NotificationListQuerySerializer(serializers.Serializer):
    order = serializers.ChoiceField(
        choices=sorted(ORDERINGS),
        default="newest",
        help_text="newest: newest first; unread: unread first, each newest first.",
    )


class NotificationUnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class NotificationsMarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were unread until now.")


@extend_schema(tags=["notifications"])
class NotificationListApi(APIView):
    """The caller's notifications, newest first or unread first, in cursor pages."""

    pagination_class = CursorOrPagePagination

    @extend_schema(
        parameters=[NotificationListQuerySerializer],
        responses=NotificationSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = NotificationListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        paginator = self.pagination_class()
        rows = paginator.paginate_queryset(
            notification_list(user=request.user, order=query.validated_data["order"]),
            request,
            view=self,
        )
        return paginator.get_paginated_response(NotificationSerializer(rows, many=True).data)


@extend_schema(tags=["notifications"])
class NotificationUnreadCountApi(APIView):
    """How many of the caller's notifications are unread (the bell's badge; cheap to poll)."""

    @extend_schema(responses=NotificationUnreadCountSerializer)
    def get(self, request: Request) -> Response:
        return Response({"unread": notification_unread_count(user=request.user)})


@extend_schema(tags=["notifications"], parameters=[OpenApiParameter("id", int, "path")])
class NotificationReadApi(APIView):
    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request: Request, id: Any) -> Response:
        """Mark one of the caller's notifications read (again is harmless)."""
        notification = notification_mark_read(user=request.user, notification_id=id)
        return Response(NotificationSerializer(notification).data)


@extend_schema(tags=["notifications"])
class NotificationReadAllApi(APIView):
    @extend_schema(request=None, responses=NotificationsMarkedSerializer)
    def post(self, request: Request) -> Response:
        """Mark every notification of the caller read."""
        return Response({"marked": notifications_mark_all_read(user=request.user)})


class EventPreferenceSerializer(serializers.Serializer):
    event = serializers.ChoiceField(choices=InboxEvent.choices)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a field named label
    in_app = serializers.BooleanField()
    email = serializers.BooleanField(
        allow_null=True, help_text="Null: this event sends no email (in the app only)."
    )


class EventPreferenceUpdateSerializer(serializers.Serializer):
    event = serializers.ChoiceField(choices=InboxEvent.choices)
    in_app = serializers.BooleanField(required=False)
    email = serializers.BooleanField(required=False)


class NotificationPreferencesOutputSerializer(serializers.Serializer):
    email_enabled = serializers.BooleanField(help_text="Off: no email at all.")
    new_findings_min_severity = serializers.ChoiceField(
        choices=SEVERITY_CHOICES,
        help_text="A scan's email goes out when it has new findings of at least this severity, "
        "whatever the scan switches say.",
    )
    events = EventPreferenceSerializer(many=True)


class NotificationPreferencesInputSerializer(serializers.Serializer):
    email_enabled = serializers.BooleanField(required=False)
    new_findings_min_severity = serializers.ChoiceField(choices=SEVERITY_CHOICES, required=False)
    events = serializers.ListField(
        child=EventPreferenceUpdateSerializer(), required=False, max_length=50
    )


@extend_schema(tags=["notifications"])
class NotificationPreferencesApi(APIView):
    """The caller's notification preferences per event and channel (in the app, by email)."""

    @extend_schema(responses=NotificationPreferencesOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(notification_preferences_get(user=request.user))

    @extend_schema(
        request=NotificationPreferencesInputSerializer,
        responses=NotificationPreferencesOutputSerializer,
    )
    def patch(self, request: Request) -> Response:
        """Change the switches named; the others keep their values."""
        data = NotificationPreferencesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            preferences = notification_preferences_update(
                user=request.user,
                email_enabled=data.validated_data.get("email_enabled"),
                new_findings_min_severity=data.validated_data.get("new_findings_min_severity"),
                events=data.validated_data.get("events", []),
            )
        except PreferenceError as exc:
            raise serializers.ValidationError({exc.field: [str(exc)]}) from exc
        return Response(preferences)
