"""The answer of GET /scans/{id}/compare/ (apart from apps.scans.serializers, which the
findings serializers it nests import)."""

from __future__ import annotations

from rest_framework import serializers

from apps.findings.serializers import FindingListSerializer
from apps.scans.models import Scan
from apps.scans.serializers import ScanStatusField


class ComparedScanSerializer(serializers.ModelSerializer):
    status = ScanStatusField(read_only=True)

    class Meta:
        model = Scan
        fields = ["id", "ref", "commit_sha", "status", "finished_at"]
        read_only_fields = fields


class CompareCountsSerializer(serializers.Serializer):
    new = serializers.IntegerField(help_text="Seen by the scan, not by the base scan, not "
                                   "triaged as false positive or accepted risk.")  # fmt: skip
    fixed = serializers.IntegerField(help_text="Seen by the base scan, not by the scan, for a "
                                     "tool and target the scan ran successfully.")  # fmt: skip
    unchanged = serializers.IntegerField(help_text="Seen by both.")


class ScanCompareSerializer(serializers.Serializer):
    scan = ComparedScanSerializer()
    base = serializers.CharField(help_text="The base as asked: a ref, or a scan id.")
    base_scan = ComparedScanSerializer(
        allow_null=True,
        help_text="The scan compared with; null when no completed scan of the base ref shares "
        "a target with this scan (then every finding it saw is new).",
    )
    counts = CompareCountsSerializer()
    new = FindingListSerializer(many=True, help_text="New findings, worst first (at most limit).")
    fixed = FindingListSerializer(
        many=True, help_text="Fixed findings, worst first (at most limit)."
    )
    truncated = serializers.BooleanField(help_text="Whether a list was cut at limit.")


class ScanCompareQuerySerializer(serializers.Serializer):
    base = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        help_text="A ref (branch, tag, refs/pull/12/head) or the id of a scan of the same "
        "project; default: the default branch of the scan's target.",
    )
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=10_000, default=1000,
        help_text="At most this many findings in each list.",
    )  # fmt: skip
