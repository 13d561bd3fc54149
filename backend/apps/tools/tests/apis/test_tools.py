"""Tools API: every signed-in user reads the catalogue; only staff switch tools on and off."""

from __future__ import annotations

import pytest

from apps.common.testing.factories import ToolDefinitionFactory, UserFactory
from apps.tools.models import ToolCategory, ToolDefinition

pytestmark = pytest.mark.django_db

FIELDS = {
    "id",
    "slug",
    "name",
    "category",
    "description",
    "homepage",
    "supported_asset_types",
    "version",
    "available",
    "unavailable_reason",
    "enabled",
    "default_config",
    "config_schema",
    "last_checked_at",
}


@pytest.fixture
def tools(db):
    ToolDefinition.objects.all().delete()  # a sync may have seeded rows; start from a known set
    return {
        "semgrep": ToolDefinitionFactory(
            slug="semgrep", name="Semgrep", category=ToolCategory.SAST, version="1.90.0"
        ),
        "gitleaks": ToolDefinitionFactory(
            slug="gitleaks", name="Gitleaks", category=ToolCategory.SECRETS, enabled=False
        ),
        "trivy": ToolDefinitionFactory(
            slug="trivy",
            name="Trivy",
            category=ToolCategory.IMAGE,
            available=False,
            unavailable_reason="trivy not found on PATH",
        ),
    }


def test_any_user_lists_tools_with_their_state(client_for, tools):
    response = client_for(UserFactory()).get("/api/v1/tools/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [t["slug"] for t in body["results"]] == ["gitleaks", "semgrep", "trivy"]
    semgrep = body["results"][1]
    assert set(semgrep) == FIELDS
    assert semgrep["version"] == "1.90.0"
    assert semgrep["supported_asset_types"] == ["git_repository", "codebase_path"]
    assert semgrep["config_schema"]["type"] == "object"
    trivy = body["results"][2]
    assert (trivy["available"], trivy["unavailable_reason"]) == (False, "trivy not found on PATH")


@pytest.mark.parametrize(
    ("query", "slugs"),
    [
        ("?category=secrets", ["gitleaks"]),
        ("?available=false", ["trivy"]),
        ("?enabled=false", ["gitleaks"]),
        ("?enabled=true&available=true", ["semgrep"]),
        ("?search=sem", ["semgrep"]),
        ("?search=leaks", ["gitleaks"]),
        ("?ordering=-name", ["trivy", "semgrep", "gitleaks"]),
    ],
)
def test_tool_filters(client_for, tools, query, slugs):
    response = client_for(UserFactory()).get("/api/v1/tools/" + query)
    assert response.status_code == 200
    assert [t["slug"] for t in response.json()["results"]] == slugs


def test_retrieve_by_id(client_for, tools):
    tool = tools["semgrep"]
    response = client_for(UserFactory()).get(f"/api/v1/tools/{tool.id}/")
    assert response.status_code == 200
    assert response.json()["slug"] == "semgrep"
    missing = client_for(UserFactory()).get("/api/v1/tools/987654/")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_anonymous_users_get_nothing(api_client, tools):
    response = api_client.get("/api/v1/tools/")
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401


@pytest.mark.parametrize("enabled", [False, True])
def test_staff_toggle_a_tool(client_for, tools, enabled):
    tool = tools["semgrep"] if not enabled else tools["gitleaks"]
    response = client_for(UserFactory(is_staff=True)).patch(
        f"/api/v1/tools/{tool.id}/", {"enabled": enabled}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["enabled"] is enabled
    tool.refresh_from_db()
    assert tool.enabled is enabled


def test_non_staff_cannot_toggle(client_for, project_with_roles, tools):
    tool = tools["semgrep"]
    for user in (project_with_roles.owner, project_with_roles.member, UserFactory()):
        response = client_for(user).patch(
            f"/api/v1/tools/{tool.id}/", {"enabled": False}, format="json"
        )
        assert response.status_code == 403
        assert response.json()["error"] == {
            "status": 403,
            "code": "permission_denied",
            "message": "Only platform administrators can change tools.",
        }
    tool.refresh_from_db()
    assert tool.enabled is True


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "enabled"),
        ({"enabled": "maybe"}, "enabled"),
        ({"enabled": False, "available": True}, "available"),
        ({"enabled": True, "version": "9.9"}, "version"),
    ],
)
def test_only_enabled_can_change(client_for, tools, payload, field):
    tool = tools["semgrep"]
    response = client_for(UserFactory(is_staff=True)).patch(
        f"/api/v1/tools/{tool.id}/", payload, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    tool.refresh_from_db()
    assert (tool.enabled, tool.available, tool.version) == (True, True, "1.90.0")


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_tools_are_not_created_replaced_or_deleted_over_the_api(client_for, tools, method):
    staff = client_for(UserFactory(is_staff=True))
    url = "/api/v1/tools/" if method == "post" else f"/api/v1/tools/{tools['semgrep'].id}/"
    response = getattr(staff, method)(url, {"slug": "x"}, format="json")
    assert response.status_code == 405
    assert ToolDefinition.objects.count() == 3
