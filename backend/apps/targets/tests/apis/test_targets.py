"""Targets API: roles, project isolation, validation per asset type, filters."""

from __future__ import annotations

import pytest

from apps.common.testing.factories import ProjectFactory, TargetAssetFactory
from apps.targets.models import AssetType, TargetAsset

pytestmark = pytest.mark.django_db


def _url(project_id: int, target_id: int | None = None) -> str:
    base = f"/api/v1/projects/{project_id}/targets/"
    return f"{base}{target_id}/" if target_id else base


@pytest.mark.parametrize(
    ("payload", "identifier", "metadata"),
    [
        (
            {"asset_type": "url", "identifier": "HTTPS://Shop.Example.com/login"},
            "https://shop.example.com/login",
            {},
        ),
        (
            {
                "asset_type": "git_repository",
                "identifier": "git@github.com:acme/shop.git",
                "metadata": {"branch": "release/2.0", "exclude_paths": []},
            },
            "git@github.com:acme/shop.git",
            {"branch": "release/2.0"},
        ),
        (
            {
                "asset_type": "codebase_path",
                "identifier": "/srv/code//shop/",
                "metadata": {"include_paths": ["src/**"], "exclude_paths": ["src/vendor/**"]},
            },
            "/srv/code/shop",
            {"include_paths": ["src/**"], "exclude_paths": ["src/vendor/**"]},
        ),
        (
            {"asset_type": "container_image", "identifier": "ghcr.io/acme/shop:1.4"},
            "ghcr.io/acme/shop:1.4",
            {},
        ),
        ({"asset_type": "ip_range", "identifier": "10.1.2.3/16"}, "10.1.0.0/16", {}),
        ({"asset_type": "domain", "identifier": "Shop.Example.com."}, "shop.example.com", {}),
    ],
)
def test_member_creates_a_target_of_each_type(
    client_for, project_with_roles, payload, identifier, metadata
):
    project = project_with_roles.project
    response = client_for(project_with_roles.member).post(
        _url(project.id), {"name": "shop", **payload}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["identifier"] == identifier
    assert body["metadata"] == metadata
    assert body["asset_type"] == payload["asset_type"]
    assert body["project"] == project.id
    assert body["created_by"] == project_with_roles.member.id
    assert body["is_active"] is True
    target = TargetAsset.objects.get(pk=body["id"])
    assert (target.project_id, target.identifier, target.metadata) == (
        project.id,
        identifier,
        metadata,
    )


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        (
            {"asset_type": "url", "identifier": "http://user:pass@x.example.com/"},
            "identifier",
            "credentials",
        ),
        ({"asset_type": "url", "identifier": "file:///etc/passwd"}, "identifier", "http://"),
        ({"asset_type": "git_repository", "identifier": "--upload-pack=x"}, "identifier", "'-'"),
        (
            {"asset_type": "git_repository", "identifier": "file:///etc/passwd"},
            "identifier",
            "https://",
        ),
        (
            {
                "asset_type": "git_repository",
                "identifier": "https://github.com/a/b.git",
                "metadata": {"branch": "-x"},
            },
            "metadata.branch",
            "'-'",
        ),
        (
            {
                "asset_type": "git_repository",
                "identifier": "https://github.com/a/b.git",
                "metadata": {"commit": "abc1234"},
            },
            "metadata.commit",
            "full 40-character commit hash",
        ),
        ({"asset_type": "codebase_path", "identifier": "../../etc"}, "identifier", "absolute"),
        (
            {
                "asset_type": "codebase_path",
                "identifier": "/srv",
                "metadata": {"exclude_paths": ["../x"]},
            },
            "metadata.exclude_paths",
            "'..'",
        ),
        ({"asset_type": "container_image", "identifier": "-v"}, "identifier", "'-'"),
        ({"asset_type": "ip_range", "identifier": "10.0.0.0/33"}, "identifier", "CIDR"),
        ({"asset_type": "domain", "identifier": "localhost"}, "identifier", "fully qualified"),
        (
            {
                "asset_type": "url",
                "identifier": "https://x.example/",
                "metadata": {"branch": "main"},
            },
            "metadata.branch",
            "Not an option",
        ),
        ({"asset_type": "url", "identifier": ""}, "identifier", "Enter a URL"),
        ({"asset_type": "file_upload"}, "upload", "archive"),
        ({"asset_type": "printer", "identifier": "x"}, "asset_type", "valid choice"),
    ],
)
def test_invalid_targets_are_field_errors(client_for, project_with_roles, payload, field, message):
    project = project_with_roles.project
    response = client_for(project_with_roles.member).post(
        _url(project.id), {"name": "bad", **payload}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400
    assert message in " ".join(error["fields"][field])
    assert not TargetAsset.objects.filter(project=project).exists()


def test_target_names_are_unique_per_project(client_for, project_with_roles):
    project = project_with_roles.project
    TargetAssetFactory(project=project, name="shop")
    TargetAssetFactory(name="shop")  # another project may reuse it
    response = client_for(project_with_roles.member).post(
        _url(project.id),
        {"name": "shop", "asset_type": "domain", "identifier": "shop.example.com"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["name"] == [
        "A target with this name already exists in this project."
    ]


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 201), ("member", 201), ("auditor", 403), ("outsider", 404), ("staff", 201)],
)
def test_who_may_create_targets(client_for, project_with_roles, who, expected):
    project = project_with_roles.project
    response = client_for(getattr(project_with_roles, who)).post(
        _url(project.id),
        {"name": "site", "asset_type": "url", "identifier": "https://x.example/"},
        format="json",
    )
    assert response.status_code == expected
    assert TargetAsset.objects.filter(project=project).exists() == (expected == 201)
    if expected != 201:
        assert response.json()["error"]["status"] == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("member", 200), ("auditor", 200), ("outsider", 404), ("staff", 200)],
)
def test_who_may_read_targets(client_for, project_with_roles, who, expected):
    project = project_with_roles.project
    target = TargetAssetFactory(project=project)
    client = client_for(getattr(project_with_roles, who))
    listing = client.get(_url(project.id))
    detail = client.get(_url(project.id, target.id))
    assert (listing.status_code, detail.status_code) == (expected, expected)
    if expected == 200:
        assert [t["id"] for t in listing.json()["results"]] == [target.id]
        assert detail.json()["name"] == target.name
    else:
        assert listing.json()["error"]["code"] == "not_found"
        assert detail.json()["error"]["code"] == "not_found"


def test_auditor_cannot_change_or_delete_a_target(client_for, project_with_roles):
    project = project_with_roles.project
    target = TargetAssetFactory(project=project, name="keep")
    client = client_for(project_with_roles.auditor)
    patched = client.patch(_url(project.id, target.id), {"name": "changed"}, format="json")
    deleted = client.delete(_url(project.id, target.id))
    assert (patched.status_code, deleted.status_code) == (403, 403)
    assert patched.json()["error"]["code"] == "permission_denied"
    target.refresh_from_db()
    assert target.name == "keep"


def test_outsider_gets_404_for_a_target_id(client_for, project_with_roles):
    target = TargetAssetFactory(project=project_with_roles.project)
    response = client_for(project_with_roles.outsider).get(
        _url(project_with_roles.project.id, target.id)
    )
    assert response.status_code == 404


def test_target_of_another_project_is_404_through_this_projects_url(client_for, project_with_roles):
    project_a = project_with_roles.project
    target_b = TargetAssetFactory(project=ProjectFactory(owner_user=project_with_roles.owner))
    client = client_for(project_with_roles.owner)
    for response in (
        client.get(_url(project_a.id, target_b.id)),
        client.patch(_url(project_a.id, target_b.id), {"name": "stolen"}, format="json"),
        client.delete(_url(project_a.id, target_b.id)),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    target_b.refresh_from_db()
    assert target_b.name != "stolen"


def test_unknown_project_is_404(client_for, project_with_roles):
    response = client_for(project_with_roles.staff).get(_url(999_999))
    assert response.status_code == 404


def test_patch_revalidates_and_keeps_the_asset_type(client_for, project_with_roles):
    project = project_with_roles.project
    target = TargetAssetFactory(
        project=project,
        asset_type=AssetType.GIT_REPOSITORY,
        identifier="https://github.com/acme/shop.git",
        metadata={"branch": "main"},
    )
    client = client_for(project_with_roles.member)

    ok = client.patch(
        _url(project.id, target.id),
        {
            "metadata": {"commit": "0123ABC" * 5 + "DEF01"},
            "is_active": False,
            "description": "pinned",
        },
        format="json",
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["metadata"] == {"commit": "0123abc" * 5 + "def01"}
    assert ok.json()["is_active"] is False

    bad = client.patch(
        _url(project.id, target.id),
        {"asset_type": "url", "identifier": "ssh://-oProxyCommand=x/repo"},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"asset_type", "identifier"}

    target.refresh_from_db()
    assert target.asset_type == AssetType.GIT_REPOSITORY
    assert target.identifier == "https://github.com/acme/shop.git"
    assert target.metadata == {"commit": "0123abc" * 5 + "def01"}
    assert target.description == "pinned"
    assert target.is_active is False


def test_member_deletes_a_target(client_for, project_with_roles):
    project = project_with_roles.project
    target = TargetAssetFactory(project=project)
    response = client_for(project_with_roles.member).delete(_url(project.id, target.id))
    assert response.status_code == 204
    assert not TargetAsset.objects.filter(pk=target.pk).exists()


def test_list_filters_searches_and_orders(client_for, project_with_roles):
    project = project_with_roles.project
    web = TargetAssetFactory(project=project, name="b-web", identifier="https://shop.example/")
    repo = TargetAssetFactory(
        project=project,
        name="a-repo",
        asset_type=AssetType.GIT_REPOSITORY,
        identifier="https://github.com/acme/shop.git",
    )
    old = TargetAssetFactory(
        project=project, name="c-old", identifier="https://old.example/", is_active=False
    )
    TargetAssetFactory(name="other-project", identifier="https://shop.example/")
    client = client_for(project_with_roles.auditor)

    def ids(query: str) -> list[int]:
        response = client.get(_url(project.id) + query)
        assert response.status_code == 200, response.json()
        return [t["id"] for t in response.json()["results"]]

    assert ids("") == [repo.id, web.id, old.id]
    assert ids("?asset_type=url") == [web.id, old.id]
    assert ids("?is_active=false") == [old.id]
    assert ids("?search=shop") == [repo.id, web.id]
    assert ids("?ordering=-name") == [old.id, web.id, repo.id]
    assert ids("?ordering=created_at") == [web.id, repo.id, old.id]
    page = client.get(_url(project.id) + "?page_size=2").json()
    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert page["next"]
