"""Tool runs of a scan are sandboxed: the result says so, a report file past the output cap
fails the run with a clear message, and the raw output holds none of the worker's secrets."""

from __future__ import annotations

import json
import sys
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
from apps.scans.models import ScanToolResult, ToolResultStatus
from apps.scans.services import execution
from apps.scans.services import scans as scan_services
from apps.tools.adapters import registry
from apps.tools.adapters.base import BaseAdapter, NormalizedFinding, PreparedTarget, ToolCommand

pytestmark = pytest.mark.django_db(transaction=True)
PLANTED = "planted-worker-secret-91c2"


class ReportWriter(BaseAdapter):
    """Writes its report file itself (like the ten adapters with `--output FILE`)."""

    category = "sast"
    supported_asset_types = ("codebase_path",)
    binary = "python3"
    size = 0

    def executable(self) -> str | None:
        return sys.executable

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        script = (
            "import json, os, sys\n"
            "with open(sys.argv[1], 'w') as out:\n"
            "    json.dump({'env': dict(os.environ)}, out)\n"
            f"    out.write(' ' * {self.size})\n"
        )
        return ToolCommand(
            argv=(sys.executable, "-c", script, str(output_path)),
            output_path=output_path,
            output_written_by_tool=True,
        )

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        json.loads(output_path.read_text())
        return iter(())


class SmallReport(ReportWriter):
    tool_id = name = "small"


class HugeReport(ReportWriter):
    tool_id = name = "huge"
    size = 5_000_000


@pytest.fixture
def results(tmp_path, monkeypatch, settings) -> dict[str, ScanToolResult]:
    monkeypatch.setenv("SECRET_KEY", PLANTED)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SECULITE_ALLOWED_PATHS = [str(tmp_path)]
    settings.SECULITE_TOOL_OUTPUT_MAX_BYTES = 1_000_000
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("a = 1\n")
    adapters = {a.tool_id: a for a in (SmallReport(), HugeReport())}
    monkeypatch.setattr(registry, "ADAPTERS", adapters)
    monkeypatch.setattr(execution, "ADAPTERS", adapters)
    monkeypatch.setattr(scan_services, "_enqueue_scan", lambda scan_id: None)
    monkeypatch.setattr(execution, "_enqueue_finalize", lambda scan_id: None)
    monkeypatch.setattr(execution, "_enqueue_notify", lambda scan_id: None)
    project = ProjectFactory()
    target = TargetAssetFactory(project=project, asset_type="codebase_path", identifier=str(code))
    configuration = ScanConfigurationFactory(project=project, tool_timeout_seconds=60)
    configuration.targets.add(target)
    for slug in adapters:
        tool = ToolDefinitionFactory(slug=slug, supported_asset_types=["codebase_path"])
        ScanConfigurationToolFactory(configuration=configuration, tool=tool)
    scan = scan_services.scan_start(configuration=configuration)
    for result_id in execution.scan_run(scan_id=scan.pk):
        execution.tool_result_run(result_id=result_id)
    return {r.tool.slug: r for r in ScanToolResult.objects.filter(scan=scan)}


def test_a_report_file_past_the_cap_fails_the_run_clearly(results) -> None:
    huge = results["huge"]
    assert huge.status == ToolResultStatus.FAILED
    assert "SECULITE_TOOL_OUTPUT_MAX_BYTES" in huge.error_message
    assert "report files" in huge.error_message
    assert huge.raw_output.size <= 1_000_001


def test_the_result_records_its_isolation_and_no_worker_secret(results) -> None:
    small = results["small"]
    assert small.status == ToolResultStatus.NO_FINDINGS, small.error_message
    assert small.coverage["isolation"] == "sandboxed"
    raw = small.raw_output.read().decode()
    assert PLANTED not in raw and "SECRET_KEY" not in raw
