"""A target's default branch through the API: read, written, checked like a git ref."""

from __future__ import annotations

import pytest

from apps.common.testing.factories import TargetAssetFactory
from apps.targets.models import TargetAsset

pytestmark = pytest.mark.django_db


def _url(project_id: int, target_id: int | None = None) -> str:
    base = f"/api/v1/projects/{project_id}/targets/"
    return f"{base}{target_id}/" if target_id else base


def test_a_target_is_created_with_its_default_branch(client_for, project_with_roles):
    project = project_with_roles.project
    response = client_for(project_with_roles.member).post(
        _url(project.id),
        {
            "name": "shop",
            "asset_type": "git_repository",
            "identifier": "https://github.com/acme/shop.git",
            "default_branch": " trunk ",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["default_branch"] == "trunk"
    assert TargetAsset.objects.get(pk=response.json()["id"]).default_branch == "trunk"


def test_the_default_branch_is_changed_and_cleared(client_for, project_with_roles):
    project = project_with_roles.project
    target = TargetAssetFactory(project=project, default_branch="main")
    client = client_for(project_with_roles.member)
    changed = client.patch(
        _url(project.id, target.id), {"default_branch": "release/2.0"}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["default_branch"] == "release/2.0"
    cleared = client.patch(_url(project.id, target.id), {"default_branch": ""}, format="json")
    assert cleared.status_code == 200, cleared.json()
    assert cleared.json()["default_branch"] == ""
    listed = client.get(_url(project.id)).json()["results"]
    assert [t["default_branch"] for t in listed] == [""]


@pytest.mark.parametrize("value", ["a..b", "-main", "main.lock", "x y", "/main"])
def test_an_invalid_default_branch_is_a_field_error(client_for, project_with_roles, value):
    project = project_with_roles.project
    target = TargetAssetFactory(project=project, default_branch="main")
    client = client_for(project_with_roles.member)
    response = client.patch(_url(project.id, target.id), {"default_branch": value}, format="json")
    assert response.status_code == 400
    assert "not a valid git ref" in response.json()["error"]["fields"]["default_branch"][0]
    target.refresh_from_db()
    assert target.default_branch == "main"
    created = client.post(
        _url(project.id),
        {"name": "x", "asset_type": "url", "identifier": "https://x.example.com/",
         "default_branch": value},
        format="json",
    )  # fmt: skip
    assert created.status_code == 400
    assert "default_branch" in created.json()["error"]["fields"]
