"""Honest verdicts, end to end through the scan services with real tools: a tool with nothing
to look at is skipped, a run that analysed nothing fails, a run that could not parse some
files is partial, and the scan ends completed, completed with errors or failed, keeping open
every finding no run really looked at again."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping
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
from apps.findings.models import Finding, FindingStatus
from apps.scans.models import Scan, ScanStatus, ScanToolResult, ToolResultStatus
from apps.scans.services import execution
from apps.scans.services import scans as scan_services
from apps.scans.services.verdicts import scan_end_state
from apps.tools.adapters import registry
from apps.tools.adapters.base import PreparedTarget, ToolCommand
from apps.tools.adapters.nmap import NmapAdapter
from apps.tools.adapters.toolkit import require_host_or_network
from apps.tools.models import ToolDefinition
from apps.tools.tests.adapters.recorded import require_binary

pytestmark = pytest.mark.django_db(transaction=True)

TESTS = Path(__file__).resolve().parents[3] / "tools" / "tests"
NMAP_SAMPLES = TESTS / "samples" / "nmap"
BROKEN_PYTHON = TESTS / "fixtures" / "broken" / "python"
COPY = "import shutil, sys; shutil.copyfile(sys.argv[1], sys.argv[2])"


class NmapReplay(NmapAdapter):
    """Nmap whose run replays a recorded real report, so no packet is sent anywhere; the
    target is still checked exactly as the real adapter checks it."""

    def __init__(self, report: Path) -> None:
        self.report = report

    def executable(self) -> str | None:
        return sys.executable

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        require_host_or_network(target)
        # The sandboxed run sees only its output folder: the report waits there.
        recorded = output_path.parent / "recorded-report.xml"
        shutil.copyfile(self.report, recorded)
        return ToolCommand(
            argv=(sys.executable, "-c", COPY, str(recorded), str(output_path)),
            output_path=output_path,
            output_written_by_tool=True,
        )


@pytest.fixture
def notified(monkeypatch) -> list[int]:
    queued: list[int] = []
    monkeypatch.setattr(execution, "_enqueue_notify", queued.append)
    monkeypatch.setattr(scan_services, "_enqueue_scan", lambda scan_id: None)
    monkeypatch.setattr(execution, "_enqueue_finalize", lambda scan_id: None)
    return queued


@pytest.fixture
def media(tmp_path, settings) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SECULITE_ALLOWED_PATHS = [str(tmp_path)]
    return tmp_path


def use_adapters(monkeypatch, **replaced: Any) -> None:
    adapters = {**registry.ADAPTERS, **replaced}
    monkeypatch.setattr(registry, "ADAPTERS", adapters)
    monkeypatch.setattr(execution, "ADAPTERS", adapters)


def configure(project, target, tools: dict[str, dict[str, Any]]):
    configuration = ScanConfigurationFactory(project=project, tool_timeout_seconds=300)
    configuration.targets.add(target)
    for slug, overrides in tools.items():
        ScanConfigurationToolFactory(
            configuration=configuration,
            tool=ToolDefinition.objects.get(slug=slug),
            overrides=overrides,
        )
    return configuration


def run_scan(configuration) -> Scan:
    scan = scan_services.scan_start(configuration=configuration)
    for result_id in execution.scan_run(scan_id=scan.pk):
        execution.tool_result_run(result_id=result_id)
    return execution.scan_finalize(scan_id=scan.pk)


def result_of(scan: Scan, slug: str) -> ScanToolResult:
    return ScanToolResult.objects.get(scan=scan, tool__slug=slug)


def require(*slugs: str) -> None:
    for slug in slugs:
        require_binary(registry.ADAPTERS[slug])


# --- not applicable -----------------------------------------------------------------------


def test_tools_that_do_not_apply_are_skipped_and_the_scan_completes(media, notified, synced_tools):
    require("bandit", "npm_audit", "pip_audit")
    code = media / "code"
    shutil.copytree(BROKEN_PYTHON, code)
    (code / "half.py").unlink()
    project = ProjectFactory()
    target = TargetAssetFactory(project=project, asset_type="codebase_path", identifier=str(code))
    scan = run_scan(configure(project, target, {"bandit": {}, "npm_audit": {}, "pip_audit": {}}))

    npm, pip = result_of(scan, "npm_audit"), result_of(scan, "pip_audit")
    assert npm.status == ToolResultStatus.SKIPPED
    assert "no package-lock.json or npm-shrinkwrap.json" in npm.error_message
    assert pip.status == ToolResultStatus.SKIPPED
    assert "no requirements.txt at the top of the tree" in pip.error_message
    assert npm.exit_code is None and not npm.raw_output  # never started
    bandit = result_of(scan, "bandit")
    assert bandit.status == ToolResultStatus.COMPLETED
    assert bandit.coverage["analysed"] == 1 and bandit.coverage["unanalysed_count"] == 0
    assert scan.status == ScanStatus.COMPLETED
    assert scan.error_message == ""
    assert notified == [scan.pk]


# --- partial ------------------------------------------------------------------------------


def test_a_partial_run_stores_its_findings_and_resolves_nothing_it_did_not_read(
    media, notified, synced_tools
):
    require("bandit")
    code = media / "code"
    shutil.copytree(BROKEN_PYTHON, code)
    half = code / "half.py"
    broken = half.read_text()
    # First the module is valid: Bandit reads both files and reports both findings.
    half.write_text(broken.split("def broken(")[0])
    project = ProjectFactory()
    target = TargetAssetFactory(project=project, asset_type="codebase_path", identifier=str(code))
    configuration = configure(project, target, {"bandit": {}})
    first = run_scan(configuration)
    assert first.status == ScanStatus.COMPLETED
    assert set(Finding.objects.values_list("file_path", flat=True)) == {"app.py", "half.py"}

    # Then half.py no longer parses: Bandit cannot read it, which is not "the issue is gone".
    half.write_text(broken)
    second = run_scan(configuration)
    bandit = result_of(second, "bandit")
    assert bandit.status == ToolResultStatus.PARTIAL
    assert bandit.findings_count == 1
    assert bandit.coverage == {
        "unit": "files",
        "analysed": 1,
        "unanalysed": [{"path": "half.py", "reason": "syntax error while parsing AST from file"}],
        "unanalysed_count": 1,
        "summary": "1 file analysed; 1 file could not be analysed.",
        "isolation": "sandboxed",
    }
    assert bandit.error_message.startswith("Partial: Bandit could not analyse 1 file: half.py")
    assert second.status == ScanStatus.COMPLETED_WITH_ERRORS
    assert "Bandit on " in second.error_message and ": partial (" in second.error_message
    statuses = dict(Finding.objects.values_list("file_path", "status"))
    assert statuses == {"app.py": FindingStatus.NEW, "half.py": FindingStatus.NEW}
    assert second.summary["resolved"] == 0
    assert notified == [first.pk, second.pk]


# --- analysed nothing ---------------------------------------------------------------------


def test_a_run_that_analysed_nothing_fails_and_says_why(media, notified, synced_tools):
    require("semgrep")
    code = media / "code"
    shutil.copytree(BROKEN_PYTHON, code)
    project = ProjectFactory()
    target = TargetAssetFactory(project=project, asset_type="codebase_path", identifier=str(code))
    # An exclude pattern that hides every file: Semgrep exits 0 having read nothing.
    scan = run_scan(
        configure(project, target, {"semgrep": {"rulesets": ["python"], "exclude": ["*.py"]}})
    )
    semgrep = result_of(scan, "semgrep")
    assert semgrep.status == ToolResultStatus.FAILED
    assert semgrep.error_message.startswith(
        "Semgrep analysed 0 files although the tree has 2 Python files"
    )
    assert semgrep.coverage["analysed"] == 0
    assert scan.status == ScanStatus.FAILED


# --- an unreachable host ------------------------------------------------------------------


def test_an_unreachable_host_fails_the_run_and_keeps_its_findings_open(
    media, notified, monkeypatch, settings, synced_tools
):
    """The second report is real nmap output recorded where no host was up (see the
    coverage tests); replaying it sends no packet."""
    settings.SECULITE_TARGET_ALLOW = ["127.0.0.0/8"]
    project = ProjectFactory()
    target = TargetAssetFactory(project=project, asset_type="ip_range", identifier="127.0.0.66/32")
    configuration = configure(project, target, {"nmap": {}})

    use_adapters(monkeypatch, nmap=NmapReplay(NMAP_SAMPLES / "many.xml"))
    first = run_scan(configuration)
    assert first.status == ScanStatus.COMPLETED, first.error_message
    assert result_of(first, "nmap").coverage["analysed"] == 1
    open_ports = set(Finding.objects.values_list("pk", flat=True))
    assert open_ports

    use_adapters(monkeypatch, nmap=NmapReplay(NMAP_SAMPLES / "failure_no_host_up.xml"))
    second = run_scan(configuration)
    nmap = result_of(second, "nmap")
    assert nmap.status == ToolResultStatus.FAILED
    assert "no host was up" in nmap.error_message.lower()
    assert nmap.coverage["analysed"] == 0 and nmap.coverage["unanalysed_count"] == 1
    assert second.status == ScanStatus.FAILED
    assert second.summary["resolved"] == 0
    assert (
        set(Finding.objects.filter(status=FindingStatus.NEW).values_list("pk", flat=True))
        == open_ports
    )


def test_an_unreachable_host_beside_a_good_run_completes_with_errors(
    media, notified, monkeypatch, settings, synced_tools
):
    require("bandit")
    settings.SECULITE_TARGET_ALLOW = ["127.0.0.0/8"]
    code = media / "code"
    shutil.copytree(BROKEN_PYTHON, code)
    (code / "half.py").unlink()
    project = ProjectFactory()
    host = TargetAssetFactory(project=project, asset_type="ip_range", identifier="127.0.0.66/32")
    tree = TargetAssetFactory(project=project, asset_type="codebase_path", identifier=str(code))
    configuration = configure(project, host, {"nmap": {}, "bandit": {}})
    configuration.targets.add(tree)
    use_adapters(monkeypatch, nmap=NmapReplay(NMAP_SAMPLES / "failure_no_host_up.xml"))

    scan = run_scan(configuration)

    assert scan.status == ScanStatus.COMPLETED_WITH_ERRORS
    assert "Nmap on " in scan.error_message and ": failed (" in scan.error_message
    assert Finding.objects.filter(tool__slug="bandit", file_path="app.py").exists()


# --- the scan's end state from its results ------------------------------------------------

OK, NONE, PART = ToolResultStatus.COMPLETED, ToolResultStatus.NO_FINDINGS, ToolResultStatus.PARTIAL
FAIL, SKIP, SLOW = ToolResultStatus.FAILED, ToolResultStatus.SKIPPED, ToolResultStatus.TIMED_OUT


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ((OK, NONE), ScanStatus.COMPLETED),
        ((OK, SKIP), ScanStatus.COMPLETED),
        ((SKIP, SKIP), ScanStatus.COMPLETED),
        ((OK, FAIL), ScanStatus.COMPLETED_WITH_ERRORS),
        ((NONE, SLOW), ScanStatus.COMPLETED_WITH_ERRORS),
        ((OK, PART), ScanStatus.COMPLETED_WITH_ERRORS),
        ((PART,), ScanStatus.COMPLETED_WITH_ERRORS),
        ((FAIL, SKIP), ScanStatus.FAILED),
        ((FAIL, SLOW), ScanStatus.FAILED),
    ],
)
def test_scan_end_state(statuses, expected):
    tool = ToolDefinitionFactory(slug="semgrep", name="Semgrep")
    results = [
        ScanToolResult(
            tool=tool, status=status, target_snapshot={"name": "api"}, error_message="why"
        )
        for status in statuses
    ]
    status, message = scan_end_state(results)
    assert status == expected
    if expected == ScanStatus.COMPLETED:
        assert message == ""
    else:
        assert message.startswith("Semgrep on api: ") and "(why)" in message
