"""Configurations' schedules are mirrored into django-celery-beat's PeriodicTask rows."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.common.testing.factories import TargetAssetFactory, ToolDefinitionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(project_with_roles, client_for):
    project = project_with_roles.project
    target = TargetAssetFactory(
        project=project, asset_type="git_repository", identifier="https://git.example.com/app.git"
    )
    ToolDefinitionFactory(slug="bandit", supported_asset_types=["git_repository"])
    client = client_for(project_with_roles.member)
    base = f"/api/v1/projects/{project.id}/scan-configurations/"
    return client, base, target


def create(client, base, target, **fields):
    payload = {"name": "nightly", "targets": [target.id], "tools": [{"tool": "bandit"}], **fields}
    response = client.post(base, payload, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_cron_schedule_creates_a_crontab_task_in_the_configuration_timezone(setup):
    client, base, target = setup
    body = create(
        client,
        base,
        target,
        schedule_type="cron",
        schedule_cron="30 2 * * 1-5",
        schedule_timezone="Europe/Berlin",
    )
    task = PeriodicTask.objects.get(name=f"scan-configuration-{body['id']}")
    assert task.task == "scans.scan_scheduled"
    assert json.loads(task.args) == [body["id"]]
    assert task.enabled and not task.one_off
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "2", "1-5")
    assert str(task.crontab.timezone) == "Europe/Berlin"
    assert body["next_run_at"] is not None and body["next_run_at"].endswith(("+01:00", "+02:00"))


def test_once_schedule_is_a_one_off_clocked_task(setup):
    client, base, target = setup
    when = timezone.now() + timedelta(days=1)
    body = create(client, base, target, schedule_type="once", schedule_once_at=when.isoformat())
    task = PeriodicTask.objects.get(name=f"scan-configuration-{body['id']}")
    assert task.one_off and task.clocked is not None
    assert abs((task.clocked.clocked_time - when).total_seconds()) < 1


def test_update_disable_and_delete_follow_the_configuration(setup):
    client, base, target = setup
    body = create(client, base, target, schedule_type="cron", schedule_cron="0 * * * *")
    url = f"{base}{body['id']}/"
    name = f"scan-configuration-{body['id']}"

    client.patch(url, {"schedule_cron": "15 4 * * *"}, format="json")
    assert PeriodicTask.objects.get(name=name).crontab.minute == "15"

    client.patch(url, {"schedule_enabled": False}, format="json")
    assert not PeriodicTask.objects.filter(name=name).exists()

    client.patch(url, {"schedule_enabled": True}, format="json")
    assert PeriodicTask.objects.filter(name=name).exists()

    client.patch(url, {"schedule_type": "manual"}, format="json")
    assert not PeriodicTask.objects.filter(name=name).exists()

    client.patch(url, {"schedule_type": "cron", "schedule_cron": "0 1 * * *"}, format="json")
    assert PeriodicTask.objects.filter(name=name).exists()
    assert client.delete(url).status_code == 204
    assert not PeriodicTask.objects.filter(name=name).exists()
