"""What a project-scoped API key reaches: its project's reads, and imports or scan starts when
its scopes say so; every other endpoint answers 403, every other project 404.

The cases are the authorization matrix's (apps/common/tests/test_authorization_matrix.py),
which fails when an endpoint is missing from it, so a new endpoint is checked here too and is
refused to scoped keys until its view declares `scoped_key_access`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.views import APIView

from apps.accounts.authentication import ApiKeyAuthentication
from apps.accounts.permissions import ScopedApiKeyPermission
from apps.accounts.services import api_key_create
from apps.accounts.tests.utils import token_client
from apps.common.roles import ProjectRole
from apps.common.testing.factories import ProjectMembershipFactory
from apps.common.tests import test_authorization_matrix as matrix
from apps.scans.models import Scan

# The matrix's world: project A (owned by users["owner"]) and project B, each with a target,
# group, configuration, running scan, tool result with raw output and finding.
world = matrix.world

READ_CASES = {
    "project list",
    "project detail",
    "targets list",
    "target detail",
    "configurations list",
    "configuration detail",
    "scans list (project)",
    "scans list",
    "scan detail",
    "scan live status",
    "scan tool results",
    "findings list",
    "finding detail",
    "findings export",
    "tools list",
    "tool detail",
    "import formats",
    "generic import format schema",
    "scan compare",
    "issue groups list",
    "issue group detail",
    "issue group findings",
    "project SLA",
    "project metrics",
    "tool presets",
    "project reports list",
    "report detail",
    "report download",
    "report schedules list",
    "report schedule detail",
}
SCAN_CASES = {"configuration start"}
IMPORT_CASES = {"import a report"}


def _key(user: Any, project: Any, scopes: list[str]) -> str:
    _, full_key = api_key_create(user=user, name="ci", project_id=project.pk, scopes=scopes)
    return full_key


def _limited_message(project: Any, scopes: str) -> str:
    return f'This API key is limited to project "{project.name}" ({scopes}).'


def _check(world: Any, case: matrix.Case, key: str, allowed: set[str], scopes: str) -> None:
    body = case.body(world) if case.body else None
    response = getattr(token_client(key), case.method)(case.path(world), body, format=case.format)
    if case.name in allowed:
        assert response.status_code == case.expected["owner"], (case.name, response.content)
        return
    assert response.status_code == 403, (case.name, response.content[:300])
    error = response.json()["error"]
    assert error["code"] == "permission_denied"
    assert error["message"] == _limited_message(world.a["project"], scopes)


@pytest.mark.parametrize("case", matrix.CASES, ids=lambda c: c.name)
def test_a_read_key_reaches_only_its_projects_reads(world, case):
    owner = world.users["owner"]
    # The key's user owns project B too: the key must not reach it.
    ProjectMembershipFactory(project=world.b["project"], user=owner, role=ProjectRole.OWNER)
    key = _key(owner, world.a["project"], ["read"])

    _check(world, case, key, READ_CASES, "read")


@pytest.mark.parametrize("case", matrix.CASES, ids=lambda c: c.name)
def test_a_staff_ci_key_reaches_its_project_reads_imports_and_scan_starts_only(world, case):
    key = _key(world.users["staff"], world.a["project"], ["import", "scan"])

    _check(world, case, key, READ_CASES | IMPORT_CASES | SCAN_CASES, "read, import, scan")


@pytest.fixture
def owner_of_both(world) -> Any:
    owner = world.users["owner"]
    ProjectMembershipFactory(project=world.b["project"], user=owner, role=ProjectRole.OWNER)
    return owner


B_READS = [
    lambda w: f"/api/v1/reports/{w.b['report'].pk}/download/",
    lambda w: f"/api/v1/projects/{w.b['project'].pk}/reports/",
    lambda w: f"/api/v1/projects/{w.b['project'].pk}/",
    lambda w: f"/api/v1/projects/{w.b['project'].pk}/targets/",
    lambda w: f"/api/v1/projects/{w.b['project'].pk}/scans/",
    lambda w: f"/api/v1/projects/{w.b['project'].pk}/scan-configurations/",
    lambda w: f"/api/v1/scans/{w.b['scan'].pk}/",
    lambda w: f"/api/v1/scans/{w.b['scan'].pk}/status/",
    lambda w: f"/api/v1/scans/{w.b['scan'].pk}/tool-results/",
    lambda w: f"/api/v1/findings/{w.b['finding'].pk}/",
    lambda w: f"/api/v1/issue-groups/{w.b['issue_group'].pk}/",
    lambda w: f"/api/v1/projects/{w.b['project'].pk}/sla/",
    lambda w: f"/api/v1/projects/{w.b['project'].pk}/metrics/",
]


@pytest.mark.parametrize("path", B_READS)
def test_another_project_of_the_keys_user_is_not_found(world, owner_of_both, path):
    key = _key(owner_of_both, world.a["project"], ["read", "import", "scan"])

    response = token_client(key).get(path(world))

    assert response.status_code == 404, response.content[:300]
    assert response.json()["error"]["code"] == "not_found"
    # The same user without the key still reaches it.
    assert matrix.client_as(owner_of_both).get(path(world)).status_code == 200


@pytest.mark.parametrize("holder", ["owner_of_both", "staff"])
def test_lists_show_only_the_keys_project(world, owner_of_both, holder):
    user = owner_of_both if holder == "owner_of_both" else world.users["staff"]
    client = token_client(_key(user, world.a["project"], ["read"]))

    projects = client.get("/api/v1/projects/").json()["results"]
    scans = client.get("/api/v1/scans/").json()["results"]
    findings = client.get("/api/v1/findings/").json()["results"]
    export = client.get("/api/v1/findings/export/", {"format": "json"})
    other_export = client.get("/api/v1/findings/export/", {"project": world.b["project"].pk})

    assert [p["id"] for p in projects] == [world.a["project"].pk]
    assert [s["id"] for s in scans] == [world.a["scan"].pk]
    assert [f["id"] for f in findings] == [world.a["finding"].pk]
    exported = json.loads(b"".join(export.streaming_content))
    assert [f["id"] for f in exported] == [world.a["finding"].pk]
    assert b"".join(other_export.streaming_content).decode().splitlines()[1:] == []


@pytest.mark.parametrize(
    ("scopes", "role"),
    [(["read"], "auditor"), (["import"], "member"), (["scan"], "member")],
)
def test_the_keys_scopes_cap_the_role_it_acts_with(world, scopes, role):
    owner, staff = world.users["owner"], world.users["staff"]
    for user in (owner, staff):
        key = _key(user, world.a["project"], scopes)

        detail = token_client(key).get(f"/api/v1/projects/{world.a['project'].pk}/").json()
        listed = token_client(key).get("/api/v1/projects/").json()["results"]

        assert detail["role"] == role
        assert [p["role"] for p in listed] == [role]


def test_a_read_key_cannot_triage_a_finding(world):
    key = _key(world.users["owner"], world.a["project"], ["read", "import", "scan"])
    finding = world.a["finding"]

    response = token_client(key).post(
        f"/api/v1/findings/{finding.pk}/status/", {"status": "false_positive", "reason": "x"}
    )

    assert response.status_code == 403
    finding.refresh_from_db()
    assert finding.status != "false_positive"


def test_a_scan_key_starts_its_projects_scan_as_an_api_scan(world):
    owner = world.users["owner"]
    configuration = world.a["configuration"]
    key = _key(owner, world.a["project"], ["scan"])
    url = f"/api/v1/projects/{world.a['project'].pk}/scan-configurations/{configuration.pk}/start/"

    response = token_client(key).post(url, {}, format="json")

    assert response.status_code == 202, response.content
    scan = Scan.objects.get(pk=response.json()["id"])
    assert (scan.project_id, scan.trigger, scan.triggered_by_id) == (
        world.a["project"].pk,
        "api",
        owner.pk,
    )


def test_a_scan_key_cannot_start_another_projects_scan(world, owner_of_both):
    key = _key(owner_of_both, world.a["project"], ["scan"])
    b = world.b
    url = f"/api/v1/projects/{b['project'].pk}/scan-configurations/{b['configuration'].pk}/start/"
    before = Scan.objects.count()

    response = token_client(key).post(url, {}, format="json")

    assert response.status_code == 404
    assert Scan.objects.count() == before


def test_read_and_import_keys_cannot_start_scans(world):
    configuration = world.a["configuration"]
    url = f"/api/v1/projects/{world.a['project'].pk}/scan-configurations/{configuration.pk}/start/"
    before = Scan.objects.count()

    for scopes, shown in ((["read"], "read"), (["import"], "read, import")):
        response = token_client(_key(world.users["owner"], world.a["project"], scopes)).post(
            url, {}, format="json"
        )
        assert response.status_code == 403
        assert response.json()["error"]["message"] == _limited_message(world.a["project"], shown)
    assert Scan.objects.count() == before


def _import(key: str, project: Any, target: Any) -> Any:
    report = SimpleUploadedFile("bandit.json", b'{"results": [], "metrics": {}}')
    return token_client(key).post(
        f"/api/v1/projects/{project.pk}/imports/",
        {"file": report, "format": "bandit", "target": target.pk},
        format="multipart",
    )


def test_an_import_key_imports_a_report_into_its_project(world):
    owner = world.users["owner"]
    key = _key(owner, world.a["project"], ["import"])

    response = _import(key, world.a["project"], world.a["target"])

    assert response.status_code == 202, response.content
    scan = Scan.objects.get(pk=response.json()["id"])
    assert (scan.project_id, scan.trigger, scan.triggered_by_id) == (
        world.a["project"].pk,
        "import",
        owner.pk,
    )


def test_an_import_key_cannot_import_into_another_project_of_its_user(world, owner_of_both):
    key = _key(owner_of_both, world.a["project"], ["import"])
    before = Scan.objects.count()

    response = _import(key, world.b["project"], world.b["target"])

    assert response.status_code == 404
    assert Scan.objects.count() == before


@pytest.mark.parametrize(("scopes", "shown"), [(["read"], "read"), (["scan"], "read, scan")])
def test_read_and_scan_keys_cannot_import(world, scopes, shown):
    key = _key(world.users["owner"], world.a["project"], scopes)
    before = Scan.objects.count()

    response = _import(key, world.a["project"], world.a["target"])

    assert response.status_code == 403
    assert response.json()["error"]["message"] == _limited_message(world.a["project"], shown)
    assert Scan.objects.count() == before


def test_an_auditors_import_key_is_refused_by_the_role(world):
    """A key keeps no more than its user's role: an auditor's key (made when they were a
    member) cannot import."""
    member = world.users["member"]
    key = _key(member, world.a["project"], ["import"])
    world.a["project"].memberships.filter(user=member).update(role=ProjectRole.AUDITOR)

    response = _import(key, world.a["project"], world.a["target"])

    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "Your role in this project does not allow this action."
    )


def test_a_key_that_lost_its_users_role_reaches_nothing(world):
    member = world.users["member"]
    key = _key(member, world.a["project"], ["read"])
    world.a["project"].memberships.filter(user=member).delete()

    response = token_client(key).get(f"/api/v1/projects/{world.a['project'].pk}/")

    assert response.status_code == 404


def test_a_staff_users_unscoped_key_keeps_staff_reach(world):
    _, key = api_key_create(user=world.users["staff"], name="admin script")
    client = token_client(key)

    assert client.get(f"/api/v1/projects/{world.b['project'].pk}/").status_code == 200
    assert client.get("/api/v1/admin/users/").status_code == 200
    assert len(client.get("/api/v1/projects/").json()["results"]) == 2


def _drf_views(patterns: list[URLPattern | URLResolver], prefix: str = "") -> list[Any]:
    views = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            views += _drf_views(pattern.url_patterns, prefix + str(pattern.pattern))
            continue
        view_class = getattr(pattern.callback, "cls", None)
        if view_class is not None and issubclass(view_class, APIView):
            initkwargs = getattr(pattern.callback, "initkwargs", {}) or {}
            views.append((prefix + str(pattern.pattern), view_class, initkwargs))
    return views


# Open to anyone, signed in or not: a key adds nothing there.
PUBLIC_VIEWS = {SpectacularAPIView, SpectacularSwaggerView}


def test_every_view_a_key_can_call_applies_the_scoped_key_permission():
    """A view that sets its own permission_classes drops the default list: it must keep the
    scoped-key check, or a project key would reach it (IsAdminUser passes a staff key)."""
    unguarded = []
    for route, view_class, initkwargs in _drf_views(get_resolver().url_patterns):
        if view_class in PUBLIC_VIEWS:
            continue
        authentication = initkwargs.get("authentication_classes", view_class.authentication_classes)
        permissions = initkwargs.get("permission_classes", view_class.permission_classes)
        if ApiKeyAuthentication in authentication and ScopedApiKeyPermission not in permissions:
            unguarded.append(f"{route} ({view_class.__name__})")
    assert not unguarded, "views without ScopedApiKeyPermission:\n" + "\n".join(unguarded)
