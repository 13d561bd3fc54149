"""Target groups API: membership limited to the project's own targets, roles, filters."""

from __future__ import annotations

import pytest

from apps.common.testing.factories import ProjectFactory, TargetAssetFactory, TargetGroupFactory
from apps.targets.models import TargetGroup

pytestmark = pytest.mark.django_db


def _url(project_id: int, group_id: int | None = None) -> str:
    base = f"/api/v1/projects/{project_id}/target-groups/"
    return f"{base}{group_id}/" if group_id else base


def test_member_creates_a_group_of_project_targets(client_for, project_with_roles):
    project = project_with_roles.project
    first, second = TargetAssetFactory(project=project), TargetAssetFactory(project=project)
    response = client_for(project_with_roles.member).post(
        _url(project.id),
        {"name": "web", "description": "public", "targets": [second.id, first.id, first.id]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["targets"] == sorted([first.id, second.id])
    assert body["target_count"] == 2
    assert (body["name"], body["description"], body["project"]) == ("web", "public", project.id)
    group = TargetGroup.objects.get(pk=body["id"])
    assert set(group.targets.values_list("id", flat=True)) == {first.id, second.id}


def test_a_target_of_another_project_is_a_field_error(client_for, project_with_roles):
    project = project_with_roles.project
    own = TargetAssetFactory(project=project)
    foreign = TargetAssetFactory(project=ProjectFactory())
    client = client_for(project_with_roles.member)
    foreign_response = client.post(
        _url(project.id), {"name": "mixed", "targets": [own.id, foreign.id]}, format="json"
    )
    unknown_response = client.post(
        _url(project.id), {"name": "mixed", "targets": [own.id, 987654]}, format="json"
    )
    assert foreign_response.status_code == unknown_response.status_code == 400
    assert foreign_response.json()["error"]["fields"] == {
        "targets": [f"No target with id {foreign.id} in this project."]
    }
    # a foreign id and a missing id look alike: nothing about the other project leaks
    assert unknown_response.json()["error"]["fields"] == {
        "targets": ["No target with id 987654 in this project."]
    }
    assert not TargetGroup.objects.exists()


def test_patch_replaces_targets_and_checks_them(client_for, project_with_roles):
    project = project_with_roles.project
    old, new = TargetAssetFactory(project=project), TargetAssetFactory(project=project)
    group = TargetGroupFactory(project=project, name="g")
    group.targets.set([old])
    client = client_for(project_with_roles.member)

    ok = client.patch(_url(project.id, group.id), {"targets": [new.id]}, format="json")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["targets"] == [new.id]
    assert ok.json()["target_count"] == 1

    foreign = TargetAssetFactory()
    bad = client.patch(
        _url(project.id, group.id), {"name": "h", "targets": [foreign.id]}, format="json"
    )
    assert bad.status_code == 400
    assert list(bad.json()["error"]["fields"]) == ["targets"]
    group.refresh_from_db()
    assert group.name == "g"
    assert list(group.targets.values_list("id", flat=True)) == [new.id]


def test_group_names_are_unique_per_project(client_for, project_with_roles):
    project = project_with_roles.project
    TargetGroupFactory(project=project, name="web")
    response = client_for(project_with_roles.member).post(
        _url(project.id), {"name": "web"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["name"] == [
        "A target group with this name already exists in this project."
    ]


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [
        ("owner", 200, 201),
        ("member", 200, 201),
        ("auditor", 200, 403),
        ("outsider", 404, 404),
        ("staff", 200, 201),
    ],
)
def test_roles_for_groups(client_for, project_with_roles, who, read, write):
    project = project_with_roles.project
    TargetGroupFactory(project=project, name="existing")
    client = client_for(getattr(project_with_roles, who))
    listing = client.get(_url(project.id))
    created = client.post(_url(project.id), {"name": "new"}, format="json")
    assert (listing.status_code, created.status_code) == (read, write)
    assert TargetGroup.objects.filter(project=project, name="new").exists() == (write == 201)


def test_group_of_another_project_is_404(client_for, project_with_roles):
    other_group = TargetGroupFactory(project=ProjectFactory(owner_user=project_with_roles.owner))
    client = client_for(project_with_roles.owner)
    url = _url(project_with_roles.project.id, other_group.id)
    assert client.get(url).status_code == 404
    assert client.delete(url).status_code == 404
    assert TargetGroup.objects.filter(pk=other_group.pk).exists()


def test_delete_group_keeps_targets(client_for, project_with_roles):
    project = project_with_roles.project
    target = TargetAssetFactory(project=project)
    group = TargetGroupFactory(project=project)
    group.targets.set([target])
    response = client_for(project_with_roles.member).delete(_url(project.id, group.id))
    assert response.status_code == 204
    assert not TargetGroup.objects.filter(pk=group.pk).exists()
    target.refresh_from_db()


def test_filter_by_target_search_and_order(client_for, project_with_roles):
    project = project_with_roles.project
    target = TargetAssetFactory(project=project)
    with_target = TargetGroupFactory(project=project, name="b-with", description="prod")
    with_target.targets.set([target, TargetAssetFactory(project=project)])
    without = TargetGroupFactory(project=project, name="a-without")
    client = client_for(project_with_roles.auditor)

    def names(query: str) -> list[str]:
        response = client.get(_url(project.id) + query)
        assert response.status_code == 200, response.json()
        return [g["name"] for g in response.json()["results"]]

    assert names("") == [without.name, with_target.name]
    assert names(f"?target={target.id}") == [with_target.name]
    assert names("?search=prod") == [with_target.name]
    assert names("?ordering=-name") == [with_target.name, without.name]
    body = client.get(_url(project.id) + f"?target={target.id}").json()
    assert body["results"][0]["target_count"] == 2
