"""Shapes of the import endpoints (rules live in services)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.common.ids import IdField
from apps.targets.models import AssetType


class ImportFormatSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The value of `format` in an import.")
    name = serializers.CharField()
    tool = serializers.CharField(
        allow_null=True, help_text="The tool this format belongs to; null for SARIF and generic."
    )
    media = serializers.CharField(help_text="JSON, JSON Lines, XML or SARIF 2.1.0.")
    description = serializers.CharField(help_text="What the report is and how to produce it.")
    schema_url = serializers.CharField(required=False, help_text="generic only: its JSON Schema.")


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,
        use_url=False,
        help_text="The report, as the tool wrote it (up to SECULITE_IMPORT_MAX_BYTES).",
    )
    format = serializers.CharField(
        max_length=64, help_text="A format id from GET /api/v1/imports/formats/."
    )
    target = IdField(required=False, help_text="Id of a target of the project.")
    target_name = serializers.CharField(
        required=False,
        max_length=150,
        help_text="Instead of `target`: the target with this name, created when missing.",
    )
    target_type = serializers.ChoiceField(
        choices=AssetType.choices, required=False, help_text="With target_name: its type."
    )
    target_identifier = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2048,
        help_text="With target_name, for a new target: its URL, path, image, range or domain.",
    )
    ref = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        trim_whitespace=False,
        help_text="The branch, tag or pull/merge request ref the report is about (e.g. "
        "refs/pull/12/head); empty: the target's default branch.",
    )
    commit = serializers.CharField(
        required=False, allow_blank=True, max_length=64, help_text="The commit, 7 to 64 hex digits."
    )
    tool_version = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="The tool's version."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        by_id = "target" in attrs
        by_name = bool(attrs.get("target_name") or attrs.get("target_type"))
        if by_id and by_name:
            raise serializers.ValidationError(
                {"target": ["Give either target or target_name and target_type, not both."]}
            )
        if not by_id and not by_name:
            raise serializers.ValidationError(
                {"target": ["Give a target id, or target_name and target_type."]}
            )
        if by_name:
            for name in ("target_name", "target_type"):
                if not attrs.get(name):
                    raise serializers.ValidationError({name: ["Required with target_name."]})
        return attrs

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        out: dict[str, Any] = {"upload": data.pop("file"), "format": data.pop("format")}
        if "target" in data:
            out["target_id"] = data.pop("target")
        return {**out, **data}
