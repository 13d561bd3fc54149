"""Fuzzing the API from its OpenAPI schema (schemathesis): valid and invalid requests to every
operation, as a staff user and as a project member, must never get a 5xx.

Bounded: SECULITE_FUZZ_EXAMPLES generated cases per operation and role (default 15), on top
of schemathesis's deterministic coverage cases (boundary values, missing and mistyped fields),
which run as explicit examples whatever the bound: about 13,000 requests with 10. Path ids are
the real objects of a small project, so the generated query strings and bodies reach the code
behind the lookups (ids past 64 bits in paths have their own test in apps/common).
Run by scripts/test.sh: `pytest -m fuzz -n 2 fuzz_tests` (each xdist worker has its own test
database, and `same_connection` is per process).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from apps.accounts.services import api_key_create
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
from apps.organizations.models import OrganizationRole
from apps.reports.models import Report, ReportSchedule
from seculite_api.env import BACKEND_DIR
from seculite_api.wsgi import application

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("SECULITE_FUZZ_EXAMPLES", "15"))

schema = schemathesis.openapi.from_path(BACKEND_DIR / "schema.yml")
schema.app = application
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


@pytest.fixture
def same_connection() -> Iterator[None]:
    """Requests run in the test's transaction, as Django's test client runs them: the WSGI
    handler must not close the connection at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(settings, tmp_path, same_connection) -> dict[str, Any]:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    staff = UserFactory(is_staff=True, is_superuser=True)
    member = UserFactory()
    organization = OrganizationFactory()
    org_membership = OrganizationMembershipFactory(
        organization=organization, user=member, role=OrganizationRole.ADMIN
    )
    project = ProjectFactory(owner_user=None, organization=organization)
    membership = ProjectMembershipFactory(project=project, user=member, role=ProjectRole.OWNER)
    tool = ToolDefinitionFactory(slug="bandit", supported_asset_types=["git_repository"])
    target = TargetAssetFactory(
        project=project, asset_type="git_repository", identifier="https://git.example.com/a.git"
    )
    group = TargetGroupFactory(project=project)
    group.targets.add(target)
    configuration = ScanConfigurationFactory(project=project)
    configuration.targets.add(target)
    scan = ScanFactory(project=project, configuration=configuration, status="completed")
    result = ScanToolResultFactory(scan=scan, tool=tool, target=target)
    finding = FindingFactory(project=project, tool=tool, target=target, first_seen_scan=scan)
    report = Report.objects.create(
        project=project, format="pdf", period_start="2026-01-01", period_end="2026-01-31"
    )
    schedule = ReportSchedule.objects.create(
        project=project, frequency="weekly", recipients=["a@example.com"],
        next_run_at="2030-01-01T06:00:00Z",
    )  # fmt: skip
    ids = {
        "project_pk": project.pk,
        "org_pk": organization.pk,
        "finding_pk": finding.pk,
        "result_id": result.pk,
        "/api/v1/organizations/{org_pk}/members/": org_membership.pk,
        "/api/v1/projects/{project_pk}/members/": membership.pk,
        "/api/v1/projects/{project_pk}/targets/": target.pk,
        "/api/v1/projects/{project_pk}/target-groups/": group.pk,
        "/api/v1/projects/{project_pk}/scan-configurations/": configuration.pk,
        "/api/v1/scans/": scan.pk,
        "/api/v1/findings/": finding.pk,
        "/api/v1/projects/": project.pk,
        "/api/v1/organizations/": organization.pk,
        "/api/v1/tools/": tool.pk,
        "/api/v1/admin/users/": member.pk,
        "/api/v1/api-keys/": None,
        "/api/v1/reports/": report.pk,
        "/api/v1/projects/{project_pk}/report-schedules/": schedule.pk,
    }
    keys = {}
    for role, user in (("staff", staff), ("member", member)):
        api_key, full_key = api_key_create(user=user, name=f"fuzz {role}")
        keys[role] = full_key
        if role == "member":
            ids["/api/v1/api-keys/"] = api_key.pk
    return {"ids": ids, "keys": keys}


def _real_ids(case: Any, ids: dict[str, Any]) -> None:
    """Point the path at existing objects; the fuzzing is in the query and the body."""
    template = case.operation.path
    for name in list(case.path_parameters or {}):
        if name != "id" and name in ids:
            case.path_parameters[name] = ids[name]
        elif name == "id":
            prefix = template.split("{id}")[0]
            keys = [key for key in ids if key.startswith("/") and prefix.startswith(key)]
            if keys and ids[max(keys, key=len)] is not None:
                case.path_parameters[name] = ids[max(keys, key=len)]


@pytest.mark.parametrize("role", ["staff", "member"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_request_gets_a_server_error(case, role, world):
    _real_ids(case, world["ids"])
    headers = {"Authorization": f"Token {world['keys'][role]}"}
    response = case.call_and_validate(headers=headers, checks=[not_a_server_error])
    if os.environ.get("FUZZ_DEBUG"):
        print("FUZZ", role, case.method, case.formatted_path, case.query, response.status_code)
