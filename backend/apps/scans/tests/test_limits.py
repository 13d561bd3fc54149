"""Time limits agree: no tool run outlives its Celery task, the broker never redelivers a task
that is still running, and the reaper never ends a scan whose tools are still within time."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from apps.common.testing.factories import (
    ProjectFactory,
    ScanConfigurationFactory,
    ScanConfigurationToolFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.scans import limits, tasks
from apps.scans.models import Scan, ScanStatus
from apps.scans.services import execution
from apps.scans.services import scans as scan_services

BACKEND = Path(__file__).resolve().parents[3]
PREPARATION_AND_INGEST = 600  # at least this much beyond the tool's own timeout


def longest_tool_timeout() -> int:
    """The longest tool timeout a configuration may set (the API accepted 24 h before the cap)."""
    return int(getattr(django_settings, "SECULITE_TOOL_TIMEOUT_MAX_SECONDS", 86400))


def settings_with(env: dict[str, str]) -> dict:
    """Settings as a fresh process computes them from `env` (the settings read it at import)."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'cap': getattr(s, 'SECULITE_TOOL_TIMEOUT_MAX_SECONDS', 86400), "
        "'visibility': s.CELERY_BROKER_TRANSPORT_OPTIONS.get('visibility_timeout'), "
        "'annotations': getattr(s, 'CELERY_TASK_ANNOTATIONS', {})}))"
    )
    full_env = {
        **{k: v for k, v in os.environ.items() if k != "CELERY_VISIBILITY_TIMEOUT"},
        "DJANGO_SETTINGS_MODULE": "seculite_api.settings",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",
        **env,
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BACKEND,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("cap", [None, "3600", "43200"])
def test_broker_redelivers_only_after_the_longest_tool_task_is_over(cap) -> None:
    values = settings_with({"SECULITE_TOOL_TIMEOUT_MAX_SECONDS": cap} if cap else {})
    if cap:
        assert values["cap"] == int(cap)
    tool_task = values["annotations"]["scans.tool_result_run"]
    assert tool_task["soft_time_limit"] >= values["cap"] + PREPARATION_AND_INGEST
    assert tool_task["time_limit"] > tool_task["soft_time_limit"]
    assert values["visibility"] > tool_task["time_limit"]


def test_an_explicit_visibility_timeout_below_the_tool_budget_is_flagged() -> None:
    from apps.scans.limits import visibility_timeout_check

    ok = limits.broker_visibility_timeout(3600)
    assert visibility_timeout_check(visibility_timeout=ok, tool_timeout_max=3600) == []
    [warning] = visibility_timeout_check(visibility_timeout=7200, tool_timeout_max=86400)
    assert "run twice" in warning.msg


def test_deadline_covers_every_wave_of_tool_runs() -> None:
    hard = limits.tool_task_time_limits(1800)[1]
    assert limits.scan_deadline_seconds(tool_runs=1, tool_timeout=1800, concurrency=2) >= hard
    five = limits.scan_deadline_seconds(tool_runs=5, tool_timeout=1800, concurrency=2)
    assert five >= math.ceil(5 / 2) * hard
    assert five < limits.scan_deadline_seconds(tool_runs=7, tool_timeout=1800, concurrency=2)


@pytest.fixture
def longest_configuration(db):
    """A configuration of 3 tools x 2 targets at the longest tool timeout allowed."""
    project = ProjectFactory()
    configuration = ScanConfigurationFactory(
        project=project, tool_timeout_seconds=longest_tool_timeout()
    )
    for number in range(2):
        configuration.targets.add(
            TargetAssetFactory(
                project=project, asset_type="codebase_path", identifier=f"/srv/code/{number}"
            )
        )
    for slug in ("bandit", "semgrep", "shellcheck"):
        ScanConfigurationToolFactory(
            configuration=configuration,
            tool=ToolDefinitionFactory(slug=slug, supported_asset_types=["codebase_path"]),
        )
    return configuration


@pytest.fixture
def enqueued(monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(scan_services, "_enqueue_scan", sent.append)
    return sent


@pytest.mark.django_db(transaction=True)
def test_the_reaper_leaves_a_scan_whose_tools_are_within_their_time(
    longest_configuration, enqueued
) -> None:
    timeout = longest_tool_timeout()
    scan = scan_services.scan_start(configuration=longest_configuration)
    waves = math.ceil(6 / getattr(django_settings, "CELERY_WORKER_CONCURRENCY", 2))
    # Every wave of tool runs may take its whole timeout: the deadline lies beyond them all.
    assert scan.deadline_at - scan.queued_at > timedelta(seconds=waves * timeout)
    scan.status = ScanStatus.RUNNING
    scan.save()

    last_tool_still_running = scan.queued_at + timedelta(seconds=waves * timeout)
    assert execution.scans_reap(now=last_tool_still_running) == 0
    assert Scan.objects.get(pk=scan.pk).status == ScanStatus.RUNNING
    assert execution.scans_reap(now=scan.deadline_at + timedelta(seconds=1)) == 1
    assert Scan.objects.get(pk=scan.pk).status == ScanStatus.ERROR


@pytest.mark.django_db(transaction=True)
def test_tool_tasks_get_time_limits_beyond_the_tool_timeout(
    longest_configuration, enqueued, monkeypatch
) -> None:
    longest_configuration.tool_timeout_seconds = 600
    longest_configuration.save()
    scan = scan_services.scan_start(configuration=longest_configuration)
    sent: list = []

    class RecordingGroup:
        def __init__(self, signatures) -> None:
            sent.extend(signatures)

        def delay(self) -> None:
            return None

    monkeypatch.setattr(tasks, "group", RecordingGroup)
    tasks.scan_run(scan.pk)

    assert len(sent) == 6
    for signature in sent:
        assert signature.options["soft_time_limit"] >= 600 + PREPARATION_AND_INGEST
        assert signature.options["time_limit"] > signature.options["soft_time_limit"]
        assert signature.options["time_limit"] < limits.broker_visibility_timeout(
            longest_tool_timeout()
        )


@pytest.mark.django_db
def test_tool_timeout_above_the_cap_is_refused(project_with_roles, client_for, settings) -> None:
    settings.SECULITE_TOOL_TIMEOUT_MAX_SECONDS = 7200
    project = project_with_roles.project
    client = client_for(project_with_roles.member)
    url = f"/api/v1/projects/{project.id}/scan-configurations/"

    refused = client.post(url, {"name": "slow", "tool_timeout_seconds": 7201}, format="json")
    accepted = client.post(url, {"name": "ok", "tool_timeout_seconds": 7200}, format="json")
    changed = client.patch(
        f"{url}{accepted.json()['id']}/", {"tool_timeout_seconds": 9000}, format="json"
    )

    assert refused.status_code == 400
    assert "7200" in refused.json()["error"]["fields"]["tool_timeout_seconds"][0]
    assert accepted.status_code == 201
    assert changed.status_code == 400
    assert "tool_timeout_seconds" in changed.json()["error"]["fields"]


@pytest.mark.django_db(transaction=True)
def test_a_stored_timeout_above_a_lowered_cap_runs_with_the_cap(
    longest_configuration, enqueued, settings
) -> None:
    settings.SECULITE_TOOL_TIMEOUT_MAX_SECONDS = 3600
    longest_configuration.tool_timeout_seconds = 20000
    longest_configuration.save()
    scan = scan_services.scan_start(configuration=longest_configuration)
    assert scan.configuration_snapshot["tool_timeout_seconds"] == 3600


@pytest.mark.django_db
def test_the_deadline_leaves_scan_run_time_to_fetch_every_repository_first(enqueued) -> None:
    """scan_run fetches each git target (and extracts each archive) once, one after another,
    before any tool starts: the deadline adds a preparation budget per such target."""
    project = ProjectFactory()
    timeout = 600
    configuration = ScanConfigurationFactory(project=project, tool_timeout_seconds=timeout)
    repositories = 12
    for number in range(repositories):
        configuration.targets.add(
            TargetAssetFactory(
                project=project,
                asset_type="git_repository",
                identifier=f"https://git.example.com/team/repo{number}.git",
            )
        )
    ScanConfigurationToolFactory(
        configuration=configuration,
        tool=ToolDefinitionFactory(slug="bandit", supported_asset_types=["git_repository"]),
    )
    scan = scan_services.scan_start(configuration=configuration)
    tools_only = limits.scan_deadline_seconds_for(tool_runs=repositories, tool_timeout=timeout)
    budget = (scan.deadline_at - scan.queued_at).total_seconds()
    assert budget >= tools_only + repositories * limits.PREPARATION_SECONDS
