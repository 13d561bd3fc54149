"""A scan of a ref checks its git targets out at that ref, once, and records the commit; a scan
that asks for no ref records the branch its only git target was checked out at."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from apps.common.testing.factories import (
    ProjectFactory,
    ScanConfigurationFactory,
    ScanConfigurationToolFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.scans.models import Scan, ScanStatus, ScanToolResult, ToolResultStatus
from apps.scans.services import execution
from apps.scans.services import scans as scan_services
from apps.scans.tests.services.test_checkouts import SOURCE_TYPES, remote, seen_by
from apps.targets.tests.git_server import git

__all__ = ["remote"]  # the fixture, shared with test_checkouts

pytestmark = pytest.mark.django_db(transaction=True)


def start_scan(*, ref: str = "", targets: list[dict]) -> Scan:
    project = ProjectFactory()
    configuration = ScanConfigurationFactory(project=project, tool_timeout_seconds=60)
    for fields in targets:
        configuration.targets.add(TargetAssetFactory(project=project, **fields))
    for slug in ("first", "second"):
        tool = ToolDefinitionFactory(slug=slug, supported_asset_types=SOURCE_TYPES)
        ScanConfigurationToolFactory(configuration=configuration, tool=tool)
    return scan_services.scan_start(configuration=configuration, ref=ref)


def test_every_tool_of_a_pull_request_scan_sees_the_pull_requests_commit(remote, settings):
    server, repo = remote
    git(repo, "checkout", "-q", "-b", "contributor")
    (repo / "a.py").write_text("pull request\n")
    git(repo, "commit", "-qam", "pull request")
    head = git(repo, "rev-parse", "HEAD")
    git(repo, "update-ref", "refs/pull/1/head", head)
    git(repo, "checkout", "-q", "main")
    git(repo, "branch", "-q", "-D", "contributor")  # only the pull request ref holds it

    scan = start_scan(
        ref="refs/pull/1/head",
        targets=[
            {"asset_type": "git_repository", "identifier": server.url(), "metadata": {}},
        ],
    )
    assert scan.is_default_branch is False
    pending = execution.scan_run(scan_id=scan.pk)
    scan.refresh_from_db()
    [entry] = scan.checkouts.values()
    assert entry == {"ref": "refs/pull/1/head", "ref_type": "ref", "commit": head}
    assert (scan.ref, scan.commit_sha, scan.is_default_branch) == ("refs/pull/1/head", head, False)

    first, second = sorted(pending, key=lambda pk: ScanToolResult.objects.get(pk=pk).tool.slug)
    execution.tool_result_run(result_id=first)
    # The second tool runs on another host: it fetches the recorded commit.
    shutil.rmtree(Path(settings.SECULITE_CHECKOUT_DIR) / f"scan-{scan.pk}")
    execution.tool_result_run(result_id=second)
    assert [r for r in seen_by("first") if r.startswith("saw")] == ["saw pull request"]
    assert [r for r in seen_by("second") if r.startswith("saw")] == ["saw pull request"]
    assert execution.scan_finalize(scan_id=scan.pk).status == ScanStatus.COMPLETED


def test_a_scan_without_a_ref_records_the_branch_and_commit_it_looked_at(remote):
    server, repo = remote
    scan = start_scan(
        targets=[{"asset_type": "git_repository", "identifier": server.url(), "metadata": {}}]
    )
    execution.scan_run(scan_id=scan.pk)
    scan.refresh_from_db()
    assert (scan.ref, scan.commit_sha, scan.is_default_branch) == (
        "main",
        git(repo, "rev-parse", "main"),
        True,
    )
    # A re-run asks again for the default branch, not for "main".
    again = scan_services.scan_rescan(scan=scan)
    assert (again.ref, again.is_default_branch) == ("", True)


def test_a_ref_the_remote_lacks_fails_the_targets_runs_clearly(remote):
    server, _ = remote
    scan = start_scan(
        ref="feature/none",
        targets=[{"asset_type": "git_repository", "identifier": server.url(), "metadata": {}}],
    )
    assert execution.scan_run(scan_id=scan.pk) == []
    assert {r.error_message for r in ScanToolResult.objects.filter(scan=scan)} == {
        "Target: The ref 'feature/none' is neither a branch nor a tag of the repository."
    }
    assert {r.status for r in ScanToolResult.objects.filter(scan=scan)} == {ToolResultStatus.FAILED}


def test_with_two_git_targets_the_scan_records_no_single_commit(remote):
    server, _ = remote
    scan = start_scan(
        targets=[
            {"asset_type": "git_repository", "identifier": server.url(), "metadata": {}},
            {
                "asset_type": "git_repository",
                "identifier": server.url(),
                "metadata": {"branch": "v1"},
            },
        ]
    )
    execution.scan_run(scan_id=scan.pk)
    scan.refresh_from_db()
    assert len(scan.checkouts) == 2
    assert (scan.ref, scan.commit_sha) == ("", "")
