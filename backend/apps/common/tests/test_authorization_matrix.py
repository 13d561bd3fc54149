"""Every endpoint by every role: owner, member, auditor, outsider, staff, anonymous.

The outsider owns project B and reaches for project A's objects by id; objects of a project
where the caller has no role answer 404 (never 403), so ids reveal nothing. A last test walks
the OpenAPI schema and fails when an endpoint is missing from this matrix.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    FindingFactory,
    ProjectFactory,
    ProjectMembershipFactory,
    ScanConfigurationFactory,
    ScanConfigurationToolFactory,
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    TargetGroupFactory,
    ToolDefinitionFactory,
    UserFactory,
    occurrence_create,
)
from apps.findings.grouping import issue_groups_assign
from apps.findings.models import IssueGroupMember, SavedFilter
from apps.notifications.inbox_models import InboxEvent, Notification
from apps.notifications.models import NotificationDelivery, WebhookMessage
from apps.organizations.models import OrganizationMembership, OrganizationRole
from apps.reports.models import Report, ReportSchedule
from apps.reports.rendering import write_atomically
from apps.targets.models import AssetType

ROLES = ("owner", "member", "auditor", "outsider", "staff", "anonymous")


@dataclass
class World:
    users: dict[str, Any]
    a: dict[str, Any]
    b: dict[str, Any]


def _project_objects(owner: Any, tool: Any) -> dict[str, Any]:
    project = ProjectFactory(owner_user=owner)
    ProjectMembershipFactory(project=project, user=owner, role=ProjectRole.OWNER)
    target = TargetAssetFactory(
        project=project,
        asset_type=AssetType.GIT_REPOSITORY,
        identifier="https://git.example.com/app.git",
    )
    group = TargetGroupFactory(project=project)
    group.targets.add(target)
    # Its webhook is refused by the target policy: a redelivery is logged, nothing leaves.
    configuration = ScanConfigurationFactory(
        project=project, notify_webhook_url="http://127.0.0.1:9/hook"
    )
    configuration.targets.add(target)
    ScanConfigurationToolFactory(configuration=configuration, tool=tool)
    scan = ScanFactory(project=project, configuration=configuration, status="running")
    # Raw output is served once a result has ended.
    result = ScanToolResultFactory(scan=scan, tool=tool, target=target, status="completed")
    result.raw_output.save(f"raw-{scan.pk}.json", ContentFile(b"{}"))
    finding = FindingFactory(
        project=project, tool=tool, target=target, first_seen_scan=scan, last_seen_scan=scan
    )
    occurrence_create(finding=finding, tool_result=result)
    issue_groups_assign(project_id=project.pk, finding_ids=[finding.pk])
    issue_group = IssueGroupMember.objects.get(finding=finding).group
    saved_filter = SavedFilter.objects.create(user=owner, name="Open highs", query="severity=high")
    delivery = NotificationDelivery.objects.create(
        event_key=f"scan:{scan.pk}:finished", channel="webhook", recipient="http://127.0.0.1:9/hook",
        project=project, scan=scan,
    )  # fmt: skip
    webhook_message = WebhookMessage.objects.create(
        delivery=delivery, project=project, configuration=configuration,
        event="scan.completed", format="generic", body="{}",
    )  # fmt: skip
    notification = Notification.objects.create(
        user=owner,
        event_type=InboxEvent.SCAN_COMPLETED,
        event_key=f"scan:{scan.pk}:finished",
        title=f"Scan #{scan.pk} completed",
        project=project,
        scan=scan,
    )
    report = Report.objects.create(
        project=project, format="html", status="ready", period_start="2026-01-01",
        period_end="2026-01-31", file_path=f"reports/{project.pk}/report-x.html",
    )  # fmt: skip
    write_atomically(report.file_path, b"<!DOCTYPE html><p>report</p>")
    schedule = ReportSchedule.objects.create(
        project=project, frequency="weekly", recipients=["a@example.com"],
        next_run_at="2030-01-01T06:00:00Z",
    )  # fmt: skip
    spare = UserFactory()
    spare_membership = ProjectMembershipFactory(
        project=project, user=spare, role=ProjectRole.AUDITOR
    )
    return {"project": project, "target": target, "group": group,
            "configuration": configuration, "scan": scan, "result": result,
            "finding": finding, "spare_membership": spare_membership,
            "issue_group": issue_group, "saved_filter": saved_filter,
            "webhook_message": webhook_message,
            "notification": notification, "report": report,
            "report_schedule": schedule}  # fmt: skip


@pytest.fixture
def world(db, settings, tmp_path, monkeypatch) -> World:
    settings.MEDIA_ROOT = str(tmp_path)
    from apps.scans.services import scans as scan_services

    monkeypatch.setattr(scan_services, "_enqueue_scan", lambda scan_id: None)
    tool = ToolDefinitionFactory(slug="bandit", supported_asset_types=["git_repository"])
    owner, outsider = UserFactory(), UserFactory()
    a = _project_objects(owner, tool)
    b = _project_objects(outsider, tool)
    users = {
        "owner": owner,
        "member": ProjectMembershipFactory(project=a["project"], role=ProjectRole.MEMBER).user,
        "auditor": ProjectMembershipFactory(project=a["project"], role=ProjectRole.AUDITOR).user,
        "outsider": outsider,
        "staff": UserFactory(is_staff=True),
        "anonymous": None,
    }
    return World(users=users, a=a, b=b)


OK_R, OK_C, OK_D = 200, 201, 204
READ = {"owner": OK_R, "member": OK_R, "auditor": OK_R, "outsider": 404, "staff": OK_R,
        "anonymous": 401}  # fmt: skip


def write(ok: int) -> dict[str, int]:
    """Members and owners write; auditors are refused; others never see the object."""
    return {"owner": ok, "member": ok, "auditor": 403, "outsider": 404, "staff": ok,
            "anonymous": 401}  # fmt: skip


def owner_only(ok: int) -> dict[str, int]:
    return {"owner": ok, "member": 403, "auditor": 403, "outsider": 404, "staff": ok,
            "anonymous": 401}  # fmt: skip


def staff_only(ok: int) -> dict[str, int]:
    return {"owner": 403, "member": 403, "auditor": 403, "outsider": 403, "staff": ok,
            "anonymous": 401}  # fmt: skip


def any_user(ok: int) -> dict[str, int]:
    return {role: (401 if role == "anonymous" else ok) for role in ROLES}


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: Callable[[World], str]
    expected: dict[str, int]
    body: Callable[[World], dict[str, Any]] | None = None
    schema_path: str = ""
    format: str = "json"


def _colleague_of(user: Any) -> Any:
    """A new account that shares a (new) project with `user`, so `user` may add it by id."""
    project = ProjectFactory(owner_user=user)
    ProjectMembershipFactory(project=project, user=user, role=ProjectRole.OWNER)
    return ProjectMembershipFactory(project=project, role=ProjectRole.AUDITOR).user


def P(w: World) -> int:
    return w.a["project"].pk


CASES = [
    # Projects and members
    Case("project list", "get", lambda w: "/api/v1/projects/", any_user(OK_R)),
    Case(
        "project create",
        "post",
        lambda w: "/api/v1/projects/",
        any_user(OK_C),
        lambda w: {"name": "Fresh project"},
    ),
    Case("project detail", "get", lambda w: f"/api/v1/projects/{P(w)}/", READ),
    Case(
        "project rename",
        "patch",
        lambda w: f"/api/v1/projects/{P(w)}/",
        owner_only(OK_R),
        lambda w: {"description": "changed"},
    ),
    Case("project delete", "delete", lambda w: f"/api/v1/projects/{P(w)}/", owner_only(OK_D)),
    Case("members list", "get", lambda w: f"/api/v1/projects/{P(w)}/members/", READ),
    Case(
        "member add (an invitation by email)",
        "post",
        lambda w: f"/api/v1/projects/{P(w)}/members/",
        owner_only(202),
        lambda w: {"email": "newcomer@example.com", "role": "auditor"},
    ),
    Case(
        "member add by id (someone who shares a project with the caller)",
        "post",
        lambda w: f"/api/v1/projects/{P(w)}/members/",
        owner_only(OK_C),
        lambda w: {"user": _colleague_of(w.users["owner"]).pk, "role": "auditor"},
    ),
    Case(
        "member detail",
        "get",
        lambda w: f"/api/v1/projects/{P(w)}/members/{w.a['spare_membership'].pk}/",
        READ,
    ),
    Case(
        "member role change",
        "patch",
        lambda w: f"/api/v1/projects/{P(w)}/members/{w.a['spare_membership'].pk}/",
        owner_only(OK_R),
        lambda w: {"role": "member"},
    ),
    Case(
        "member remove",
        "delete",
        lambda w: f"/api/v1/projects/{P(w)}/members/{w.a['spare_membership'].pk}/",
        owner_only(OK_D),
    ),
    # Targets and groups
    Case("targets list", "get", lambda w: f"/api/v1/projects/{P(w)}/targets/", READ),
    Case(
        "target create",
        "post",
        lambda w: f"/api/v1/projects/{P(w)}/targets/",
        write(OK_C),
        lambda w: {"name": "site", "asset_type": "url", "identifier": "https://a.example.com/"},
    ),
    Case(
        "target detail",
        "get",
        lambda w: f"/api/v1/projects/{P(w)}/targets/{w.a['target'].pk}/",
        READ,
    ),
    Case(
        "target update",
        "patch",
        lambda w: f"/api/v1/projects/{P(w)}/targets/{w.a['target'].pk}/",
        write(OK_R),
        lambda w: {"description": "changed"},
    ),
    Case(
        "target delete",
        "delete",
        lambda w: f"/api/v1/projects/{P(w)}/targets/{w.a['target'].pk}/",
        write(OK_D),
    ),
    Case("groups list", "get", lambda w: f"/api/v1/projects/{P(w)}/target-groups/", READ),
    Case(
        "group create",
        "post",
        lambda w: f"/api/v1/projects/{P(w)}/target-groups/",
        write(OK_C),
        lambda w: {"name": "g2", "targets": [w.a["target"].pk]},
    ),
    Case(
        "group detail",
        "get",
        lambda w: f"/api/v1/projects/{P(w)}/target-groups/{w.a['group'].pk}/",
        READ,
    ),
    Case(
        "group update",
        "patch",
        lambda w: f"/api/v1/projects/{P(w)}/target-groups/{w.a['group'].pk}/",
        write(OK_R),
        lambda w: {"description": "changed"},
    ),
    Case(
        "group delete",
        "delete",
        lambda w: f"/api/v1/projects/{P(w)}/target-groups/{w.a['group'].pk}/",
        write(OK_D),
    ),
    # Scan configurations
    Case(
        "configurations list",
        "get",
        lambda w: f"/api/v1/projects/{P(w)}/scan-configurations/",
        READ,
    ),
    Case(
        "configuration create",
        "post",
        lambda w: f"/api/v1/projects/{P(w)}/scan-configurations/",
        write(OK_C),
        lambda w: {
            "name": "nightly",
            "targets": [w.a["target"].pk],
            "tools": [{"tool": "bandit", "overrides": {}}],
        },
    ),
    Case(
        "configuration detail",
        "get",
        lambda w: f"/api/v1/projects/{P(w)}/scan-configurations/{w.a['configuration'].pk}/",
        READ,
    ),
    Case(
        "configuration update",
        "patch",
        lambda w: f"/api/v1/projects/{P(w)}/scan-configurations/{w.a['configuration'].pk}/",
        write(OK_R),
        lambda w: {"description": "changed"},
    ),
    Case(
        "configuration delete",
        "delete",
        lambda w: f"/api/v1/projects/{P(w)}/scan-configurations/{w.a['configuration'].pk}/",
        write(OK_D),
    ),
    Case(
        "configuration clone",
        "post",
        lambda w: f"/api/v1/projects/{P(w)}/scan-configurations/{w.a['configuration'].pk}/clone/",
        write(OK_C),
        lambda w: {},
    ),
    Case(
        "configuration webhook secret rotate",
        "post",
        lambda w: (
            f"/api/v1/projects/{P(w)}/scan-configurations/{w.a['configuration'].pk}"
            "/webhook-secret/rotate/"
        ),
        write(OK_R),
        lambda w: {},
    ),
    # Webhook delivery log: owners only (it quotes receivers' answers)
    Case(
        "webhook deliveries list",
        "get",
        lambda w: f"/api/v1/projects/{P(w)}/webhook-deliveries/",
        owner_only(OK_R),
    ),
    Case(
        "webhook delivery detail",
        "get",
        lambda w: f"/api/v1/projects/{P(w)}/webhook-deliveries/{w.a['webhook_message'].pk}/",
        owner_only(OK_R),
    ),
    Case(
        "webhook redeliver",
        "post",
        lambda w: (
            f"/api/v1/projects/{P(w)}/webhook-deliveries/{w.a['webhook_message'].pk}/redeliver/"
        ),
        owner_only(OK_C),
        lambda w: {},
    ),
    # Reports and report schedules
    Case("project reports list", "get", lambda w: f"/api/v1/projects/{P(w)}/reports/", READ),
    Case(
        "project report request",
        "post",
        lambda w: f"/api/v1/projects/{P(w)}/reports/",
        write(202),
        lambda w: {"format": "html"},
    ),
    Case(
        "scan report request",
        "post",
        lambda w: f"/api/v1/scans/{w.a['scan'].pk}/report/",
        write(202),
        lambda w: {"format": "pdf"},
    ),
    Case("report detail", "get", lambda w: f"/api/v1/reports/{w.a['report'].pk}/", READ),
    Case("report download", "get", lambda w: f"/api/v1/reports/{w.a['report'].pk}/download/", READ),
    Case(
        "report schedules list", "get", lambda w: f"/api/v1/projects/{P(w)}/report-schedules/", READ
    ),
    Case(
        "report schedule create",
        "post",
        lambda w: f"/api/v1/projects/{P(w)}/report-schedules/",
        write(OK_C),
        lambda w: {"frequency": "monthly", "day_of_month": 3, "recipients": ["x@example.com"]},
    ),
    Case(
        "report schedule detail",
        "get",
        lambda w: f"/api/v1/projects/{P(w)}/report-schedules/{w.a['report_schedule'].pk}/",
        READ,
    ),
    Case(
        "report schedule edit",
        "patch",
        lambda w: f"/api/v1/projects/{P(w)}/report-schedules/{w.a['report_schedule'].pk}/",
        write(OK_R),
        lambda w: {"enabled": False},
    ),
    Case(
        "report schedule replace",
        "put",
        lambda w: f"/api/v1/projects/{P(w)}/report-schedules/{w.a['report_schedule'].pk}/",
        write(OK_R),
        lambda w: {"frequency": "weekly", "weekday": 4, "recipients": ["y@example.com"]},
    ),
    Case(
        "report schedule delete",
        "delete",
        lambda w: f"/api/v1/projects/{P(w)}/report-schedules/{w.a['report_schedule'].pk}/",
        write(OK_D),
    ),
    # Scans
    Case("scans list (project)", "get", lambda w: f"/api/v1/projects/{P(w)}/scans/", READ),
    Case(
        "configuration start",
        "post",
        lambda w: f"/api/v1/projects/{P(w)}/scan-configurations/{w.a['configuration'].pk}/start/",
        write(202),
        lambda w: {},
    ),
    Case(
        "scan cancel",
        "post",
        lambda w: f"/api/v1/scans/{w.a['scan'].pk}/cancel/",
        write(OK_R),
        lambda w: {},
    ),
    Case(
        "scan rescan",
        "post",
        lambda w: f"/api/v1/scans/{w.a['scan'].pk}/rescan/",
        write(202),
        lambda w: {},
    ),
    Case(
        "scan tool results", "get", lambda w: f"/api/v1/scans/{w.a['scan'].pk}/tool-results/", READ
    ),
    Case(
        "scan raw output",
        "get",
        lambda w: f"/api/v1/scans/{w.a['scan'].pk}/tool-results/{w.a['result'].pk}/raw/",
        READ,
    ),
    Case("scans list", "get", lambda w: "/api/v1/scans/", any_user(OK_R)),
    # Report imports
    Case("import formats", "get", lambda w: "/api/v1/imports/formats/", any_user(OK_R)),
    Case(
        "generic import format schema",
        "get",
        lambda w: "/api/v1/imports/formats/generic/schema/",
        any_user(OK_R),
    ),
    Case(
        "import a report",
        "post",
        lambda w: f"/api/v1/projects/{P(w)}/imports/",
        write(202),
        lambda w: {
            "file": SimpleUploadedFile("bandit.json", b'{"results": [], "metrics": {}}'),
            "format": "bandit",
            "target": w.a["target"].pk,
        },
        format="multipart",
    ),
    Case("scan detail", "get", lambda w: f"/api/v1/scans/{w.a['scan'].pk}/", READ),
    Case(
        "scan compare",
        "get",
        lambda w: f"/api/v1/scans/{w.a['scan'].pk}/compare/",
        READ,
        lambda w: {"base": "main"},  # the query string of a GET
    ),
    # Findings
    Case("findings list", "get", lambda w: "/api/v1/findings/", any_user(OK_R)),
    Case("finding detail", "get", lambda w: f"/api/v1/findings/{w.a['finding'].pk}/", READ),
    Case(
        "finding status",
        "post",
        lambda w: f"/api/v1/findings/{w.a['finding'].pk}/status/",
        write(OK_R),
        lambda w: {"status": "confirmed", "reason": "reproduced"},
    ),
    Case(
        "finding assign",
        "post",
        lambda w: f"/api/v1/findings/{w.a['finding'].pk}/assign/",
        write(OK_R),
        lambda w: {"assignee": w.users["owner"].pk},
    ),
    Case(
        "finding comment",
        "post",
        lambda w: f"/api/v1/findings/{w.a['finding'].pk}/comments/",
        write(OK_C),
        lambda w: {"comment": "looking into it"},
    ),
    Case("finding events", "get", lambda w: f"/api/v1/findings/{w.a['finding'].pk}/events/", READ),
    Case(
        "finding occurrences",
        "get",
        lambda w: f"/api/v1/findings/{w.a['finding'].pk}/occurrences/",
        READ,
    ),
    Case(
        "findings bulk",
        "post",
        lambda w: "/api/v1/findings/bulk/",
        write(OK_R),
        lambda w: {"ids": [w.a["finding"].pk], "status": "confirmed", "reason": "seen"},
    ),
    Case(
        "findings bulk assignees",
        "post",
        lambda w: "/api/v1/findings/bulk/assignees/",
        READ,
        lambda w: {"ids": [w.a["finding"].pk]},
    ),
    # Issue groups
    Case("issue groups list", "get", lambda w: "/api/v1/issue-groups/", any_user(OK_R)),
    Case(
        "issue group detail",
        "get",
        lambda w: f"/api/v1/issue-groups/{w.a['issue_group'].pk}/",
        READ,
    ),
    Case(
        "issue group findings",
        "get",
        lambda w: f"/api/v1/issue-groups/{w.a['issue_group'].pk}/findings/",
        READ,
    ),
    Case(
        "issue group triage",
        "post",
        lambda w: f"/api/v1/issue-groups/{w.a['issue_group'].pk}/triage/",
        write(OK_R),
        lambda w: {"status": "confirmed", "reason": "reproduced"},
    ),
    # Triage settings: a project's SLA, one's own saved filters
    Case("project SLA", "get", lambda w: f"/api/v1/projects/{P(w)}/sla/", READ),
    Case(
        "project SLA change",
        "patch",
        lambda w: f"/api/v1/projects/{P(w)}/sla/",
        owner_only(OK_R),
        lambda w: {"critical_days": 5},
    ),
    Case("saved filters list", "get", lambda w: "/api/v1/saved-filters/", any_user(OK_R)),
    Case(
        "saved filter create",
        "post",
        lambda w: "/api/v1/saved-filters/",
        any_user(OK_C),
        lambda w: {"name": "Mine", "query": "assignee=me"},
    ),
    # A saved filter is its user's alone: everyone else, staff included, gets a 404.
    Case(
        "saved filter delete",
        "delete",
        lambda w: f"/api/v1/saved-filters/{w.a['saved_filter'].pk}/",
        {
            role: (401 if role == "anonymous" else OK_D if role == "owner" else 404)
            for role in ROLES
        },
    ),
    # In-app notifications and preferences: every user has their own; another's is a 404,
    # staff included.
    Case("notifications list", "get", lambda w: "/api/v1/notifications/", any_user(OK_R)),
    Case(
        "notifications unread count",
        "get",
        lambda w: "/api/v1/notifications/unread-count/",
        any_user(OK_R),
    ),
    Case(
        "notification mark read",
        "post",
        lambda w: f"/api/v1/notifications/{w.a['notification'].pk}/read/",
        {
            role: (401 if role == "anonymous" else OK_R if role == "owner" else 404)
            for role in ROLES
        },
    ),
    Case(
        "notifications mark all read",
        "post",
        lambda w: "/api/v1/notifications/read-all/",
        any_user(OK_R),
    ),
    Case(
        "notification preferences",
        "get",
        lambda w: "/api/v1/notifications/preferences/",
        any_user(OK_R),
    ),
    Case(
        "notification preferences change",
        "patch",
        lambda w: "/api/v1/notifications/preferences/",
        any_user(OK_R),
        lambda w: {"events": [{"event": "scan_completed", "in_app": False}]},
    ),
    Case("tool presets", "get", lambda w: "/api/v1/tools/presets/", any_user(OK_R)),
    # Visibility, not the role, limits an export: an outsider gets an empty file.
    Case("findings export", "get", lambda w: "/api/v1/findings/export/", any_user(OK_R)),
    Case("scan live status", "get", lambda w: f"/api/v1/scans/{w.a['scan'].pk}/status/", READ),
    # Dashboard
    Case("dashboard", "get", lambda w: "/api/v1/dashboard/", any_user(OK_R)),
    # Metrics: across the caller's projects (an outsider gets zeroes), or one project's.
    Case("metrics", "get", lambda w: "/api/v1/metrics/", any_user(OK_R)),
    Case("project metrics", "get", lambda w: f"/api/v1/projects/{P(w)}/metrics/", READ),
    # Tools and platform administration
    Case("tools list", "get", lambda w: "/api/v1/tools/", any_user(OK_R)),
    Case("tool detail", "get", lambda w: f"/api/v1/tools/{w.a['result'].tool_id}/", any_user(OK_R)),
    Case(
        "tool enable",
        "patch",
        lambda w: f"/api/v1/tools/{w.a['result'].tool_id}/",
        staff_only(OK_R),
        lambda w: {"enabled": False},
    ),
    Case("admin users list", "get", lambda w: "/api/v1/admin/users/", staff_only(OK_R)),
    # The audit log: staff, and owners of organizations (none in this world; see
    # apps/accounts/tests/audit/test_audit_api.py).
    Case("audit events", "get", lambda w: "/api/v1/audit-events/", staff_only(OK_R)),
    Case("audit export", "get", lambda w: "/api/v1/audit-events/export/", staff_only(OK_R)),
    Case(
        "admin user invite",
        "post",
        lambda w: "/api/v1/admin/users/",
        staff_only(OK_C),
        lambda w: {"email": "new.person@example.com", "username": "new.person"},
    ),
    Case(
        "admin user detail",
        "get",
        lambda w: f"/api/v1/admin/users/{w.users['auditor'].pk}/",
        staff_only(OK_R),
    ),
    Case(
        "admin user deactivate",
        "patch",
        lambda w: f"/api/v1/admin/users/{w.users['auditor'].pk}/",
        staff_only(OK_R),
        lambda w: {"is_active": False},
    ),
    Case(
        "admin password reset",
        "post",
        lambda w: f"/api/v1/admin/users/{w.users['auditor'].pk}/password-reset/",
        staff_only(202),
        lambda w: {},
    ),
]


def client_as(user: Any) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_endpoint_answers_each_role(world, case, role):
    client = client_as(world.users[role])
    body = case.body(world) if case.body else None
    response = getattr(client, case.method)(case.path(world), body, format=case.format)
    expected = case.expected[role]
    assert response.status_code == expected, (role, case.name, response.content[:500])
    if expected >= 400:
        error = response.json()["error"]
        assert error["status"] == expected
        assert error["code"] in {"not_found", "permission_denied", "not_authenticated"}
    elif case.name == "scan raw output":
        assert b"".join(response.streaming_content) == b"{}"
    elif (
        expected != OK_D
        and case.method == "get"
        and case.path(world).rstrip("/").rsplit("/", 1)[-1].isdigit()
        and isinstance(response.json(), dict)
        and "results" not in response.json()
    ):
        # A detail read returns the object asked for, not another one.
        assert response.json()["id"] == int(case.path(world).rstrip("/").rsplit("/", 1)[-1])


# Project A's owner reaching into project B through A's URLs, and directly by id.
CROSS_PROJECT = [
    lambda w: f"/api/v1/projects/{P(w)}/targets/{w.b['target'].pk}/",
    lambda w: f"/api/v1/projects/{P(w)}/target-groups/{w.b['group'].pk}/",
    lambda w: f"/api/v1/projects/{P(w)}/scan-configurations/{w.b['configuration'].pk}/",
    lambda w: f"/api/v1/projects/{P(w)}/webhook-deliveries/{w.b['webhook_message'].pk}/",
    lambda w: f"/api/v1/projects/{P(w)}/members/{w.b['spare_membership'].pk}/",
    lambda w: f"/api/v1/projects/{w.b['project'].pk}/",
    lambda w: f"/api/v1/projects/{w.b['project'].pk}/targets/",
    lambda w: f"/api/v1/projects/{w.b['project'].pk}/metrics/",
    lambda w: f"/api/v1/scans/{w.b['scan'].pk}/",
    lambda w: f"/api/v1/projects/{P(w)}/report-schedules/{w.b['report_schedule'].pk}/",
    lambda w: f"/api/v1/reports/{w.b['report'].pk}/",
    lambda w: f"/api/v1/reports/{w.b['report'].pk}/download/",
    lambda w: f"/api/v1/findings/{w.b['finding'].pk}/",
    lambda w: f"/api/v1/findings/{w.b['finding'].pk}/events/",
]


@pytest.mark.parametrize("path", CROSS_PROJECT)
@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_other_projects_objects_answer_404(world, path, method):
    response = getattr(client_as(world.users["owner"]), method)(path(world), {}, format="json")
    if method != "get" and response.status_code == 405:
        return  # a read-only route; the read case covers it
    assert response.status_code == 404, (path(world), response.content[:300])
    assert response.json()["error"]["code"] == "not_found"


def test_lists_never_include_other_projects_objects(world):
    client = client_as(world.users["owner"])
    scans = client.get("/api/v1/scans/").json()["results"]
    findings = client.get("/api/v1/findings/").json()["results"]
    assert {s["id"] for s in scans} == {world.a["scan"].pk}
    assert {f["id"] for f in findings} == {world.a["finding"].pk}
    export = client.get("/api/v1/findings/export/", {"format": "json"})
    assert {f["id"] for f in json.loads(b"".join(export.streaming_content))} == {
        world.a["finding"].pk
    }
    other = client.get("/api/v1/findings/export/", {"project": world.b["project"].pk})
    assert b"".join(other.streaming_content).decode().splitlines()[1:] == []


def test_organization_roles(world):
    org_owner, org_member, stranger = UserFactory(), UserFactory(), UserFactory()
    org = client_as(org_owner).post("/api/v1/organizations/", {"name": "Acme"}).json()
    OrganizationMembership.objects.create(
        organization_id=org["id"], user=org_member, role=OrganizationRole.MEMBER
    )
    url = f"/api/v1/organizations/{org['id']}/"
    assert client_as(org_member).get(url).status_code == 200
    assert client_as(org_member).patch(url, {"name": "Nope"}).status_code == 403
    assert client_as(stranger).get(url).status_code == 404
    assert client_as(stranger).get(f"{url}members/").status_code == 404
    assert client_as(org_owner).patch(url, {"description": "ok"}).status_code == 200


COVERED_ELSEWHERE = {
    # Anonymous or self-service account endpoints: apps/accounts/tests.
    "/api/v1/auth/",
    "/api/v1/api-keys/",
    "/api/v1/health/",
    "/api/v1/schema/",
    "/api/v1/docs/",
    "/api/v1/organizations/",
    # Any signed-in account accepts an invitation sent to its address: apps/projects/tests.
    "/api/v1/projects/invitations/",
    # Authenticated by the configuration's webhook token only, never by a role:
    # apps/scans/tests/apis/test_scan_webhook_trigger.py.
    "/api/v1/webhooks/",
}


def test_matrix_covers_every_endpoint_in_the_schema(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    covered_templates = set()
    for case in CASES:
        covered_templates.add((case.method, _template_of(case)))
    missing = []
    for path, operations in schema["paths"].items():
        if any(path.startswith(prefix) for prefix in COVERED_ELSEWHERE):
            continue
        for method in operations:
            known = (method, _normalise(path)) in covered_templates
            if method in {"get", "post", "patch", "put", "delete"} and not known:
                missing.append(f"{method.upper()} {path}")
    assert not missing, "endpoints missing from the authorization matrix:\n" + "\n".join(missing)


def _normalise(path: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", "{}", path)


def _template_of(case: Case) -> str:
    import re

    # Rebuild the template from the case's own path with every id replaced.
    sample = case.path(_SAMPLE_WORLD)
    return re.sub(r"/\d+(?=/)", "/{}", sample)


class _Ids(dict):
    def __missing__(self, key: str) -> Any:
        return _Obj()


class _Obj:
    pk = 1
    tool_id = 1


_SAMPLE_WORLD = World(users=_Ids(), a=_Ids(), b=_Ids())
