"""Uploaded source archives: what is accepted, what is refused, where the file goes."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from apps.common.testing.factories import TargetAssetFactory
from apps.targets.models import AssetType, TargetAsset

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def _zip(name: str = "../../My Shop (v2).zip") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("shop/app.py", "SECRET = 'x'\n")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


def _post(client, project_id: int, **fields):
    return client.post(
        f"/api/v1/projects/{project_id}/targets/",
        {"name": "shop-src", "asset_type": "file_upload", **fields},
        format="multipart",
    )


def test_member_uploads_a_zip_archive(client_for, project_with_roles, _media_root):
    project = project_with_roles.project
    response = _post(
        client_for(project_with_roles.member),
        project.id,
        upload=_zip(),
        metadata=json.dumps({"exclude_paths": ["tests/**"]}),
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["identifier"] == "My_Shop_v2.zip"
    assert body["has_upload"] is True
    assert body["is_active"] is True  # left out of the form, not read as "false"
    assert body["metadata"] == {"exclude_paths": ["tests/**"]}
    target = TargetAsset.objects.get(pk=body["id"])
    assert target.upload.name.startswith("target_uploads/")
    assert target.upload.name.endswith(".zip")
    stored = Path(target.upload.path)
    assert stored.is_file()
    assert _media_root in stored.parents
    assert zipfile.is_zipfile(stored)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("setup.exe", b"MZ\x90\x00" + b"\x00" * 100), ".zip, .tar"),
        (SimpleUploadedFile("fake.zip", b"MZ\x90\x00" + b"\x00" * 100), "not a .zip archive"),
        (SimpleUploadedFile("shop.tar.gz", b"PK\x03\x04" + b"\x00" * 100), "not a .tar.gz"),
    ],
)
def test_non_archives_are_refused(client_for, project_with_roles, _media_root, upload, message):
    project = project_with_roles.project
    response = _post(client_for(project_with_roles.member), project.id, upload=upload)
    assert response.status_code == 400
    assert message in response.json()["error"]["fields"]["upload"][0]
    assert not TargetAsset.objects.filter(project=project).exists()
    assert not list(_media_root.rglob("*.*"))


@override_settings(SECULITE_UPLOAD_MAX_BYTES=64)
def test_archives_over_the_size_limit_are_refused(client_for, project_with_roles, _media_root):
    project = project_with_roles.project
    response = _post(client_for(project_with_roles.member), project.id, upload=_zip())
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["upload"] == [
        "The archive is larger than the 64 bytes limit."
    ]
    assert not TargetAsset.objects.filter(project=project).exists()
    assert not list(_media_root.rglob("*.zip"))


def test_file_upload_needs_a_file_and_other_types_refuse_one(client_for, project_with_roles):
    project = project_with_roles.project
    client = client_for(project_with_roles.member)
    missing = _post(client, project.id)
    assert missing.status_code == 400
    assert "archive" in missing.json()["error"]["fields"]["upload"][0]
    stray = client.post(
        f"/api/v1/projects/{project.id}/targets/",
        {"name": "web", "asset_type": "url", "identifier": "https://x.example/", "upload": _zip()},
        format="multipart",
    )
    assert stray.status_code == 400
    assert stray.json()["error"]["fields"]["upload"] == [
        "Only file_upload targets take an uploaded file."
    ]
    assert not TargetAsset.objects.filter(project=project).exists()


def test_auditor_cannot_upload(client_for, project_with_roles, _media_root):
    project = project_with_roles.project
    response = _post(client_for(project_with_roles.auditor), project.id, upload=_zip())
    assert response.status_code == 403
    assert not list(_media_root.rglob("*.zip"))


def test_replacing_and_deleting_an_upload_removes_the_old_file(
    client_for, project_with_roles, django_capture_on_commit_callbacks
):
    project = project_with_roles.project
    client = client_for(project_with_roles.member)
    created = _post(client, project.id, upload=_zip("first.zip"))
    assert created.status_code == 201, created.json()
    target = TargetAsset.objects.get(pk=created.json()["id"])
    first_file = target.upload.name

    with django_capture_on_commit_callbacks(execute=True):
        replaced = client.patch(
            f"/api/v1/projects/{project.id}/targets/{target.id}/",
            {"upload": _zip("second.zip")},
            format="multipart",
        )
    assert replaced.status_code == 200, replaced.json()
    assert replaced.json()["identifier"] == "second.zip"
    target.refresh_from_db()
    assert target.is_active is True
    assert not default_storage.exists(first_file)
    assert default_storage.exists(target.upload.name)

    with django_capture_on_commit_callbacks(execute=True):
        deleted = client.delete(f"/api/v1/projects/{project.id}/targets/{target.id}/")
    assert deleted.status_code == 204
    assert not default_storage.exists(target.upload.name)


def test_identifier_of_an_upload_target_is_not_set_by_hand(client_for, project_with_roles):
    project = project_with_roles.project
    target = TargetAssetFactory(
        project=project, asset_type=AssetType.FILE_UPLOAD, identifier="src.zip"
    )
    response = client_for(project_with_roles.member).patch(
        f"/api/v1/projects/{project.id}/targets/{target.id}/",
        {"identifier": "../../etc/passwd", "name": "renamed"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["identifier"] == "src.zip"
    target.refresh_from_db()
    assert (target.identifier, target.name) == ("src.zip", "renamed")
