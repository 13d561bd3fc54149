"""Serializers for tool definitions."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.tools.models import ToolDefinition


class ToolOutputSerializer(serializers.ModelSerializer):
    supported_asset_types = serializers.ListField(child=serializers.CharField(), read_only=True)
    default_config = serializers.DictField(read_only=True)
    config_schema = serializers.DictField(
        read_only=True, help_text="JSON schema that per-configuration overrides must match."
    )

    class Meta:
        model = ToolDefinition
        fields = [
            "id",
            "slug",
            "name",
            "category",
            "description",
            "homepage",
            "supported_asset_types",
            "version",
            "available",
            "unavailable_reason",
            "enabled",
            "default_config",
            "config_schema",
            "last_checked_at",
        ]
        read_only_fields = fields


class ToolUpdateSerializer(serializers.Serializer):
    """Only `enabled` can change; any other field is refused rather than silently ignored."""

    enabled = serializers.BooleanField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        extra = sorted(set(self.initial_data) - {"enabled"})
        if extra:
            raise serializers.ValidationError(
                {field: "This field cannot be changed here." for field in extra}
            )
        return attrs


class TargetKindOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    asset_types = serializers.ListField(child=serializers.CharField())


class ToolPresetOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    target_kind = serializers.CharField(help_text="The id of one of `target_kinds`.")
    tools = serializers.ListField(
        child=serializers.CharField(), help_text="Tool slugs, in the order to show them."
    )


class ToolPresetsOutputSerializer(serializers.Serializer):
    """What the configuration editor offers: kinds of target to filter tools by, and presets."""

    target_kinds = TargetKindOutputSerializer(many=True)
    presets = ToolPresetOutputSerializer(many=True)
