"""One tool on one target, looked at by runs that the tests build by hand: a run is a scan, its
tool result (status, configuration digest and coverage as the worker would record them) and
the findings it reported, ingested through the real ingest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from apps.common.testing.factories import (
    ProjectFactory,
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.findings.ingest import findings_ingest
from apps.findings.lifecycle import findings_auto_resolve
from apps.findings.models import Finding
from apps.scans.models import Scan, ScanStatus, ScanToolResult
from apps.tools.adapters.base import NormalizedFinding

DIGEST_X = "a" * 64  # one effective configuration of the tool
DIGEST_Y = "b" * 64  # another one (other rules) on the same target


def reported(*rules: str) -> list[NormalizedFinding]:
    """Findings R1 … as the tool reports them: Rn in src/rn.py, line n; "DEP" has no file."""
    findings = []
    for rule in rules:
        if rule == "DEP":
            findings.append(
                NormalizedFinding(
                    title="vulnerable dependency", severity="high", rule_id="GHSA-1",
                    package_name="lib", package_version="1.0",
                )
            )  # fmt: skip
            continue
        number = int(rule[1:])
        findings.append(
            NormalizedFinding(
                title=f"issue {rule}", severity="high", rule_id=rule,
                file_path=f"src/{rule.lower()}.py", line_start=number,
            )
        )  # fmt: skip
    return findings


@dataclass
class Looks:
    """Runs of one tool on one target of one project."""

    project: Any
    target: Any
    tool: Any

    def scan(self) -> Scan:
        """A new scan (newer than every scan made before it), running."""
        return ScanFactory(project=self.project, status=ScanStatus.RUNNING)

    def look(
        self,
        *rules: str,
        scan: Scan | None = None,
        status: str = "completed",
        digest: str = DIGEST_X,
        coverage: dict[str, Any] | None = None,
        findings: list[NormalizedFinding] | None = None,
    ) -> tuple[Scan, ScanToolResult]:
        """One run that reported `rules` (or `findings`); its findings are ingested now."""
        scan = scan or self.scan()
        result = ScanToolResultFactory(
            scan=scan, tool=self.tool, target=self.target, status=status,
            config_digest=digest, coverage=coverage or {},
        )  # fmt: skip
        findings_ingest(
            project=self.project, findings=reported(*rules) if findings is None else findings,
            tool=self.tool,
            tool_result=result, target=self.target,
        )  # fmt: skip
        return scan, result

    def finalise(self, scan: Scan) -> int:
        """What scan_finalize does for findings: auto-resolve from the scan's results."""
        return findings_auto_resolve(scan=scan, results=list(scan.tool_results.all()))

    def status(self, rule: str) -> str:
        return self.finding(rule).status

    def finding(self, rule: str) -> Finding:
        rule_id = "GHSA-1" if rule == "DEP" else rule
        return Finding.objects.get(project=self.project, rule_id=rule_id)

    def statuses(self) -> dict[str, str]:
        return dict(Finding.objects.filter(project=self.project).values_list("rule_id", "status"))


@pytest.fixture
def looks(db) -> Looks:
    project = ProjectFactory()
    target = TargetAssetFactory(project=project, asset_type="codebase_path", identifier="/srv")
    return Looks(project=project, target=target, tool=ToolDefinitionFactory(slug="semgrep"))
