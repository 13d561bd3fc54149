"""Fixtures of the import tests: media in a temporary folder, Celery tasks run in-process
(the broker hop replaced, as the other unit tests do), and a helper that uploads a report."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.common.testing.factories import TargetAssetFactory
from seculite_api.celery import app as celery_app

SAMPLES = Path(__file__).resolve().parents[2] / "tools" / "tests" / "samples"


def sample(tool: str, name: str = "many.json") -> Path:
    return SAMPLES / tool / name


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def eager() -> Iterator[None]:
    """Queued tasks run in-process (import, finalize, notify), as a worker would run them."""
    conf = celery_app.conf
    before = (conf.task_always_eager, conf.task_eager_propagates)
    conf.task_always_eager = conf.task_eager_propagates = True
    yield
    conf.task_always_eager, conf.task_eager_propagates = before


@pytest.fixture
def code_target(project_with_roles) -> Any:
    return TargetAssetFactory(
        project=project_with_roles.project,
        name="app",
        asset_type="git_repository",
        identifier="https://git.example.com/acme/app.git",
    )


@pytest.fixture
def upload(client_for, django_capture_on_commit_callbacks) -> Callable[..., Any]:
    """POST a report as `user` to the project's imports; queued work runs on commit."""

    def post(user: Any, project: Any, report: Path | bytes, name: str = "", **fields: Any) -> Any:
        content = report.read_bytes() if isinstance(report, Path) else report
        filename = name or (report.name if isinstance(report, Path) else "report.json")
        data = {"file": SimpleUploadedFile(filename, content), **fields}
        with django_capture_on_commit_callbacks(execute=True):
            return client_for(user).post(
                f"/api/v1/projects/{project.pk}/imports/", data, format="multipart"
            )

    return post


@pytest.fixture
def run_import(eager, django_capture_on_commit_callbacks) -> Callable[..., Any]:
    """import_start as the API calls it, then the worker's import_run and finalize; returns
    the scan as it ended."""
    from django.core.files.base import ContentFile

    from apps.imports.services import import_start
    from apps.scans.models import Scan

    def run(project: Any, target: Any, report: Path | bytes, format: str, **fields: Any) -> Any:
        content = report.read_bytes() if isinstance(report, Path) else report
        name = report.name if isinstance(report, Path) else "report"
        with django_capture_on_commit_callbacks(execute=True):
            scan = import_start(project=project, user=None, upload=ContentFile(content, name=name),
                                format=format, target=target, **fields)  # fmt: skip
        return Scan.objects.get(pk=scan.pk)

    return run


@pytest.fixture
def project(db) -> Any:
    from apps.common.testing.factories import ProjectFactory

    return ProjectFactory()


def target_of(project: Any, asset_type: str = "git_repository", name: str = "app") -> Any:
    identifiers = {
        "git_repository": "https://git.example.com/acme/app.git",
        "codebase_path": "/srv/app",
        "url": "https://shop.example.com/",
        "container_image": "registry.example.com/acme/app:1.0",
        "domain": "shop.example.com",
        "ip_range": "192.0.2.0/28",
        "file_upload": "app.tar.gz",
    }
    return TargetAssetFactory(
        project=project, name=name, asset_type=asset_type, identifier=identifiers[asset_type]
    )
