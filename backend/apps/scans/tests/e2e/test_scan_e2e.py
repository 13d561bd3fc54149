"""End to end: a real Celery worker on Redis with PostgreSQL runs real scanners on the sample
vulnerable project; findings are tracked across scans (dedupe, auto-resolve, reopen, moves)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from apps.common.testing.factories import ProjectFactory, TargetAssetFactory
from apps.findings.models import Finding, FindingStatus
from apps.notifications.models import NotificationDelivery
from apps.scans.models import (
    SCAN_FINAL_STATUSES,
    Scan,
    ScanConfiguration,
    ScanConfigurationTool,
    ScanStatus,
    ScanToolResult,
    ScanTrigger,
    ScheduleType,
    ToolResultStatus,
)
from apps.scans.services.scans import scan_start
from apps.scans.services.schedule_sync import scan_configuration_schedule_sync
from apps.scans.tests.e2e.conftest import wait_for
from apps.tools.adapters.registry import ADAPTERS
from apps.tools.models import ToolDefinition

pytestmark = [pytest.mark.e2e]

TESTDATA = Path(__file__).resolve().parents[4] / "testdata"
MANIFEST = json.loads((TESTDATA / "vulnerable-project.manifest.json").read_text())
E2E_TOOLS = ("semgrep", "bandit", "detect-secrets", "checkov", "shellcheck")
SCAN_TIMEOUT = 300


def require_tools(*slugs: str) -> None:
    missing = [s for s in slugs if ADAPTERS[s].unavailable_reason()]
    if missing:
        pytest.fail(f"scanners missing (run scripts/install-scanners.sh): {missing}")


@pytest.fixture
def sample_tree(tmp_path) -> Path:
    """The sample project as the README's first command lays out local code: under var/code of
    a git repository whose .gitignore ignores /var/ (tools must scan it as the tree it is)."""
    repo = tmp_path / "checkout"
    repo.mkdir()
    git = shutil.which("git")
    assert git
    subprocess.run([git, "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text("/var/\n")
    subprocess.run(
        [git, "-C", str(repo), "-c", "user.email=e2e@example.test", "-c", "user.name=e2e",
         "add", ".gitignore"],
        check=True,
    )  # fmt: skip
    subprocess.run(
        [git, "-C", str(repo), "-c", "user.email=e2e@example.test", "-c", "user.name=e2e",
         "commit", "-q", "-m", "init"],
        check=True,
    )  # fmt: skip
    tree = repo / "var" / "code" / "vulnerable-project"
    shutil.copytree(TESTDATA / "vulnerable-project", tree)
    ignored = subprocess.run(
        [git, "-C", str(repo), "check-ignore", "-q", str(tree / "README.md")], check=False
    )
    assert ignored.returncode == 0, "the sample tree must lie in a git-ignored folder"
    return tree


def make_configuration(project, target, slugs, name="e2e") -> ScanConfiguration:
    configuration = ScanConfiguration.objects.create(
        project=project, name=name, tool_timeout_seconds=300
    )
    configuration.targets.add(target)
    for slug in slugs:
        ScanConfigurationTool.objects.create(
            configuration=configuration, tool=ToolDefinition.objects.get(slug=slug)
        )
    return configuration


def run_scan(configuration, handle) -> Scan:
    scan = scan_start(configuration=configuration)

    def finished():
        scan.refresh_from_db()
        return scan.status in SCAN_FINAL_STATUSES and scan.summary

    wait_for(finished, timeout=SCAN_TIMEOUT, what=f"scan {scan.pk} to finish", handle=handle)
    return scan


def failures(scan: Scan) -> list[tuple[str, str, str]]:
    return [
        (r.tool.slug, r.status, r.error_message[:300])
        for r in ScanToolResult.objects.filter(scan=scan).select_related("tool")
        if r.status not in (ToolResultStatus.COMPLETED, ToolResultStatus.NO_FINDINGS)
    ]


def test_scan_tracks_planted_issues_across_scans(celery_workers, sample_tree, synced_tools):
    require_tools(*E2E_TOOLS)
    project = ProjectFactory()
    target = TargetAssetFactory(
        project=project, asset_type="codebase_path", identifier=str(sample_tree)
    )
    full = make_configuration(project, target, E2E_TOOLS)
    full.notify_on_completion, full.notify_emails = True, ["appsec@example.test"]
    full.save()
    celery_workers.start_worker(concurrency=2)

    first = run_scan(full, celery_workers)
    assert first.status == ScanStatus.COMPLETED, failures(first)
    assert first.progress == 100
    # Semgrep analysed the tree although the repository around it git-ignores it.
    semgrep_run = ScanToolResult.objects.get(scan=first, tool__slug="semgrep")
    assert semgrep_run.status == ToolResultStatus.COMPLETED, semgrep_run.error_message
    assert semgrep_run.coverage["analysed"] >= 5, semgrep_run.coverage
    assert semgrep_run.coverage["unanalysed_count"] == 0
    assert Finding.objects.filter(project=project, tool__slug="semgrep").count() >= 5

    # The worker sends the completion email (console backend: into the worker's log).
    emailed = NotificationDelivery.objects.filter(
        scan=first, channel="email", recipient="appsec@example.test", status="sent"
    )
    wait_for(emailed.exists, timeout=60, what="the completion email", handle=celery_workers)
    assert "Subject: [SecuLite]" in celery_workers.logs()

    # Every planted issue of these tools is found with its severity, file and line.
    missing = []
    for issue in MANIFEST["issues"]:
        if issue["tool"] not in E2E_TOOLS:
            continue
        match = Finding.objects.filter(
            project=project,
            tool__slug=issue["tool"],
            rule_id=issue["rule_id"],
            file_path=issue["file"],
            line_start=issue["line"],
        )
        if not match.filter(severity=issue["severity"]).exists():
            found = list(match.values_list("severity", flat=True))
            missing.append((issue["id"], issue["severity"], found))
    assert not missing, "\n".join(map(str, missing))
    total = Finding.objects.filter(project=project).count()
    assert first.summary["new"] == total and first.summary["total"] == total

    # A second scan of the unchanged project creates nothing new.
    second = run_scan(full, celery_workers)
    assert second.status == ScanStatus.COMPLETED, failures(second)
    assert second.summary["new"] == 0
    assert Finding.objects.filter(project=project).count() == total
    assert not Finding.objects.filter(project=project).exclude(status=FindingStatus.NEW).exists()

    # Remove one planted issue: exactly that finding is auto-resolved (bandit-only scans).
    planted = next(i for i in MANIFEST["issues"] if i.get("e2e_mutation_target"))
    source = sample_tree / planted["file"]
    original = source.read_text()
    lines = original.splitlines(keepends=True)
    assert lines[planted["line"] - 1].rstrip("\n") == planted["removable"]["match"]
    fingerprint_of = Finding.objects.get(
        project=project,
        tool__slug=planted["tool"],
        rule_id=planted["rule_id"],
        file_path=planted["file"],
    ).fingerprint
    quick = make_configuration(project, target, [planted["tool"]], name="quick")
    indent = planted["removable"]["match"][
        : len(planted["removable"]["match"]) - len(planted["removable"]["match"].lstrip())
    ]
    lines[planted["line"] - 1] = f"{indent}path = None\n"
    source.write_text("".join(lines))
    third = run_scan(quick, celery_workers)
    assert third.status == ScanStatus.COMPLETED, failures(third)
    resolved = Finding.objects.filter(project=project, status=FindingStatus.AUTO_RESOLVED)
    assert list(resolved.values_list("fingerprint", flat=True)) == [fingerprint_of]
    assert third.summary["resolved"] == 1

    # Restore it: the same finding comes back as reopened.
    source.write_text(original)
    fourth = run_scan(quick, celery_workers)
    assert fourth.summary["new"] == 0
    back = Finding.objects.get(project=project, fingerprint=fingerprint_of)
    assert back.status == FindingStatus.REOPENED

    # Move it down ten lines: still the same finding, at its new line.
    lines = original.splitlines(keepends=True)
    lines.insert(planted["line"] - 1, "".join(f"{indent}# padding {n}\n" for n in range(10)))
    source.write_text("".join(lines))
    fifth = run_scan(quick, celery_workers)
    assert fifth.summary["new"] == 0, fifth.summary
    moved = Finding.objects.get(project=project, fingerprint=fingerprint_of)
    assert moved.line_start == planted["line"] + 10
    assert Finding.objects.filter(project=project).count() == total


def test_worker_killed_mid_scan_the_scan_finishes_on_a_new_worker(
    celery_workers, sample_tree, synced_tools
):
    require_tools("semgrep", "checkov", "bandit")
    project = ProjectFactory()
    target = TargetAssetFactory(
        project=project, asset_type="codebase_path", identifier=str(sample_tree)
    )
    configuration = make_configuration(project, target, ("checkov", "semgrep", "bandit"))
    worker = celery_workers.start_worker(concurrency=1, name="doomed")
    scan = scan_start(configuration=configuration)
    wait_for(
        lambda: ScanToolResult.objects.filter(scan=scan, status=ToolResultStatus.RUNNING).exists(),
        timeout=120, what="a tool to start running", handle=celery_workers,
    )  # fmt: skip
    celery_workers.kill(worker, signal.SIGKILL)

    celery_workers.start_worker(concurrency=2, name="rescuer")
    wait_for(lambda: Scan.objects.get(pk=scan.pk).status in SCAN_FINAL_STATUSES,
             timeout=SCAN_TIMEOUT, what="the scan to finish on the new worker",
             handle=celery_workers)  # fmt: skip
    scan.refresh_from_db()
    assert scan.status == ScanStatus.COMPLETED, failures(scan)
    keys = list(Finding.objects.filter(project=project).values_list(
        "tool__slug", "rule_id", "file_path", "line_start"))  # fmt: skip
    assert keys and len(keys) == len(set(keys)), "duplicate findings after the redelivery"
    for result in ScanToolResult.objects.filter(scan=scan):
        assert result.occurrences.count() == result.findings_count


def test_beat_starts_a_scheduled_scan(celery_workers, sample_tree, synced_tools):
    require_tools("bandit")
    project = ProjectFactory()
    target = TargetAssetFactory(
        project=project, asset_type="codebase_path", identifier=str(sample_tree)
    )
    configuration = make_configuration(project, target, ("bandit",))
    configuration.schedule_type = ScheduleType.ONCE
    configuration.schedule_once_at = timezone.now() + timedelta(seconds=4)
    configuration.save()
    scan_configuration_schedule_sync(configuration=configuration)
    celery_workers.start_worker(concurrency=1)
    celery_workers.start_beat()
    scheduled = wait_for(
        lambda: Scan.objects.filter(configuration=configuration,
                                    trigger=ScanTrigger.SCHEDULED).first(),
        timeout=90, what="beat to start the scheduled scan", handle=celery_workers,
    )  # fmt: skip
    assert isinstance(scheduled, Scan)
    wait_for(
        lambda: Scan.objects.get(pk=scheduled.pk).status in SCAN_FINAL_STATUSES,
        timeout=SCAN_TIMEOUT,
        what="the scheduled scan to finish",
        handle=celery_workers,
    )
    assert Scan.objects.get(pk=scheduled.pk).status == ScanStatus.COMPLETED
