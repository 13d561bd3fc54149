"""The metrics' rollups (PostgreSQL): the recomputes that ingest, scans, triage and SLA changes
queue (run in-process, as the worker runs them) leave the stored metrics equal to counting
the findings; a write no service makes is caught by beat's sweep; the metrics' queries never
read the findings table; the migration's frozen SQL builds what the live code builds."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.common.testing.factories import (
    FindingFactory,
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.dashboard import metrics_live, metrics_stored, snapshots
from apps.dashboard.metric_rollups import (
    TABLES,
    metrics_rollups_dirty,
    metrics_rollups_rebuild,
)
from apps.dashboard.metrics_common import MetricsRange
from apps.dashboard.models import FixedFindingDay, MetricsRollupState, OpenFindingGroup
from apps.dashboard.tests.test_rollups import World
from apps.findings.ingest import findings_ingest
from apps.findings.models import Finding, FindingStatus, Severity
from apps.findings.services import finding_status_change
from apps.findings.sla import project_sla_update
from apps.projects.models import Project
from apps.scans.models import ScanStatus
from apps.tools.adapters.base import NormalizedFinding
from seculite_api.celery import app as celery_app

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the rollups are PostgreSQL's (SQLite counts)"
    ),
]


@pytest.fixture
def worker(django_capture_on_commit_callbacks) -> Iterator[Any]:
    """Queued tasks run in-process once the caller's transaction commits, as the worker
    would run them: `with worker(): ...`."""
    conf = celery_app.conf
    before = (conf.task_always_eager, conf.task_eager_propagates)
    conf.task_always_eager = conf.task_eager_propagates = True
    yield lambda: django_capture_on_commit_callbacks(execute=True)
    conf.task_always_eager, conf.task_eager_propagates = before


def _figures(project_ids: list[int], module: Any) -> dict[str, Any]:
    today = snapshots.utc_day(snapshots.utc_now())
    figures: dict[str, Any] = {}
    for start, end in ((today - timedelta(days=89), today), (date(2000, 1, 1), today)):
        period = MetricsRange(start=start, end=end)
        figures[str(start)] = {
            "time_to_fix": module.time_to_fix(project_ids, period),
            "sla": module.sla_compliance(project_ids, period, today),
            "tools": module.per_tool(project_ids, period),
        }
    for shift in (0, 8, 40, 100):
        figures[f"age+{shift}"] = module.open_age(project_ids, today + timedelta(days=shift))
        figures[f"sla+{shift}"] = module.sla_compliance(
            project_ids, MetricsRange(start=today, end=today), today + timedelta(days=shift)
        )
    figures["top"] = module.top_open(project_ids)
    return figures


def assert_stored_equal_live(step: str) -> None:
    ids = sorted(Project.objects.values_list("pk", flat=True))
    for subset in (ids, ids[:1]):
        assert _figures(subset, metrics_stored) == _figures(subset, metrics_live), step


@pytest.mark.parametrize("seed", [3])
def test_what_services_queue_keeps_the_stored_metrics_equal_to_counting(worker, seed):
    world = World(seed)
    fixes_compared = False
    for number in range(20):
        step = world.ingest if number < 5 else world.random.choice(
            [world.ingest, world.triage, world.bulk]
        )  # fmt: skip
        with worker():
            done = step()
        assert_stored_equal_live(f"step {number}: {done}")
        fixes_compared |= FixedFindingDay.objects.filter(fixed_count__gt=0).exists()
        assert metrics_rollups_dirty() == [], "every write was followed by its recompute"
    assert fixes_compared and OpenFindingGroup.objects.exists()


def test_a_write_no_service_makes_is_caught_by_beats_sweep(worker):
    from apps.dashboard.tasks import metrics_rollups_refresh_dirty
    from seculite_api.config.celery import CELERY_BEAT_SCHEDULE

    world = World(5)
    for _ in range(4):
        with worker():
            world.ingest()
    assert metrics_rollups_dirty() == []
    world.raw_update()  # raw UPDATEs: no service, no queued recompute
    dirty = metrics_rollups_dirty()
    assert dirty, "the trigger bumped the changed projects' generation"

    assert metrics_rollups_refresh_dirty.apply().get() == len(dirty)

    assert metrics_rollups_dirty() == []
    assert_stored_equal_live("after the sweep")
    entry = CELERY_BEAT_SCHEDULE["dashboard-metrics-rollups-refresh-dirty"]
    assert entry["task"] == metrics_rollups_refresh_dirty.name
    assert entry["schedule"] <= 10 * 60


def _ingest(project: Any, tool: Any, target: Any, rules: list[int]) -> None:
    scan = ScanFactory(project=project, status=ScanStatus.RUNNING, is_default_branch=True)
    result = ScanToolResultFactory(scan=scan, tool=tool, target=target, status="completed")
    findings_ingest(
        project=project, tool=tool, tool_result=result, target=target,
        findings=[
            NormalizedFinding(title=f"issue {rule}", rule_id=f"R{rule}", cwe=79,
                              file_path="app/views.py", line_start=rule, severity=Severity.HIGH)
            for rule in rules
        ],
    )  # fmt: skip


def test_a_scans_findings_and_a_triage_show_in_the_metrics_once_committed(
    client_for, project_with_roles, worker
):
    project = project_with_roles.project
    tool = ToolDefinitionFactory(slug="semgrep", name="Semgrep")
    target = TargetAssetFactory(project=project)
    client = client_for(project_with_roles.member)
    url = f"/api/v1/projects/{project.pk}/metrics/"
    assert client.get(url).json()["tools"] == []

    with worker():
        _ingest(project, tool, target, [1, 2, 3])
    body = client.get(url).json()

    assert body["tools"] == [{"tool": "semgrep", "name": "Semgrep", "open": 3, "new": 3}]
    assert body["top"]["files"] == [{"key": "app/views.py", "count": 3}]
    assert body["top"]["cwes"] == [{"key": "CWE-79", "count": 3}]
    assert [row["high"] for row in body["age"]] == [3, 0, 0, 0]
    # as of the recompute's snapshot (in a test, its transaction's start: the test's)
    state = MetricsRollupState.objects.get(project_id=project.pk)
    assert parse_datetime(body["as_of"]) == state.computed_at

    finding = Finding.objects.get(project=project, rule_id="R2")
    with worker():
        finding_status_change(
            finding=finding, user=project_with_roles.member, status=FindingStatus.RESOLVED,
            reason="fixed",
        )  # fmt: skip
    body = client.get(url).json()

    assert body["tools"][0]["open"] == 2
    high = {row["severity"]: row for row in body["time_to_fix"]}["high"]
    assert high["fixed"] == 1 and high["median_days"] == 0.0
    assert {row["severity"]: row for row in body["sla"]}["high"]["fixed_on_time"] == 1


def test_an_sla_change_recomputes_the_due_days(project_with_roles, worker):
    project = project_with_roles.project
    FindingFactory(
        project=project, severity=Severity.HIGH, due_date=None,
        first_seen_at=timezone.now() - timedelta(days=5),
    )  # fmt: skip
    metrics_rollups_rebuild()
    today = snapshots.utc_day(snapshots.utc_now())

    def past_due() -> int:
        rows = metrics_stored.sla_compliance([project.pk], MetricsRange(today, today), today)
        return {row["severity"]: row for row in rows}["high"]["open_past_due"]

    assert past_due() == 0  # the default: 30 days
    with worker():
        project_sla_update(project=project, days={Severity.HIGH: 2})
    assert past_due() == 1


def test_the_metrics_never_read_the_findings_table(client_for, project_with_roles):
    project = project_with_roles.project
    FindingFactory.create_batch(
        30, project=project, first_seen_at=timezone.now() - timedelta(days=3)
    )
    FindingFactory.create_batch(
        10, project=project, status=FindingStatus.RESOLVED, resolved_at=timezone.now(),
        first_seen_at=timezone.now() - timedelta(days=9),
    )  # fmt: skip
    metrics_rollups_rebuild()
    client = client_for(project_with_roles.member)
    for url in ("/api/v1/metrics/", f"/api/v1/projects/{project.pk}/metrics/"):
        client.get(url)  # the first read creates the caller's profile
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        for query in captured.captured_queries:
            sql = query["sql"]
            assert "findings_finding" not in sql, sql
            if sql.startswith("SELECT"):
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN {sql}")
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                assert "findings_finding" not in plan, f"{sql}\n{plan}"


def _stored_rows() -> dict[str, list[tuple[Any, ...]]]:
    rows = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - our table names
            rows[table] = sorted((row[1:] for row in cursor.fetchall()), key=repr)  # no id
    return rows


def test_the_rebuild_command_and_the_migrations_sql_build_the_same_rows():
    world = World(6)
    for _ in range(6):
        world.ingest()
    world.bulk()
    metrics_rollups_rebuild()
    expected = _stored_rows()
    assert expected["dashboard_openfindinggroup"]

    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - our table names
    call_command("dashboard_rollup_rebuild")
    assert _stored_rows() == expected

    migration = importlib.import_module("apps.dashboard.migrations.0003_metric_rollups")
    with connection.cursor() as cursor:
        for table in (*TABLES, "dashboard_metricsrollupstate"):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - our table names
        for statement in migration.BUILD:
            cursor.execute(statement)
    assert _stored_rows() == expected
    assert MetricsRollupState.objects.count() == Project.objects.count()


def test_a_cached_read_is_replaced_by_any_recompute_of_its_projects(
    client_for, project_with_roles, worker
):
    project = project_with_roles.project
    tool = ToolDefinitionFactory(slug="semgrep", name="Semgrep")
    target = TargetAssetFactory(project=project)
    with worker():
        _ingest(project, tool, target, [1, 2])
    client = client_for(project_with_roles.member)
    url = f"/api/v1/projects/{project.pk}/metrics/"
    assert client.get(url).json()["tools"][0]["open"] == 2
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).json()["tools"][0]["open"] == 2
    assert not any("dashboard_openfindinggroup" in q["sql"] for q in captured.captured_queries)

    with worker():
        _ingest(project, tool, target, [1, 2, 3])  # a third finding
    assert client.get(url).json()["tools"][0]["open"] == 3
