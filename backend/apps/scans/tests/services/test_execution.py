"""Scan execution in-process: one tool's timeout, crash or garbage output never sinks the rest.

The tools here are small real programs (the test interpreter running a script), driven through
the real runner; only the broker hop is replaced by direct calls.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

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
from apps.tools.adapters import registry
from apps.tools.adapters.base import (
    BaseAdapter,
    NormalizedFinding,
    PreparedTarget,
    ToolCommand,
    ToolOutputError,
)

pytestmark = pytest.mark.django_db(transaction=True)


class ScriptAdapter(BaseAdapter):
    """A tool that is a Python script; its stdout is a JSON list of [rule, file, line]."""

    category = "sast"
    supported_asset_types = ("codebase_path",)
    binary = "python3"
    script = ""

    def executable(self) -> str | None:
        return sys.executable

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        return ToolCommand(
            argv=(sys.executable, "-c", self.script, "--", str(target.path)),
            output_path=output_path,
        )

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        try:
            rows = json.loads(output_path.read_text())
        except json.JSONDecodeError as exc:
            raise ToolOutputError(f"expected JSON from the tool, got {exc.msg}") from exc
        for rule, file_path, line in rows:
            yield NormalizedFinding(
                title=rule, severity="high", rule_id=rule, file_path=file_path, line_start=line
            )


class GoodTool(ScriptAdapter):
    tool_id = name = "good"
    script = "import json; print(json.dumps([['R1', 'app.py', 1], ['R2', 'app.py', 2]]))"


class GarbageTool(ScriptAdapter):
    tool_id = name = "garbage"
    script = "print('<html>Internal error</html>')"


class HangingTool(ScriptAdapter):
    tool_id = name = "hang"
    script = (
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "time.sleep(600)\n"
    )


class CrashingTool(ScriptAdapter):
    tool_id = name = "crash"
    script = "import sys; sys.stderr.write('Segmentation fault\\n'); sys.exit(139)"


@pytest.fixture
def notified(monkeypatch) -> list[int]:
    """Ids of the scans whose notifications were queued (after their transaction committed)."""
    queued: list[int] = []
    monkeypatch.setattr(execution, "_enqueue_notify", queued.append)
    return queued


def _scan_of(tools: tuple[type[ScriptAdapter], ...], tmp_path, monkeypatch, settings) -> Scan:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SECULITE_ALLOWED_PATHS = [str(tmp_path)]
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("a = 1\nb = 2\n")
    adapters = {a.tool_id: a for a in (tool() for tool in tools)}
    monkeypatch.setattr(registry, "ADAPTERS", adapters)
    monkeypatch.setattr(execution, "ADAPTERS", adapters)
    monkeypatch.setattr(scan_services, "_enqueue_scan", lambda scan_id: None)
    monkeypatch.setattr(execution, "_enqueue_finalize", lambda scan_id: None)
    project = ProjectFactory()
    target = TargetAssetFactory(project=project, asset_type="codebase_path", identifier=str(code))
    configuration = ScanConfigurationFactory(project=project, tool_timeout_seconds=3)
    configuration.targets.add(target)
    for slug in adapters:
        tool = ToolDefinitionFactory(slug=slug, supported_asset_types=["codebase_path"])
        ScanConfigurationToolFactory(configuration=configuration, tool=tool)
    return scan_services.scan_start(configuration=configuration)


@pytest.fixture
def scan(tmp_path, monkeypatch, settings, notified) -> Scan:
    """A scan of a good, a garbage, a hanging (stopped by its 3 s timeout) and a crashing tool."""
    tools = (GoodTool, GarbageTool, HangingTool, CrashingTool)
    return _scan_of(tools, tmp_path, monkeypatch, settings)


@pytest.fixture
def quick_scan(tmp_path, monkeypatch, settings, notified) -> Scan:
    """The same scan without the hanging tool, for tests that need no timeout: each run of it
    waits the full 3 s."""
    return _scan_of((GoodTool, GarbageTool, CrashingTool), tmp_path, monkeypatch, settings)


def run_everything(scan: Scan) -> Scan:
    for result_id in execution.scan_run(scan_id=scan.pk):
        execution.tool_result_run(result_id=result_id)
    return execution.scan_finalize(scan_id=scan.pk)


def test_failures_stay_in_their_tool_result(scan):
    started = time.monotonic()
    finished = run_everything(scan)
    assert time.monotonic() - started < 30

    results = {r.tool.slug: r for r in ScanToolResult.objects.filter(scan=scan)}
    assert results["good"].status == ToolResultStatus.COMPLETED
    assert results["good"].findings_count == 2
    assert results["good"].exit_code == 0
    assert results["good"].raw_output.read().startswith(b'[["R1"')

    assert results["garbage"].status == ToolResultStatus.FAILED
    assert results["garbage"].error_message.startswith("Unparseable output: expected JSON")

    assert results["hang"].status == ToolResultStatus.TIMED_OUT
    assert "Timed out after 3 s" in results["hang"].error_message

    assert results["crash"].status == ToolResultStatus.FAILED
    assert "exited with code 139" in results["crash"].error_message
    assert "Segmentation fault" in results["crash"].error_message

    # The good tool's findings were stored: the scan completed, with errors.
    assert finished.status == ScanStatus.COMPLETED_WITH_ERRORS
    assert finished.progress == 100
    assert "Garbage on" in finished.error_message and "Hang on" in finished.error_message
    assert sorted(Finding.objects.values_list("rule_id", flat=True)) == ["R1", "R2"]
    assert finished.summary["total"] == 2 and finished.summary["new"] == 2
    assert finished.summary["by_severity"]["high"] == 2


def test_an_ended_scan_queues_its_notifications_once(quick_scan, notified):
    run_everything(quick_scan)
    assert notified == [quick_scan.pk]
    execution.scan_finalize(scan_id=quick_scan.pk)  # a redelivered finalize
    assert notified == [quick_scan.pk]


def test_the_failure_email_goes_out_from_finalize(quick_scan, notified, mailoutbox, monkeypatch):
    from apps.common.roles import ProjectRole
    from apps.common.testing.factories import ProjectMembershipFactory
    from apps.notifications.services import scan_notify

    owner = ProjectMembershipFactory(project=quick_scan.project, role=ProjectRole.OWNER).user
    monkeypatch.setattr(execution, "_enqueue_notify", lambda scan_id: scan_notify(scan_id=scan_id))
    run_everything(quick_scan)
    [message] = mailoutbox
    assert message.to == [owner.email]
    assert message.subject.startswith(f"[SecuLite] Scan #{quick_scan.pk} ")
    assert "completed with errors: 2 new findings (high+)" in message.subject
    assert "Garbage on" in message.body and "R1" in message.body


def test_a_retried_tool_task_writes_no_duplicates(quick_scan):
    run_everything(quick_scan)
    good = ScanToolResult.objects.get(scan=quick_scan, tool__slug="good")
    # Redelivery after a worker died: the same task runs again from a "running" state.
    ScanToolResult.objects.filter(pk=good.pk).update(status=ToolResultStatus.RUNNING)
    execution.tool_result_run(result_id=good.pk)
    assert Finding.objects.count() == 2
    assert good.occurrences.count() == 2


def test_cancelled_scan_stops_pending_tools(scan, notified):
    scan_services.scan_cancel(scan=scan)
    for result_id in ScanToolResult.objects.filter(scan=scan).values_list("id", flat=True):
        execution.tool_result_run(result_id=result_id)
    assert set(ScanToolResult.objects.filter(scan=scan).values_list("status", flat=True)) == {
        ToolResultStatus.CANCELLED
    }
    finished = execution.scan_finalize(scan_id=scan.pk)
    assert finished.status == ScanStatus.CANCELLED
    assert Finding.objects.count() == 0
    assert notified == []  # a cancel is someone's decision, not news


def test_reaper_ends_scans_past_their_deadline(scan, notified):
    from datetime import timedelta

    from django.utils import timezone

    Scan.objects.filter(pk=scan.pk).update(
        status=ScanStatus.RUNNING, deadline_at=timezone.now() - timedelta(seconds=1)
    )
    assert execution.scans_reap() == 1
    scan.refresh_from_db()
    assert scan.status == ScanStatus.ERROR
    assert "deadline" in scan.error_message
    assert not ScanToolResult.objects.filter(scan=scan, status=ToolResultStatus.PENDING).exists()
    assert notified == [scan.pk]  # announced as a failure
