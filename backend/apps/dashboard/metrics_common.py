"""What the metrics' modules share: the range, the limits, and which findings count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import QuerySet

from apps.findings.models import Finding, FindingStatus

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 90
DEFAULT_COVERAGE_DAYS = 7
MAX_COVERAGE_DAYS = 365
TOP_N = 10
UNCOVERED_SHOWN = 50
FIXED_STATUSES = (FindingStatus.RESOLVED, FindingStatus.AUTO_RESOLVED)
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-7", 0, 7),
    ("8-30", 8, 30),
    ("31-90", 31, 90),
    ("91+", 91, None),
)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass(frozen=True)
class MetricsRange:
    start: date
    end: date  # inclusive

    @property
    def since(self) -> datetime:
        return midnight(self.start)

    @property
    def before(self) -> datetime:
        return midnight(self.end + timedelta(days=1))


def default_branch_findings(project_ids: list[int]) -> QuerySet[Finding]:
    return Finding.objects.filter(project_id__in=project_ids, on_default_branch=True).order_by()
