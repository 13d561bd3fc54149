"""Query-string filters for target groups."""

from __future__ import annotations

import django_filters

from apps.common.ids import IdFilter
from apps.targets.models import TargetGroup


class TargetGroupFilter(django_filters.FilterSet):
    # A plain number filter: a choice filter over all targets would answer differently for
    # ids of other projects' targets than for unknown ids.
    target = IdFilter(field_name="targets", label="Only groups containing the target with this id.")

    class Meta:
        model = TargetGroup
        fields = ["target"]
