"""Target credentials through the API: write-only, stored encrypted, shown only as a kind."""

from __future__ import annotations

import json
import logging
import subprocess

import pytest
from django.db import connection

from apps.common.testing.factories import TargetAssetFactory
from apps.common.testing.sessions import session_sign_in
from apps.targets.credentials import credential_decrypt
from apps.targets.models import AssetType, TargetAsset

pytestmark = pytest.mark.django_db

TOKEN = "ghp_PlantedApiToken0123456789abcdefXY"


def _url(project_id: int, target_id: int | None = None) -> str:
    base = f"/api/v1/projects/{project_id}/targets/"
    return f"{base}{target_id}/" if target_id else base


def stored_rows_text() -> str:
    """Every column of every target row, as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {TargetAsset._meta.db_table}")  # noqa: S608 - constant
        return json.dumps(cursor.fetchall(), default=str)


def test_a_token_is_write_only_and_encrypted(project_with_roles, client_for, caplog):
    caplog.set_level(logging.DEBUG)
    project = project_with_roles.project
    client = client_for(project_with_roles.member)
    created = client.post(
        _url(project.id),
        {
            "name": "private",
            "asset_type": "git_repository",
            "identifier": "https://git.example.com/acme/private.git",
            "credential_kind": "https_token",
            "credential_username": "ci-bot",
            "credential_secret": TOKEN,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["credential_kind"] == "https_token" and body["has_credential"] is True
    target = TargetAsset.objects.get(pk=body["id"])
    for response in (
        created,
        client.get(_url(project.id)),
        client.get(_url(project.id, target.pk)),
    ):
        assert TOKEN not in response.content.decode()
        assert "ci-bot" not in response.content.decode()
    assert TOKEN not in stored_rows_text()
    assert TOKEN not in caplog.text
    credential = credential_decrypt(kind="https_token", stored=target.credential_encrypted)
    assert (credential.secret, credential.username) == (TOKEN, "ci-bot")

    # Other edits keep it; an empty kind removes it.
    renamed = client.patch(_url(project.id, target.pk), {"name": "renamed"}, format="json")
    assert renamed.json()["has_credential"] is True
    removed = client.patch(_url(project.id, target.pk), {"credential_kind": ""}, format="json")
    assert removed.status_code == 200
    assert removed.json()["has_credential"] is False and removed.json()["credential_kind"] == ""
    target.refresh_from_db()
    assert target.credential_encrypted == "" and target.credential_kind == ""


def test_a_deploy_key_can_be_set_on_an_existing_target(project_with_roles, client_for, tmp_path):
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")], check=True
    )
    key = (tmp_path / "k").read_text()
    project = project_with_roles.project
    target = TargetAssetFactory(
        project=project, asset_type=AssetType.GIT_REPOSITORY, identifier="git@example.com:a/b.git"
    )
    client = client_for(project_with_roles.member)
    response = client.patch(
        _url(project.id, target.pk),
        {"credential_kind": "ssh_key", "credential_secret": key},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["credential_kind"] == "ssh_key"
    assert "PRIVATE KEY" not in response.content.decode()
    assert "PRIVATE KEY" not in stored_rows_text()

    # The key cannot follow the repository to an https:// URL.
    moved = client.patch(
        _url(project.id, target.pk), {"identifier": "https://example.com/a/b.git"}, format="json"
    )
    assert moved.status_code == 400
    assert "ssh://" in moved.json()["error"]["fields"]["credential_kind"][0]


@pytest.mark.parametrize(
    ("asset_type", "identifier", "payload", "field", "message"),
    [
        (
            "url",
            "https://app.example.com/",
            {"credential_kind": "https_token", "credential_secret": TOKEN},
            "credential_kind",
            "Only git_repository targets",
        ),
        (
            "git_repository",
            "https://git.example.com/a.git",
            {"credential_kind": "https_token"},
            "credential_secret",
            "Enter the token",
        ),
        (
            "git_repository",
            "https://git.example.com/a.git",
            {"credential_kind": "ssh_key", "credential_secret": "not a key"},
            "credential_secret",
            "whole private key",
        ),
        (
            "git_repository",
            "https://git.example.com/a.git",
            {"credential_kind": "password", "credential_secret": TOKEN},
            "credential_kind",
            "",
        ),
        (
            "git_repository",
            "git@git.example.com:a/b.git",
            {"credential_kind": "https_token", "credential_secret": TOKEN},
            "credential_kind",
            "https:// only",
        ),
    ],
)
def test_invalid_credentials_are_field_errors(
    project_with_roles, client_for, asset_type, identifier, payload, field, message
):
    project = project_with_roles.project
    client = client_for(project_with_roles.member)
    response = client.post(
        _url(project.id),
        {"name": "t", "asset_type": asset_type, "identifier": identifier, **payload},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert field in error["fields"]
    assert message in " ".join(error["fields"][field])
    assert TOKEN not in response.content.decode()
    assert not TargetAsset.objects.exists()


def test_auditors_cannot_set_credentials(project_with_roles, client_for):
    project = project_with_roles.project
    target = TargetAssetFactory(
        project=project, asset_type=AssetType.GIT_REPOSITORY, identifier="git@example.com:a/b.git"
    )
    response = client_for(project_with_roles.auditor).patch(
        _url(project.id, target.pk),
        {"credential_kind": "https_token", "credential_secret": TOKEN},
        format="json",
    )
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.credential_encrypted == ""


def test_the_admin_shows_only_the_credential_kind(client, project_with_roles):
    from apps.common.testing.factories import UserFactory
    from apps.targets.credentials import GitCredential, credential_encrypt

    stored = credential_encrypt(GitCredential(kind="https_token", secret=TOKEN, username="x"))
    target = TargetAssetFactory(
        project=project_with_roles.project,
        asset_type=AssetType.GIT_REPOSITORY,
        identifier="https://git.example.com/a.git",
        credential_kind="https_token",
        credential_encrypted=stored,
    )
    admin = UserFactory(is_staff=True, is_superuser=True)
    session_sign_in(client, admin)
    page = client.get(f"/admin/targets/targetasset/{target.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "https_token" in html
    assert stored.split(":", 1)[1][:20] not in html and TOKEN not in html
