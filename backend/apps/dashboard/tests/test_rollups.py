"""The dashboard's rollups (PostgreSQL): exact after any mix of writes, repairable, and equal
to counting the findings in every timezone."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from apps.accounts.selectors import profile_get_for_user
from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    FindingFactory,
    ProjectFactory,
    ProjectMembershipFactory,
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
    UserFactory,
)
from apps.dashboard import selectors
from apps.dashboard.models import FindingCount, FindingTrendBucket
from apps.dashboard.selectors import dashboard_summary
from apps.findings.ingest import findings_ingest
from apps.findings.lifecycle import findings_auto_resolve
from apps.findings.models import Finding, FindingStatus, Severity
from apps.findings.services import finding_status_change, findings_bulk_triage
from apps.scans.models import ScanStatus
from apps.tools.adapters.base import NormalizedFinding

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="rollups are kept by PostgreSQL triggers"
    ),
]

BUCKET_SECONDS = 15 * 60
TRIAGE_STATUSES = [
    FindingStatus.CONFIRMED, FindingStatus.FALSE_POSITIVE, FindingStatus.ACCEPTED_RISK,
    FindingStatus.RESOLVED, FindingStatus.REOPENED,
]  # fmt: skip


def _bucket(moment: datetime) -> int:
    return int(moment.timestamp()) // BUCKET_SECONDS * BUCKET_SECONDS


def recount() -> tuple[dict, dict]:
    """The rollups as counted from the findings themselves."""
    counts = Counter(
        Finding.objects.values_list("project_id", "severity", "status", "on_default_branch")
    )
    buckets: Counter = Counter()
    for project_id, first_seen, resolved in Finding.objects.filter(
        on_default_branch=True
    ).values_list("project_id", "first_seen_at", "resolved_at"):
        if first_seen is not None:
            buckets[project_id, _bucket(first_seen), "new"] += 1
        if resolved is not None:
            buckets[project_id, _bucket(resolved), "resolved"] += 1
    return dict(counts), dict(buckets)


def rollups() -> tuple[dict, dict]:
    counts = {
        (row.project_id, row.severity, row.status, row.on_default_branch): row.count
        for row in FindingCount.objects.all()
    }
    buckets = {}
    for row in FindingTrendBucket.objects.all():
        assert row.bucket.timestamp() % BUCKET_SECONDS == 0
        assert (row.new_count, row.resolved_count) != (0, 0), "emptied rows are deleted"
        for kind, value in (("new", row.new_count), ("resolved", row.resolved_count)):
            if value:
                buckets[row.project_id, int(row.bucket.timestamp()), kind] = value
    return counts, buckets


def assert_rollups_exact(step: str) -> None:
    assert rollups() == recount(), step
    assert all(count > 0 for count in rollups()[0].values()), step


class World:
    """Three projects a member triages, scanned by one tool on one target each."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.member = UserFactory()
        self.tool = ToolDefinitionFactory(slug="semgrep")
        self.projects = []
        for _ in range(3):
            project = ProjectFactory()
            ProjectMembershipFactory(project=project, user=self.member, role=ProjectRole.MEMBER)
            target = TargetAssetFactory(project=project, asset_type="codebase_path")
            self.projects.append((project, target))

    def ingest(self) -> str:
        """A scan (now and then of a branch) reporting a random set of rules, in small
        batches (one upsert statement each), then finalised like a scan: auto-resolve."""
        project, target = self.random.choice(self.projects)
        default_branch = self.random.random() < 0.8
        scan = ScanFactory(
            project=project, status=ScanStatus.RUNNING, is_default_branch=default_branch,
            ref="" if default_branch else "feature",
        )  # fmt: skip
        result = ScanToolResultFactory(
            scan=scan, tool=self.tool, target=target, status="completed", config_digest="a" * 64
        )
        rules = self.random.sample(range(40), self.random.randint(0, 25))
        reported = [
            NormalizedFinding(
                title=f"issue {rule}", rule_id=f"R{rule}", file_path=f"src/r{rule}.py",
                line_start=rule + 1, severity=self.random.choice(Severity.values),
            )
            for rule in rules
        ]  # fmt: skip
        findings_ingest(
            project=project, findings=reported, tool=self.tool, tool_result=result,
            target=target, batch_size=7,
        )  # fmt: skip
        findings_auto_resolve(scan=scan, results=[result])
        return f"ingest {len(rules)} into {project.pk}"

    def _some(self, most: int) -> list[Finding]:
        findings = list(Finding.objects.order_by("pk"))
        return self.random.sample(findings, min(most, len(findings)))

    def triage(self) -> str:
        for finding in self._some(3):
            status = self.random.choice([s for s in TRIAGE_STATUSES if s != finding.status])
            finding_status_change(finding=finding, user=self.member, status=status, reason="why")
        return "triage"

    def bulk(self) -> str:
        ids = [finding.pk for finding in self._some(12)]
        findings_bulk_triage(
            findings=Finding.objects.filter(pk__in=ids), user=self.member,
            status=self.random.choice(TRIAGE_STATUSES), reason="bulk",
        )  # fmt: skip
        return "bulk triage"

    def raw_update(self) -> str:
        """Writes no service makes: move dates (also across bucket edges) and severities."""
        ids = [finding.pk for finding in self._some(10)]
        shift = timedelta(minutes=self.random.randint(-3000, 3000))
        Finding.objects.filter(pk__in=ids[:5]).update(
            first_seen_at=timezone.now() + shift, severity=self.random.choice(Severity.values)
        )
        Finding.objects.filter(pk__in=ids[5:]).update(
            resolved_at=timezone.now() + shift, on_default_branch=self.random.random() < 0.5
        )
        return "raw update"

    def delete_findings(self) -> str:
        Finding.objects.filter(pk__in=[finding.pk for finding in self._some(4)]).delete()
        return "delete findings"

    def delete_project(self) -> str:
        project, _ = self.projects.pop(self.random.randrange(len(self.projects)))
        project.delete()
        self.projects.append((project := ProjectFactory(), TargetAssetFactory(project=project)))
        ProjectMembershipFactory(project=project, user=self.member, role=ProjectRole.MEMBER)
        return "delete project"


@pytest.mark.parametrize("seed", [1, 2])
def test_rollups_equal_a_recount_after_a_long_random_mix_of_writes(seed):
    world = World(seed)
    steps = [world.triage, world.bulk, world.raw_update, world.delete_findings]
    for number in range(60):
        if number % 20 == 19:
            step = world.delete_project
        elif number < 6 or world.random.random() < 0.4:
            step = world.ingest
        else:
            step = world.random.choice(steps)
        done = step()
        assert_rollups_exact(f"step {number}: {done}")
    assert Finding.objects.count() > 20  # the mix really exercised the rollups


def test_rebuild_command_repairs_the_rollups():
    project = ProjectFactory()
    FindingFactory.create_batch(5, project=project, first_seen_at=timezone.now())
    FindingFactory(project=project, status=FindingStatus.RESOLVED, resolved_at=timezone.now())
    expected = rollups()
    FindingCount.objects.all().delete()
    FindingTrendBucket.objects.update(new_count=99)

    call_command("dashboard_rollup_rebuild")

    assert rollups() == expected == recount()


def test_truncating_findings_empties_the_rollups():
    FindingFactory.create_batch(3, first_seen_at=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending
        cursor.execute("TRUNCATE findings_finding CASCADE")
    assert (FindingCount.objects.count(), FindingTrendBucket.objects.count()) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_flush_which_truncates_findings_and_rollups_together_works():
    """Django's flush (and so every transactional test) truncates every table at once."""
    FindingFactory.create_batch(3, first_seen_at=timezone.now())
    call_command("flush", "--noinput")
    assert (FindingCount.objects.count(), FindingTrendBucket.objects.count()) == (0, 0)


@pytest.mark.parametrize(
    "zone", ["UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Pacific/Chatham"]
)
def test_the_trend_from_rollups_equals_counting_findings_in_any_timezone(monkeypatch, zone):
    user = UserFactory()
    profile = profile_get_for_user(user=user)
    profile.timezone = zone
    profile.save()
    project = ProjectFactory()
    ProjectMembershipFactory(project=project, user=user, role=ProjectRole.AUDITOR)
    rng = random.Random(zone)
    now = timezone.now()
    for _ in range(150):
        seen = now - timedelta(minutes=rng.randint(-600, 33 * 24 * 60))
        resolved = seen + timedelta(minutes=rng.randint(1, 3000)) if rng.random() < 0.4 else None
        FindingFactory(
            project=project, first_seen_at=seen, resolved_at=resolved,
            status=FindingStatus.RESOLVED if resolved else FindingStatus.NEW,
            severity=rng.choice(Severity.values),
        )  # fmt: skip

    from_rollups = dashboard_summary(user=user)
    monkeypatch.setattr(selectors, "rollups_maintained", lambda: False)
    from_findings = dashboard_summary(user=user)

    assert from_rollups.trend == from_findings.trend
    assert sum(day["new"] for day in from_rollups.trend) > 100
    assert (from_rollups.by_status, from_rollups.open_by_severity) == (
        from_findings.by_status,
        from_findings.open_by_severity,
    )
