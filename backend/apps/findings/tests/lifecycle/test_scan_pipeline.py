"""Auto-resolve through real scans: scan_start, the worker's tool runs (a small real program
through the real runner) and scan_finalize; only the broker hop is replaced by direct calls."""

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
from apps.findings.lifecycle import config_digest
from apps.findings.models import Finding, FindingStatus
from apps.scans.models import Scan, ScanToolResult
from apps.scans.services import execution
from apps.scans.services import scans as scan_services
from apps.tools.adapters import registry
from apps.tools.adapters.base import BaseAdapter, NormalizedFinding, PreparedTarget, ToolCommand

pytestmark = pytest.mark.django_db

# Reports each rule it is configured with whose marker ("# Rn") is in app.py, at its line.
SCRIPT = """
import json, sys
rules, root = json.loads(sys.argv[1]), sys.argv[2]
lines = open(root + "/app.py").read().splitlines()
print(json.dumps([[r, n] for n, line in enumerate(lines, 1) for r in rules if "# " + r in line]))
"""


class RulesTool(BaseAdapter):
    tool_id = name = "rules"
    category = "sast"
    supported_asset_types = ("codebase_path",)
    binary = "python3"
    default_config: Mapping[str, Any] = {"rules": ["R1", "R2"]}

    def executable(self) -> str | None:
        return sys.executable

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        argv = (sys.executable, "-c", SCRIPT, json.dumps(config["rules"]), str(target.path))
        return ToolCommand(argv=argv, output_path=output_path)

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        for rule, line in json.loads(output_path.read_text()):
            yield NormalizedFinding(
                title=rule, severity="high", rule_id=rule, file_path="app.py", line_start=line
            )


class Site:
    """A project with one codebase target and the `rules` tool."""

    def __init__(self, root: Path):
        self.code = root / "code"
        self.code.mkdir()
        self.project = ProjectFactory()
        self.target = TargetAssetFactory(
            project=self.project, asset_type="codebase_path", identifier=str(self.code)
        )
        self.tool = ToolDefinitionFactory(slug="rules", supported_asset_types=["codebase_path"])

    def write(self, *rules: str) -> None:
        self.code.joinpath("app.py").write_text("".join(f"x = 1  # {r}\n" for r in rules))

    def configuration(self, name: str, overrides: dict[str, Any] | None = None) -> Any:
        configuration = ScanConfigurationFactory(project=self.project, name=name)
        configuration.targets.add(self.target)
        ScanConfigurationToolFactory(
            configuration=configuration, tool=self.tool, overrides=overrides or {}
        )
        return configuration

    def status(self, rule: str) -> str:
        return Finding.objects.get(project=self.project, rule_id=rule).status


@pytest.fixture
def site(tmp_path, monkeypatch, settings) -> Site:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SECULITE_ALLOWED_PATHS = [str(tmp_path)]
    adapters = {"rules": RulesTool()}
    monkeypatch.setattr(registry, "ADAPTERS", adapters)
    monkeypatch.setattr(execution, "ADAPTERS", adapters)
    monkeypatch.setattr(scan_services, "_enqueue_scan", lambda scan_id: None)
    monkeypatch.setattr(execution, "_enqueue_finalize", lambda scan_id: None)
    monkeypatch.setattr(execution, "_enqueue_notify", lambda scan_id: None)
    return Site(tmp_path)


def run_tools(scan: Scan) -> None:
    for result_id in execution.scan_run(scan_id=scan.pk):
        execution.tool_result_run(result_id=result_id)


def scan_of(configuration: Any) -> Scan:
    scan = scan_services.scan_start(configuration=configuration)
    run_tools(scan)
    return execution.scan_finalize(scan_id=scan.pk)


def digest_of(scan: Scan) -> str:
    return ScanToolResult.objects.get(scan=scan).config_digest


def test_each_run_records_the_digest_of_its_effective_configuration(site):
    site.write("R1")
    default = scan_of(site.configuration("default"))
    spelled_out = scan_of(site.configuration("same", {"rules": ["R1", "R2"]}))
    narrower = scan_of(site.configuration("narrower", {"rules": ["R1"]}))
    assert len(digest_of(default)) == 64
    assert digest_of(default) == digest_of(spelled_out)
    assert digest_of(narrower) != digest_of(default)


def test_two_configurations_on_one_target_do_not_close_each_others_findings(site):
    site.write("R1", "R2")
    full = site.configuration("full")
    quick = site.configuration("quick", {"rules": ["R1"]})
    scan_of(full)
    finished = scan_of(quick)
    assert finished.summary["resolved"] == 0
    assert (site.status("R1"), site.status("R2")) == ("new", "new")
    # R2 fixed: the configuration that looks for it resolves it.
    site.write("R1")
    finished = scan_of(full)
    assert finished.summary["resolved"] == 1
    assert (site.status("R1"), site.status("R2")) == ("new", FindingStatus.AUTO_RESOLVED)


def test_an_older_scan_finalising_last_leaves_what_a_newer_scan_saw_open(site):
    configuration = site.configuration("ci")
    site.write("R1")
    scan_of(configuration)
    older = scan_services.scan_start(configuration=configuration)
    newer = scan_services.scan_start(configuration=configuration)
    run_tools(older)  # looks at the code before R2 came in
    site.write("R1", "R2")
    run_tools(newer)
    assert execution.scan_finalize(scan_id=newer.pk).summary["resolved"] == 0
    assert execution.scan_finalize(scan_id=older.pk).summary["resolved"] == 0
    assert (site.status("R1"), site.status("R2")) == ("new", "new")


class _Target:
    def __init__(self, identifier: str = "/srv/app", **metadata: Any):
        self.asset_type, self.identifier, self.metadata = "codebase_path", identifier, metadata


def test_the_digest_covers_what_the_tool_looks_at_and_nothing_else():
    base = config_digest(tool="semgrep", config={"a": 1, "b": [1, 2]}, target=_Target())
    assert base == config_digest(tool="semgrep", config={"b": [1, 2], "a": 1}, target=_Target())
    # Another rule list, another tool, another tree or other path filters: not comparable.
    assert base != config_digest(tool="semgrep", config={"a": 1, "b": [1]}, target=_Target())
    assert base != config_digest(tool="bandit", config={"a": 1, "b": [1, 2]}, target=_Target())
    other_tree = _Target("/srv/other")
    assert base != config_digest(tool="semgrep", config={"a": 1, "b": [1, 2]}, target=other_tree)
    filtered = _Target(exclude_paths=["tests/**", "vendor/**"])
    digest = config_digest(tool="semgrep", config={"a": 1, "b": [1, 2]}, target=filtered)
    assert digest != base
    # The order of the path globs does not matter, nor does the branch (newer code).
    same = _Target(exclude_paths=["vendor/**", "tests/**"], branch="release")
    assert digest == config_digest(tool="semgrep", config={"a": 1, "b": [1, 2]}, target=same)
