"""Metrics over time on a seeded history, every figure checked against values worked out by
hand here (the comments show the sums), with the clock frozen at 2026-03-04 12:00 UTC.

Project P (the roles' project) and project Q (same member, its own SLA) hold:

    id   sev       first seen         closed                          tool     rule  cwe  file
    F1   critical  02-02 10:00        resolved 02-05 10:00 (3 d)      semgrep  -
    F2   critical  02-03 00:00        auto-resolved 02-13 (10 d)      semgrep  -
    F3   high      01-01 00:00        resolved 02-10 12:00 (40.5 d)   bandit   -
    F4   high      02-16 06:00        open, due 03-01 (past due)      semgrep  sqli  89  app/db.py
    F5   medium    02-20 00:00        open (confirmed)                bandit   B105 259  app/db.py
    F6   low       2025-10-01         auto-res. 01-10, reopened 02-18 bandit   B303 327  crypto.py
    F7   medium    02-25 08:00        false positive 02-26            semgrep  -
    F8   critical  03-02 09:00        open                            semgrep  sqli  89  app/db.py
    F10  critical  02-10              open, branch only (never counted)
    F11  low       02-01 00:00        resolved 02-20 23:00 (19.958 d), due 02-20 (on time)
    Q9   high      02-09 00:00        resolved 02-11 00:00 (2 d); Q's SLA: high 1 day
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    FindingFactory,
    ProjectFactory,
    ProjectMembershipFactory,
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.dashboard import snapshots
from apps.dashboard.metric_rollups import metrics_rollups_rebuild
from apps.dashboard.models import OpenFindingSnapshot
from apps.dashboard.rollups import rollups_maintained
from apps.dashboard.snapshots import snapshots_take
from apps.findings.models import FindingEvent, FindingStatus, ProjectSla, Severity

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
RANGE = {"from": "2026-02-02", "to": "2026-03-04"}


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch) -> dict[str, datetime]:
    """A frozen clock for the snapshots and metrics: set `clock["now"]` to move it."""
    frozen = {"now": NOW}
    monkeypatch.setattr(snapshots, "utc_now", lambda: frozen["now"])
    return frozen


def _event(finding: Any, when: datetime, event_type: str, to: str) -> None:
    event = FindingEvent.objects.create(finding=finding, event_type=event_type, to_value=to)
    FindingEvent.objects.filter(pk=event.pk).update(created_at=when)


@pytest.fixture
def history(project_with_roles, clock) -> Any:
    p = project_with_roles.project
    semgrep = ToolDefinitionFactory(slug="semgrep", name="Semgrep")
    bandit = ToolDefinitionFactory(slug="bandit", name="Bandit")

    def finding(**fields: Any) -> Any:
        fields.setdefault("project", p)
        fields.setdefault("due_date", None)
        fields.setdefault("rule_id", "")
        fields.setdefault("file_path", "")
        return FindingFactory(**fields)

    finding(severity=Severity.CRITICAL, first_seen_at=at(2, 2, 10), tool=semgrep,
            status=FindingStatus.RESOLVED, resolved_at=at(2, 5, 10))  # fmt: skip
    f2 = finding(severity=Severity.CRITICAL, first_seen_at=at(2, 3), tool=semgrep,
                 status=FindingStatus.AUTO_RESOLVED, resolved_at=at(2, 13))  # fmt: skip
    _event(f2, at(2, 13), "auto_resolved", FindingStatus.AUTO_RESOLVED)
    finding(severity=Severity.HIGH, first_seen_at=at(1, 1), tool=bandit,
            status=FindingStatus.RESOLVED, resolved_at=at(2, 10, 12))  # fmt: skip
    finding(severity=Severity.HIGH, first_seen_at=at(2, 16, 6), tool=semgrep, rule_id="sqli",
            cwe=89, file_path="app/db.py", due_date=date(2026, 3, 1))  # fmt: skip
    finding(severity=Severity.MEDIUM, first_seen_at=at(2, 20), tool=bandit, rule_id="B105",
            cwe=259, file_path="app/db.py", status=FindingStatus.CONFIRMED)  # fmt: skip
    f6 = finding(severity=Severity.LOW, first_seen_at=at(10, 1, year=2025), tool=bandit,
                 rule_id="B303", cwe=327, file_path="app/crypto.py",
                 status=FindingStatus.REOPENED)  # fmt: skip
    _event(f6, at(1, 10), "auto_resolved", FindingStatus.AUTO_RESOLVED)
    _event(f6, at(2, 18), "reopened", FindingStatus.REOPENED)
    f7 = finding(severity=Severity.MEDIUM, first_seen_at=at(2, 25, 8), tool=semgrep,
                 status=FindingStatus.FALSE_POSITIVE)  # fmt: skip
    _event(f7, at(2, 26, 10), "status_changed", FindingStatus.FALSE_POSITIVE)
    finding(severity=Severity.CRITICAL, first_seen_at=at(3, 2, 9), tool=semgrep, rule_id="sqli",
            cwe=89, file_path="app/db.py")  # fmt: skip
    finding(severity=Severity.CRITICAL, first_seen_at=at(2, 10), tool=semgrep,
            on_default_branch=False, rule_id="sqli", cwe=89)  # fmt: skip
    finding(severity=Severity.LOW, first_seen_at=at(2, 1), tool=None, due_date=date(2026, 2, 20),
            status=FindingStatus.RESOLVED, resolved_at=at(2, 20, 23))  # fmt: skip

    q = ProjectFactory(name="Q")
    ProjectMembershipFactory(project=q, user=project_with_roles.member, role=ProjectRole.MEMBER)
    ProjectSla.objects.create(project=q, high_days=1)
    finding(project=q, severity=Severity.HIGH, first_seen_at=at(2, 9), tool=bandit,
            status=FindingStatus.RESOLVED, resolved_at=at(2, 11))  # fmt: skip
    # Another team's project: never counted.
    finding(project=ProjectFactory(), severity=Severity.CRITICAL, first_seen_at=at(3, 1))
    project_with_roles.q = q
    # Factories write findings directly (as raw SQL would): the worker's recompute that
    # ingest and triage queue never ran, so the metrics' rollups are rebuilt here.
    if rollups_maintained():
        metrics_rollups_rebuild()
    return project_with_roles


def _get(client: Any, url: str, **params: Any) -> dict[str, Any]:
    response = client.get(url, {**RANGE, **params})
    assert response.status_code == 200, response.content[:500]
    return response.json()


def _project_url(history: Any) -> str:
    return f"/api/v1/projects/{history.project.pk}/metrics/"


def _by(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in rows}


def test_new_vs_fixed_per_iso_week(client_for, history):
    body = _get(client_for(history.auditor), _project_url(history))

    # new: F1 F2 (W06), F4 F5 (W08), F7 (W09), F8 (W10); fixed: F1 (W06), F3 F2 (W07), F11 (W08)
    assert [(w["week"], w["start"], w["new"], w["fixed"]) for w in body["new_vs_fixed"]] == [
        ("2026-W06", "2026-02-02", 2, 1),
        ("2026-W07", "2026-02-09", 0, 2),
        ("2026-W08", "2026-02-16", 2, 1),
        ("2026-W09", "2026-02-23", 1, 0),
        ("2026-W10", "2026-03-02", 1, 0),
    ]
    assert (body["from"], body["to"], body["today"], body["timezone"]) == (
        "2026-02-02", "2026-03-04", "2026-03-04", "UTC",
    )  # fmt: skip


def test_time_to_fix_per_severity(client_for, history):
    project = _by(
        _get(client_for(history.member), _project_url(history))["time_to_fix"], "severity"
    )

    # critical: F1 3 d and F2 10 d -> mean (3 + 10) / 2 = 6.5, median 6.5
    assert project["critical"] == {"severity": "critical", "fixed": 2, "mean_days": 6.5,
                                   "median_days": 6.5}  # fmt: skip
    assert project["high"]["fixed"] == 1 and project["high"]["median_days"] == 40.5  # F3
    # F11: 19 days 23 hours = 19.958 days
    assert (project["low"]["mean_days"], project["low"]["median_days"]) == (19.96, 19.96)
    assert project["medium"] == {"severity": "medium", "fixed": 0, "mean_days": None,
                                 "median_days": None}  # fmt: skip

    # Across P and Q: high adds Q9's 2 days -> (40.5 + 2) / 2 = 21.25
    dashboard = _by(_get(client_for(history.member), "/api/v1/metrics/")["time_to_fix"], "severity")
    assert (dashboard["high"]["fixed"], dashboard["high"]["mean_days"]) == (2, 21.25)
    assert dashboard["high"]["median_days"] == 21.25


def test_sla_compliance_with_default_and_project_slas(client_for, history):
    project = _by(_get(client_for(history.member), _project_url(history))["sla"], "severity")

    # critical (default 7 days): F1 due 02-09 fixed 02-05 on time, F2 due 02-10 fixed 02-13 late;
    # F8 open, due 03-09.
    assert project["critical"] == {"severity": "critical", "fixed": 2, "fixed_on_time": 1,
                                   "compliance": 0.5, "open_with_due_date": 1,
                                   "open_past_due": 0}  # fmt: skip
    # high (default 30 days): F3 due 01-31 fixed 02-10 late; F4 open and due 03-01 < 03-04.
    assert project["high"] == {"severity": "high", "fixed": 1, "fixed_on_time": 0,
                               "compliance": 0.0, "open_with_due_date": 1,
                               "open_past_due": 1}  # fmt: skip
    # low: F11 fixed at 23:00 on its due day counts as on time; F6 open, due 2026-03-30.
    assert (project["low"]["fixed_on_time"], project["low"]["compliance"]) == (1, 1.0)
    assert (project["low"]["open_with_due_date"], project["low"]["open_past_due"]) == (1, 0)
    # medium: nothing fixed, F5 open (due 05-21); F7 dismissed counts nowhere.
    assert project["medium"]["compliance"] is None
    assert project["medium"]["open_with_due_date"] == 1
    assert project["informational"]["open_with_due_date"] == 0

    # Q's own SLA (high: 1 day): Q9 due 02-10, fixed 02-11 -> late.
    dashboard = _by(_get(client_for(history.member), "/api/v1/metrics/")["sla"], "severity")
    assert (dashboard["high"]["fixed"], dashboard["high"]["fixed_on_time"]) == (2, 0)


def test_age_of_open_findings(client_for, history):
    body = _get(client_for(history.member), _project_url(history))

    # F8 2 days, F4 16 days (02-16), F5 12 days (02-20), F6 154 days (2025-10-01).
    assert [(b["bucket"], b["total"]) for b in body["age"]] == [
        ("0-7", 1), ("8-30", 2), ("31-90", 0), ("91+", 1),
    ]  # fmt: skip
    ages = _by(body["age"], "bucket")
    assert (ages["0-7"]["critical"], ages["8-30"]["high"], ages["8-30"]["medium"]) == (1, 1, 1)
    assert ages["91+"]["low"] == 1


def test_top_rules_cwes_files_and_tools(client_for, history):
    body = _get(client_for(history.member), _project_url(history))

    # Open on the default branch: F4, F8 (sqli, 89, db.py), F5 (B105, 259, db.py), F6.
    assert body["top"]["rules"] == [
        {"key": "sqli", "count": 2}, {"key": "B105", "count": 1}, {"key": "B303", "count": 1},
    ]  # fmt: skip
    assert [c["key"] for c in body["top"]["cwes"]] == ["CWE-89", "CWE-259", "CWE-327"]
    assert body["top"]["files"] == [
        {"key": "app/db.py", "count": 3}, {"key": "app/crypto.py", "count": 1},
    ]  # fmt: skip
    # semgrep: open F4 F8, new F1 F2 F4 F7 F8; bandit: open F5 F6, new F5.
    assert body["tools"] == [
        {"tool": "semgrep", "name": "Semgrep", "open": 2, "new": 5},
        {"tool": "bandit", "name": "Bandit", "open": 2, "new": 1},
    ]


def test_open_by_day_reads_the_snapshots_taken_each_day(client_for, history, clock):
    """Snapshots taken on given days hold that day's counts; days without one are null,
    today is live."""
    OpenFindingSnapshot.objects.all().delete()  # the migration's backfill is not this test's
    clock["now"] = at(2, 27, 23, 50)
    assert snapshots_take() == 3  # P, Q and the other team's project
    row = OpenFindingSnapshot.objects.get(project=history.project, day=date(2026, 2, 27))
    # Today's counts, as the rollups hold them now: F4 high, F5 medium, F6 low, F8 critical.
    assert (row.critical, row.high, row.medium, row.low) == (1, 1, 1, 1)
    OpenFindingSnapshot.objects.filter(pk=row.pk).update(critical=0, high=5)  # "as it was"
    clock["now"] = at(2, 28, 9)
    snapshots_take(project_ids=[history.project.pk])
    clock["now"] = at(2, 28, 23, 55)  # a later run the same day rewrites the day
    snapshots_take(project_ids=[history.project.pk])
    assert OpenFindingSnapshot.objects.filter(day=date(2026, 2, 28)).count() == 1
    clock["now"] = NOW

    body = _get(client_for(history.member), _project_url(history), **{"from": "2026-02-26"})

    days = body["open_by_day"]
    assert [d["date"] for d in days] == [
        "2026-02-26", "2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02", "2026-03-03",
        "2026-03-04",
    ]  # fmt: skip
    assert days[0] == {"date": "2026-02-26", "recorded": False, "total": None, "critical": None,
                       "high": None, "medium": None, "low": None, "informational": None,
                       "unknown": None}  # fmt: skip
    assert (days[1]["critical"], days[1]["high"], days[1]["total"]) == (0, 5, 7)
    assert (days[2]["recorded"], days[2]["total"]) == (True, 4)
    assert days[3]["recorded"] is False
    assert (days[6]["recorded"], days[6]["critical"], days[6]["total"]) == (True, 1, 4)


def test_backfill_rebuilds_each_day_from_the_findings_history(client_for, history):
    OpenFindingSnapshot.objects.all().delete()
    call_command("dashboard_snapshot_backfill", project=[history.project.pk])

    def day(value: str) -> tuple[int, int, int, int]:
        row = OpenFindingSnapshot.objects.get(
            project=history.project, day=date.fromisoformat(value)
        )
        assert row.backfilled
        return row.critical, row.high, row.medium, row.low

    # (critical, high, medium, low) at the end of each day:
    assert day("2025-10-01") == (0, 0, 0, 1)  # F6 first seen
    assert day("2026-01-09") == (0, 1, 0, 1)  # F6 still open; F3 open since 01-01
    assert day("2026-01-10") == (0, 1, 0, 0)  # F6 auto-resolved; F3 open since 01-01
    assert day("2026-02-01") == (0, 1, 0, 1)  # F3, F11
    assert day("2026-02-03") == (2, 1, 0, 1)  # + F1, F2
    assert day("2026-02-10") == (1, 0, 0, 1)  # F1 fixed 02-05, F3 fixed 02-10: F2, F11
    assert day("2026-02-18") == (0, 1, 0, 2)  # F2 fixed 02-13; F4; F6 reopened; F11
    assert day("2026-02-25") == (0, 1, 2, 1)  # F11 fixed 02-20; F5, F7; F6
    assert day("2026-02-26") == (0, 1, 1, 1)  # F7 dismissed
    assert day("2026-03-04") == (1, 1, 1, 1)  # + F8
    # The first day is the project's first sighting; the last is today.
    days = OpenFindingSnapshot.objects.filter(project=history.project)
    assert days.count() == (date(2026, 3, 4) - date(2025, 10, 1)).days + 1
    # A live snapshot of today agrees with the reconstruction.
    snapshots_take(project_ids=[history.project.pk])
    live = OpenFindingSnapshot.objects.get(project=history.project, day=date(2026, 3, 4))
    assert (live.critical, live.high, live.medium, live.low, live.backfilled) == (1, 1, 1, 1, False)
    # Days taken live are kept by a second backfill; --overwrite replaces them.
    call_command("dashboard_snapshot_backfill", project=[history.project.pk])
    assert not OpenFindingSnapshot.objects.get(pk=live.pk).backfilled
    call_command("dashboard_snapshot_backfill", project=[history.project.pk], overwrite=True)
    assert OpenFindingSnapshot.objects.get(pk=live.pk).backfilled

    body = _get(client_for(history.member), _project_url(history))
    series = {d["date"]: d for d in body["open_by_day"]}
    assert len(series) == 31 and all(d["recorded"] for d in series.values())
    assert (series["2026-02-03"]["critical"], series["2026-02-03"]["total"]) == (2, 4)
    assert series["2026-02-25"]["total"] == 4


def test_scanner_coverage(client_for, history, clock):
    project = history.project
    tool = ToolDefinitionFactory(slug="semgrep")
    scanned, stale, failed, _never = (
        TargetAssetFactory(project=project, name=name) for name in ("api", "web", "infra", "docs")
    )
    TargetAssetFactory(project=project, name="retired", is_active=False)
    for target, status, finished in (
        (scanned, "completed", NOW - timedelta(days=2)),
        (stale, "no_findings", NOW - timedelta(days=9)),
        (failed, "failed", NOW - timedelta(days=1)),
        (failed, "completed", NOW - timedelta(days=30)),
    ):
        ScanToolResultFactory(scan=ScanFactory(project=project), tool=tool, target=target,
                              status=status, finished_at=finished)  # fmt: skip

    coverage = _get(client_for(history.member), _project_url(history))["coverage"]
    assert (coverage["days"], coverage["targets"], coverage["uncovered_count"]) == (7, 4, 3)
    assert [(t["name"], t["last_successful_run_at"]) for t in coverage["uncovered"]] == [
        ("web", "2026-02-23T12:00:00Z"),
        ("infra", "2026-02-02T12:00:00Z"),
        ("docs", None),
    ]
    wider = _get(client_for(history.member), _project_url(history), coverage_days=10)["coverage"]
    assert [t["name"] for t in wider["uncovered"]] == ["infra", "docs"]


def test_default_range_is_the_last_90_days(client_for, history):
    response = client_for(history.member).get(_project_url(history))
    body = response.json()
    assert (body["from"], body["to"]) == ("2025-12-05", "2026-03-04")
    assert len(body["open_by_day"]) == 90


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"to": "2026-03-05"}, "to"),  # after today
        ({"from": "2026-03-04", "to": "2026-03-01"}, "from"),
        ({"from": "2025-03-03", "to": "2026-03-04"}, "from"),  # 367 days
        ({"coverage_days": "0"}, "coverage_days"),
        ({"coverage_days": "366"}, "coverage_days"),
        ({"coverage_days": "99999999999999999999999"}, "coverage_days"),
    ],
)
def test_a_malformed_range_is_a_400_in_the_error_shape(client_for, history, params, field):
    for url in (_project_url(history), "/api/v1/metrics/"):
        response = client_for(history.member).get(url, params)
        assert response.status_code == 400, response.content[:300]
        error = response.json()["error"]
        assert (error["status"], error["code"]) == (400, "invalid")
        assert field in error["fields"]


def test_the_longest_range_is_366_days(client_for, history):
    response = client_for(history.member).get(
        _project_url(history), {"from": "2025-03-04", "to": "2026-03-04"}
    )
    assert response.status_code == 200
    assert len(response.json()["open_by_day"]) == 366


def test_roles_outsiders_and_staff(client_for, api_client, history):
    url = _project_url(history)
    assert client_for(history.outsider).get(url).status_code == 404
    assert client_for(history.staff).get(url, RANGE).status_code == 200
    assert api_client.get(url).status_code == 401
    # Across projects: the outsider sees nothing, staff sees every project.
    outsider = _get(client_for(history.outsider), "/api/v1/metrics/")
    assert outsider["project_count"] == 0
    assert sum(w["new"] for w in outsider["new_vs_fixed"]) == 0
    staff = _get(client_for(history.staff), "/api/v1/metrics/")
    assert staff["project_count"] == 3
    # The other team's critical (first seen 03-01) is staff's only, in W09.
    member = _get(client_for(history.member), "/api/v1/metrics/")
    assert [w["new"] for w in staff["new_vs_fixed"]] == [2, 1, 2, 2, 1]
    assert [w["new"] for w in member["new_vs_fixed"]] == [2, 1, 2, 1, 1]  # + Q9 in W07


def _queries(client: Any, url: str) -> int:
    """Queries of one request with nothing cached (a hit skips the rollups' reads)."""
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, RANGE).status_code == 200
    return len(captured.captured_queries)


def test_query_count_does_not_grow_with_findings_targets_or_projects(client_for, history):
    client = client_for(history.member)
    for url in ("/api/v1/metrics/", _project_url(history)):
        _queries(client, url)  # the first read creates the caller's profile
        before = _queries(client, url)
        for severity in (Severity.CRITICAL, Severity.LOW):
            FindingFactory.create_batch(5, project=history.project, severity=severity,
                                        first_seen_at=at(2, 20), status=FindingStatus.RESOLVED,
                                        resolved_at=at(2, 21))  # fmt: skip
        scan = ScanFactory(project=history.project)
        for _ in range(3):
            target = TargetAssetFactory(project=history.project)
            ScanToolResultFactory(scan=scan, target=target, status="completed", finished_at=NOW)
        for _ in range(3):
            project = ProjectFactory()
            ProjectMembershipFactory(project=project, user=history.member, role=ProjectRole.MEMBER)
            ProjectSla.objects.create(project=project, critical_days=3)
            FindingFactory.create_batch(4, project=project, first_seen_at=at(2, 25))
        snapshots_take()
        if rollups_maintained():
            metrics_rollups_rebuild()  # the stored rows grow with them too
        assert _queries(client, url) == before, url


def test_the_migration_backfills_once_and_beat_keeps_today(history, clock):
    """Migration 0002 fills the past from the history; beat rewrites today from the rollups."""
    import importlib

    from django.apps import apps as django_apps

    from apps.dashboard.tasks import snapshots_take as task
    from seculite_api.config.celery import CELERY_BEAT_SCHEDULE

    OpenFindingSnapshot.objects.all().delete()
    migration = importlib.import_module("apps.dashboard.migrations.0002_open_finding_snapshots")
    migration.backfill(django_apps, None)

    feb3 = OpenFindingSnapshot.objects.get(project=history.project, day=date(2026, 2, 3))
    assert (feb3.critical, feb3.high, feb3.low, feb3.backfilled) == (2, 1, 1, True)
    # Q's one finding, first seen 02-09 and fixed 02-11: open at the end of 02-09 and 02-10.
    q_days = OpenFindingSnapshot.objects.filter(project=history.q).order_by("day")
    assert [(row.day.isoformat(), row.high) for row in q_days][:3] == [
        ("2026-02-09", 1), ("2026-02-10", 1), ("2026-02-11", 0),
    ]  # fmt: skip

    entry = CELERY_BEAT_SCHEDULE["dashboard-snapshots-take"]
    assert entry["task"] == task.name == "dashboard.snapshots_take"
    assert entry["schedule"] <= 15 * 60  # a day's last run is close to its end
    assert task.apply().get() == 3
    assert not OpenFindingSnapshot.objects.get(
        project=history.project, day=date(2026, 3, 4)
    ).backfilled
