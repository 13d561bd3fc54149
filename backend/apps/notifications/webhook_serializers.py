"""Output shapes of the webhook delivery log."""

from __future__ import annotations

import json
from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.common.ids import IdFilter
from apps.notifications.formats import WebhookFormat
from apps.notifications.models import DeliveryStatus
from apps.notifications.webhook_models import AttemptTrigger, WebhookAttempt, WebhookMessage
from apps.projects.serializers import UserSummarySerializer


class WebhookMessageFilter(django_filters.FilterSet):
    configuration = IdFilter(
        field_name="configuration_id", label="Messages of this scan configuration id."
    )

    class Meta:
        model = WebhookMessage
        fields = ["configuration"]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    trigger = serializers.ChoiceField(choices=AttemptTrigger.choices)
    triggered_by = UserSummarySerializer(read_only=True, allow_null=True)
    status_code = serializers.IntegerField(
        allow_null=True, help_text="The receiver's HTTP status; null when none answered."
    )
    response_excerpt = serializers.CharField(
        help_text="The start of the receiver's answer (at most 1000 characters)."
    )

    class Meta:
        model = WebhookAttempt
        fields = [
            "number",
            "trigger",
            "attempted_at",
            "duration_ms",
            "ok",
            "status_code",
            "error",
            "response_excerpt",
            "triggered_by",
        ]
        read_only_fields = fields


class _ConfigurationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class WebhookMessageSerializer(serializers.ModelSerializer):
    configuration = _ConfigurationRefSerializer(read_only=True, allow_null=True)
    format = serializers.ChoiceField(choices=WebhookFormat.choices)
    status = serializers.ChoiceField(
        source="delivery.status",
        choices=DeliveryStatus.choices,
        help_text="pending while retries are scheduled, then sent or failed.",
    )
    recipient = serializers.CharField(
        source="delivery.recipient", help_text="The webhook URL without its secret parts."
    )
    scan = serializers.IntegerField(source="delivery.scan_id", allow_null=True)
    guid = serializers.UUIDField(help_text="The X-SecuLite-Delivery header of every attempt.")
    attempts = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookMessage
        fields = [
            "id",
            "guid",
            "event",
            "format",
            "configuration",
            "scan",
            "recipient",
            "status",
            "next_retry_at",
            "created_at",
            "attempts",
        ]
        read_only_fields = fields


class WebhookMessageDetailSerializer(WebhookMessageSerializer):
    payload = serializers.SerializerMethodField(help_text="The JSON body sent (and signed).")

    class Meta(WebhookMessageSerializer.Meta):
        fields = [*WebhookMessageSerializer.Meta.fields, "payload"]
        read_only_fields = fields

    @extend_schema_field(serializers.JSONField())
    def get_payload(self, message: WebhookMessage) -> Any:
        return json.loads(message.body)
