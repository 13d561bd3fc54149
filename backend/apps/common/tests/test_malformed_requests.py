"""Malformed requests answer 4xx in the API's error shape, never a 500.

The walkers read the committed OpenAPI schema, so a new endpoint, filter or id field is
covered without touching this file: every integer query parameter and path id gets an id past
64 bits, every integer (or list of integers) in a write body gets one too, and every write
endpoint gets JSON nested 2,000 deep.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    FindingFactory,
    OrganizationFactory,
    OrganizationMembershipFactory,
    ProjectFactory,
    ProjectMembershipFactory,
    ScanConfigurationFactory,
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    TargetGroupFactory,
    ToolDefinitionFactory,
    UserFactory,
)
from apps.findings.grouping import issue_groups_assign
from apps.findings.models import IssueGroupMember
from apps.notifications.inbox_models import InboxEvent, Notification
from apps.notifications.models import NotificationDelivery, WebhookMessage
from apps.organizations.models import OrganizationRole
from apps.reports.models import Report, ReportSchedule
from apps.scans.services.configurations import webhook_token_hash
from seculite_api.env import BACKEND_DIR

HUGE = "99999999999999999999999"
SCHEMA = yaml.safe_load((BACKEND_DIR / "schema.yml").read_text())
# Pagination parameters answer DRF's usual 404 for a page that does not exist.
NOT_FILTERS = {"page", "page_size"}


def _operations(methods: set[str]) -> list[tuple[str, str, dict]]:
    return [
        (path, method, op)
        for path, ops in SCHEMA["paths"].items()
        for method, op in ops.items()
        if method in methods
    ]


def _integer_query_params() -> list[tuple[str, str]]:
    out = []
    for path, _method, op in _operations({"get"}):
        for param in op.get("parameters", []):
            kind = param["schema"].get("type")
            item_kind = param["schema"].get("items", {}).get("type")
            is_int = kind == "integer" or item_kind == "integer"
            if param["in"] == "query" and param["name"] not in NOT_FILTERS and is_int:
                out.append((path, param["name"]))
    return out


def _resolve(ref: str) -> dict:
    node: Any = SCHEMA
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _integer_body_fields() -> list[tuple[str, str, str]]:
    """(path, method, field) for each writable integer or integer-list field of a JSON body."""
    out = []
    for path, method, op in _operations({"post", "put", "patch"}):
        content = op.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if not schema or "$ref" not in schema:
            continue
        for name, prop in _resolve(schema["$ref"]).get("properties", {}).items():
            if prop.get("readOnly"):
                continue
            is_int = prop.get("type") == "integer"
            is_list = prop.get("type") == "array" and prop.get("items", {}).get("type") == "integer"
            if is_int or is_list:
                out.append((path, method, name))
    return out


def _write_operations() -> list[tuple[str, str]]:
    return [
        (path, method)
        for path, method, op in _operations({"post", "put", "patch"})
        if "application/json" in op.get("requestBody", {}).get("content", {})
    ]


WEBHOOK_TOKEN = "malformed-requests-webhook-token"


@pytest.fixture
def world(db, settings, tmp_path) -> dict[str, Any]:
    settings.MEDIA_ROOT = str(tmp_path)
    staff = UserFactory(is_staff=True, is_superuser=True)
    organization = OrganizationFactory()
    org_membership = OrganizationMembershipFactory(
        organization=organization, user=staff, role=OrganizationRole.ADMIN
    )
    project = ProjectFactory(owner_user=None, organization=organization)
    membership = ProjectMembershipFactory(project=project, user=staff, role=ProjectRole.OWNER)
    tool = ToolDefinitionFactory(slug="bandit", supported_asset_types=["git_repository"])
    target = TargetAssetFactory(project=project)
    group = TargetGroupFactory(project=project)
    # Its webhook is on, so the token-only trigger gets as far as reading its body.
    configuration = ScanConfigurationFactory(
        project=project, webhook_enabled=True, webhook_token_hash=webhook_token_hash(WEBHOOK_TOKEN)
    )
    scan = ScanFactory(project=project, configuration=configuration)
    delivery = NotificationDelivery.objects.create(
        event_key=f"scan:{scan.pk}:finished", channel="webhook", recipient="http://127.0.0.1:9/h"
    )
    webhook_message = WebhookMessage.objects.create(
        delivery=delivery, project=project, configuration=configuration, event="e", body="{}"
    )
    result = ScanToolResultFactory(scan=scan, tool=tool, target=target)
    finding = FindingFactory(project=project, tool=tool, target=target, first_seen_scan=scan)
    issue_groups_assign(project_id=project.pk, finding_ids=[finding.pk])
    issue_group = IssueGroupMember.objects.get(finding=finding).group
    notification = Notification.objects.create(
        user=staff, event_type=InboxEvent.SCAN_COMPLETED, event_key="scan:1", title="Scan #1"
    )
    report = Report.objects.create(
        project=project, format="pdf", period_start="2026-01-01", period_end="2026-01-31"
    )
    schedule = ReportSchedule.objects.create(
        project=project, frequency="weekly", recipients=["a@example.com"],
        next_run_at="2030-01-01T06:00:00Z",
    )  # fmt: skip
    return {
        "staff": staff,
        "ids": {
            "project_pk": project.pk,
            "provider_id": "any-provider",
            "configuration_id": configuration.pk,
            "org_pk": organization.pk,
            "finding_pk": finding.pk,
            "result_id": result.pk,
            # A security key id: the malformed body is refused before the key is looked up.
            "credential_id": 1,
            "/api/v1/organizations/{org_pk}/members/": org_membership.pk,
            "/api/v1/projects/{project_pk}/members/": membership.pk,
            "/api/v1/projects/{project_pk}/targets/": target.pk,
            "/api/v1/projects/{project_pk}/target-groups/": group.pk,
            "/api/v1/projects/{project_pk}/scan-configurations/": configuration.pk,
            "/api/v1/projects/{project_pk}/webhook-deliveries/": webhook_message.pk,
            "/api/v1/scans/": scan.pk,
            "/api/v1/findings/": finding.pk,
            "/api/v1/issue-groups/": issue_group.pk,
            "/api/v1/projects/": project.pk,
            "/api/v1/organizations/": organization.pk,
            "/api/v1/tools/": tool.pk,
            "/api/v1/admin/users/": staff.pk,
            "/api/v1/notifications/": notification.pk,
            "/api/v1/reports/": report.pk,
            "/api/v1/projects/{project_pk}/report-schedules/": schedule.pk,
        },
    }


def _fill(path: str, ids: dict[str, Any]) -> str:
    """Put real ids into a schema path, so only the part under test is malformed."""

    def one(match: re.Match) -> str:
        name = match.group(1)
        if name != "id":
            return str(ids[name])
        prefix = path[: match.start()]
        if prefix in ids:
            return str(ids[prefix])
        # The longest listed prefix: /api/v1/scans/{id}/tool-results/ takes the scan's id.
        keys = [key for key in ids if key.startswith("/") and prefix.startswith(key)]
        return str(ids[max(keys, key=len)])

    return re.sub(r"\{(\w+)\}", one, path)


def _client(user: Any):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user=user)
    return client


def _assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()["error"]
    assert body["status"] == status
    assert body["code"] and body["message"]
    return body


@pytest.mark.parametrize(("path", "param"), _integer_query_params())
def test_id_filter_past_64_bits_is_a_400(world, path, param):
    response = _client(world["staff"]).get(_fill(path, world["ids"]), {param: HUGE})
    body = _assert_error_shape(response, 400)
    assert param in body["fields"]


def _all_query_params() -> list[tuple[str, str]]:
    return [
        (path, param["name"])
        for path, _method, op in _operations({"get"})
        for param in op.get("parameters", [])
        if param["in"] == "query"
    ]


@pytest.mark.parametrize(("path", "param"), _all_query_params())
def test_any_query_parameter_with_a_huge_number_is_never_a_500(world, path, param):
    """Ids hide in string parameters too (`tool` takes an id or a slug, `assignee` an id)."""
    response = _client(world["staff"]).get(_fill(path, world["ids"]), {param: HUGE})
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if response.status_code >= 400:
        _assert_error_shape(response, response.status_code)


def _date_time_query_params() -> list[tuple[str, str]]:
    return [
        (path, param["name"])
        for path, _method, op in _operations({"get"})
        for param in op.get("parameters", [])
        if param["in"] == "query" and param["schema"].get("format") == "date-time"
    ]


ODD_TIMES = [
    "0341-05-31T08:10:52-21:08",  # an offset PostgreSQL refuses (found by the API fuzzing)
    "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
    "9999-12-31T23:59:59-01:00",  # after year 9999 in UTC
]


@pytest.mark.parametrize("when", ODD_TIMES)
@pytest.mark.parametrize(("path", "param"), _date_time_query_params())
def test_date_time_filters_with_odd_offsets_are_never_a_500(world, path, param, when):
    response = _client(world["staff"]).get(_fill(path, world["ids"]), {param: when})
    assert response.status_code in (200, 400), (response.status_code, response.content[:300])
    if response.status_code == 400:
        assert param in _assert_error_shape(response, 400)["fields"]


def test_the_walker_sees_the_date_time_filters():
    assert ("/api/v1/scans/", "created_before") in _date_time_query_params()


def test_the_walker_sees_the_id_filters():
    assert ("/api/v1/projects/", "organization") in _integer_query_params()
    assert ("/api/v1/findings/", "project") in _integer_query_params()


@pytest.mark.parametrize(
    "path", sorted({path for path, _m, _o in _operations({"get"}) if "{" in path})
)
def test_path_id_past_64_bits_is_a_404(world, path):
    huge = re.sub(r"\{(\w+)\}", HUGE, path)
    response = _client(world["staff"]).get(huge)
    _assert_error_shape(response, 404)


@pytest.mark.parametrize(("path", "method", "field"), _integer_body_fields())
def test_body_id_past_64_bits_is_a_400(world, path, method, field):
    prop = _resolve(
        SCHEMA["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"][
            "$ref"
        ]
    )["properties"][field]
    value: Any = int(HUGE)
    if prop.get("type") == "array":
        value = [int(HUGE)]
    response = getattr(_client(world["staff"]), method)(
        _fill(path, world["ids"]), {field: value}, format="json"
    )
    body = _assert_error_shape(response, 400)
    assert any(name == field or name.startswith(f"{field}.") for name in body["fields"]), body


def test_the_walker_sees_the_body_id_lists():
    fields = {(path, field) for path, _m, field in _integer_body_fields()}
    assert ("/api/v1/findings/bulk/", "ids") in fields


@pytest.mark.parametrize(("path", "method"), _write_operations())
def test_json_nested_2000_deep_is_a_400(world, path, method):
    deep = "[" * 2000 + "]" * 2000
    body = json.dumps({"name": "x"})[:-1] + ', "nested": ' + deep + "}"
    response = _client(world["staff"]).generic(
        method.upper(), _fill(path, world["ids"]), body, content_type="application/json",
        headers={"X-SecuLite-Token": WEBHOOK_TOKEN},
    )  # fmt: skip
    error = _assert_error_shape(response, 400)
    assert error["code"] == "parse_error"
    assert "deep" in error["message"]


def test_a_body_over_the_cap_is_a_413_in_the_error_shape(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    big = json.dumps({"name": "x" * 4096})
    response = _client(world["staff"]).generic(
        "POST", "/api/v1/projects/", big, content_type="application/json"
    )
    error = _assert_error_shape(response, 413)
    assert error["code"] == "request_too_large"


def test_a_crash_under_api_answers_in_the_error_shape(rf):
    from apps.common.errors import json_server_error

    response = json_server_error(rf.get("/api/v1/projects/"))
    assert response.status_code == 500
    assert json.loads(response.content)["error"]["code"] == "server_error"
