"""One checkout per scan and target: every tool of a scan sees the same commit, recorded.

A real git remote (git http-backend on 127.0.0.1) and real tool processes (small Python
scripts through the real runner); only the broker hop is replaced by direct calls.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.common.testing.factories import (
    ProjectFactory,
    ScanConfigurationFactory,
    ScanConfigurationToolFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.findings.models import Finding
from apps.scans.models import Scan, ScanStatus, ScanToolResult, ToolResultStatus
from apps.scans.services import execution
from apps.scans.services import scans as scan_services
from apps.scans.tests.services.test_execution import ScriptAdapter
from apps.targets import preparation
from apps.targets.tests.git_server import git, git_http_server, make_repository
from apps.tools.adapters import registry

pytestmark = pytest.mark.django_db(transaction=True)

# Reports what the tool saw: the content of a.py and the tree it was given.
READ_TREE = (
    "import json, pathlib, sys\n"
    "root = pathlib.Path(sys.argv[-1])\n"
    "seen = (root / 'a.py').read_text().strip()\n"
    "print(json.dumps([['saw ' + seen, 'a.py', 1], ['in ' + str(root), 'a.py', 2]]))\n"
)
SOURCE_TYPES = ["git_repository", "file_upload"]


class FirstReader(ScriptAdapter):
    tool_id = name = "first"
    supported_asset_types = tuple(SOURCE_TYPES)
    script = READ_TREE


class SecondReader(FirstReader):
    tool_id = name = "second"


@pytest.fixture
def remote(tmp_path, monkeypatch, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SECULITE_CHECKOUT_DIR = str(tmp_path / "checkouts")
    settings.SECULITE_TARGET_ALLOW = ["127.0.0.1/32"]
    # The validator admits only https/ssh remotes; this loopback remote speaks plain http.
    monkeypatch.setattr(preparation.validators, "validate_git_url", lambda url: url)
    adapters = {a.tool_id: a for a in (FirstReader(), SecondReader())}
    monkeypatch.setattr(registry, "ADAPTERS", adapters)
    monkeypatch.setattr(execution, "ADAPTERS", adapters)
    monkeypatch.setattr(scan_services, "_enqueue_scan", lambda scan_id: None)
    monkeypatch.setattr(execution, "_enqueue_finalize", lambda scan_id: None)
    monkeypatch.setattr(execution, "_enqueue_notify", lambda scan_id: None)
    repo = make_repository(tmp_path / "remotes")
    with git_http_server(tmp_path / "remotes") as server:
        yield server, repo


def start_scan(**target_fields) -> Scan:
    project = ProjectFactory()
    target = TargetAssetFactory(project=project, **target_fields)
    configuration = ScanConfigurationFactory(project=project, tool_timeout_seconds=60)
    configuration.targets.add(target)
    for slug in ("first", "second"):
        tool = ToolDefinitionFactory(slug=slug, supported_asset_types=SOURCE_TYPES)
        ScanConfigurationToolFactory(configuration=configuration, tool=tool)
    return scan_services.scan_start(configuration=configuration)


def seen_by(tool: str) -> list[str]:
    return sorted(Finding.objects.filter(tool__slug=tool).values_list("rule_id", flat=True))


def test_every_tool_sees_the_commit_the_scan_recorded(remote, settings):
    server, repo = remote
    scan = start_scan(
        asset_type="git_repository", identifier=server.url(), metadata={"branch": "main"}
    )
    head = git(repo, "rev-parse", "main")

    pending = execution.scan_run(scan_id=scan.pk)
    fetches = len(server.requests)
    scan.refresh_from_db()
    target_id = str(scan.tool_results.first().target_id)
    assert scan.checkouts == {target_id: {"ref": "main", "ref_type": "branch", "commit": head}}

    # The branch moves while the scan runs.
    (repo / "a.py").write_text("three\n")
    git(repo, "commit", "-qam", "three")
    first, second = sorted(pending, key=lambda pk: ScanToolResult.objects.get(pk=pk).tool.slug)
    execution.tool_result_run(result_id=first)
    assert len(server.requests) == fetches  # the first tool reused the scan's checkout
    # The second tool runs on another host: no local tree, so it fetches the recorded commit.
    shutil.rmtree(Path(settings.SECULITE_CHECKOUT_DIR) / f"scan-{scan.pk}")
    execution.tool_result_run(result_id=second)
    assert len(server.requests) > fetches

    assert [r for r in seen_by("first") if r.startswith("saw")] == ["saw two"]
    assert [r for r in seen_by("second") if r.startswith("saw")] == ["saw two"]
    assert set(ScanToolResult.objects.filter(scan=scan).values_list("commit_sha", flat=True)) == {
        head
    }
    finished = execution.scan_finalize(scan_id=scan.pk)
    assert finished.status == ScanStatus.COMPLETED
    assert not (Path(settings.SECULITE_CHECKOUT_DIR) / f"scan-{scan.pk}").exists()


def test_a_missing_branch_fails_the_target_once_and_clearly(remote):
    server, _ = remote
    scan = start_scan(
        asset_type="git_repository", identifier=server.url(), metadata={"branch": "gone"}
    )
    assert execution.scan_run(scan_id=scan.pk) == []
    results = ScanToolResult.objects.filter(scan=scan)
    assert {r.status for r in results} == {ToolResultStatus.FAILED}
    assert {r.error_message for r in results} == {
        "Target: The branch 'gone' does not exist in the repository."
    }
    scan.refresh_from_db()
    assert scan.checkouts == {}


def test_an_archive_is_extracted_once_for_every_tool(remote, settings):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.py", "zipped\n")
    upload = SimpleUploadedFile("src.zip", buffer.getvalue())
    scan = start_scan(asset_type="file_upload", identifier="src.zip", upload=upload)
    for result_id in execution.scan_run(scan_id=scan.pk):
        execution.tool_result_run(result_id=result_id)
    trees = {r for tool in ("first", "second") for r in seen_by(tool) if r.startswith("in ")}
    assert len(trees) == 1 and str(settings.SECULITE_CHECKOUT_DIR) in trees.pop()
    assert seen_by("first")[-1] == seen_by("second")[-1] == "saw zipped"
    scan.refresh_from_db()
    [entry] = scan.checkouts.values()
    assert entry["ref_type"] == "archive" and len(entry["sha256"]) == 64
    execution.scan_finalize(scan_id=scan.pk)
    assert not (Path(settings.SECULITE_CHECKOUT_DIR) / f"scan-{scan.pk}").exists()


def test_the_reaper_sweeps_the_trees_of_ended_scans(remote, settings):
    server, _ = remote
    scan = start_scan(asset_type="git_repository", identifier=server.url())
    execution.scan_run(scan_id=scan.pk)
    folder = Path(settings.SECULITE_CHECKOUT_DIR) / f"scan-{scan.pk}"
    assert folder.is_dir()
    Scan.objects.filter(pk=scan.pk).update(status=ScanStatus.CANCELLED)
    execution.scans_reap()
    assert not folder.exists()


def test_a_cancelled_scan_removes_its_trees(remote, settings):
    server, _ = remote
    scan = start_scan(asset_type="git_repository", identifier=server.url())
    pending = execution.scan_run(scan_id=scan.pk)
    folder = Path(settings.SECULITE_CHECKOUT_DIR) / f"scan-{scan.pk}"
    assert folder.is_dir()
    scan_services.scan_cancel(scan=scan)
    for result_id in pending:  # the queued tool tasks still run, see the cancel and fan in
        execution.tool_result_run(result_id=result_id)
    assert execution.scan_finalize(scan_id=scan.pk).status == ScanStatus.CANCELLED
    assert not folder.exists()


def test_a_crash_while_preparing_fails_that_target_not_the_scan(remote, monkeypatch):
    from apps.scans.services import checkouts

    server, _ = remote

    def crash(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(checkouts, "prepare_checkout", crash)
    scan = start_scan(asset_type="git_repository", identifier=server.url())
    assert execution.scan_run(scan_id=scan.pk) == []
    assert {r.error_message for r in ScanToolResult.objects.filter(scan=scan)} == {
        "Target: Internal error while preparing the target: OSError."
    }
