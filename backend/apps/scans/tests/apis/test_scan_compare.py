"""Comparing a scan with a base ref or scan: exactly the planted new and fixed findings,
triaged-away findings ignored, the base scan chosen by ref, 404/400 for bad bases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    ProjectFactory,
    ProjectMembershipFactory,
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.findings.ingest import findings_ingest
from apps.findings.models import Finding, FindingStatus
from apps.scans.models import Scan, ScanStatus
from apps.tools.adapters.base import NormalizedFinding

pytestmark = pytest.mark.django_db


def planted(*names: str) -> list[NormalizedFinding]:
    return [
        NormalizedFinding(
            title=name,
            severity="high",
            rule_id=f"rule.{name}",
            file_path=f"src/{name}.py",
            line_start=1,
            snippet=f"call_{name}()",
        )
        for name in names
    ]


@dataclass
class World:
    roles: Any
    project: Any
    target: Any
    semgrep: Any
    bandit: Any

    def scan(
        self,
        *,
        ref: str = "",
        default: bool = True,
        status: str = ScanStatus.COMPLETED,
        semgrep: tuple[str, ...] = (),
        bandit: tuple[str, ...] | None = None,
        bandit_status: str = "completed",
    ) -> Scan:
        """A finished scan whose semgrep run reported `semgrep` and bandit run `bandit`."""
        scan = ScanFactory(project=self.project, ref=ref, is_default_branch=default, status=status)
        runs = [(self.semgrep, semgrep, "completed")]
        if bandit is not None:
            runs.append((self.bandit, bandit, bandit_status))
        for tool, names, run_status in runs:
            result = ScanToolResultFactory(
                scan=scan, tool=tool, target=self.target, status=run_status
            )
            findings_ingest(
                project=self.project, findings=planted(*names), tool=tool, tool_result=result,
                target=self.target,
            )  # fmt: skip
        return scan

    def triage(self, title: str, status: str) -> None:
        Finding.objects.filter(project=self.project, title=title).update(status=status)


@pytest.fixture
def world(project_with_roles) -> World:
    project = project_with_roles.project
    target = TargetAssetFactory(
        project=project, asset_type="git_repository", identifier="https://git.example.com/a.git"
    )
    return World(
        roles=project_with_roles, project=project, target=target,
        semgrep=ToolDefinitionFactory(slug="semgrep"), bandit=ToolDefinitionFactory(slug="bandit"),
    )  # fmt: skip


@pytest.fixture
def planted_pr(world):
    """main saw F1 to F4 (F4 a false positive) and G1 (bandit); the pull request fixed F3, added
    N1, and also has N2 and N3 that people triaged away; its bandit run failed."""
    world.scan(semgrep=("F1", "F2", "F3"))  # an older scan of main
    main = world.scan(semgrep=("F1", "F2", "F3", "F4"), bandit=("G1",))
    world.scan(status=ScanStatus.FAILED, semgrep=())  # a newer scan of main that failed
    world.triage("F4", FindingStatus.FALSE_POSITIVE)
    ProjectFactory()  # another project's scans never count
    ScanFactory(status=ScanStatus.COMPLETED)
    pr = world.scan(
        ref="refs/pull/1/head", default=False, semgrep=("F1", "F2", "F4", "N1", "N2", "N3"),
        bandit=(), bandit_status="failed",
    )  # fmt: skip
    world.triage("N2", FindingStatus.FALSE_POSITIVE)
    world.triage("N3", FindingStatus.ACCEPTED_RISK)
    return main, pr


def compare(client, scan, query=""):
    return client.get(f"/api/v1/scans/{scan.pk}/compare/{query}")


@pytest.mark.parametrize("query", ["?base=main", "", "?base=refs/heads/main", "?base=MAIN_ID"])
def test_compare_finds_exactly_the_planted_new_and_fixed_findings(
    client_for, world, planted_pr, query
):
    main, pr = planted_pr
    response = compare(client_for(world.roles.auditor), pr, query.replace("MAIN_ID", str(main.pk)))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["scan"] == {
        "id": pr.pk, "ref": "refs/pull/1/head", "commit_sha": "", "status": "completed",
        "finished_at": None,
    }  # fmt: skip
    assert body["base_scan"]["id"] == main.pk
    assert body["counts"] == {"new": 1, "fixed": 1, "unchanged": 3}
    assert [f["title"] for f in body["new"]] == ["N1"]
    assert [f["title"] for f in body["fixed"]] == ["F3"]
    assert body["truncated"] is False
    # Findings as the findings list shows them.
    [new] = body["new"]
    assert new["tool"]["slug"] == "semgrep" and new["severity"] == "high"
    assert new["on_default_branch"] is False
    assert new["file_path"] == "src/N1.py"
    asked = {"": "main", "?base=MAIN_ID": str(main.pk)}.get(query, query.removeprefix("?base="))
    assert body["base"] == asked


def test_with_no_scan_of_the_base_everything_open_is_new(client_for, world, planted_pr):
    _, pr = planted_pr
    body = compare(client_for(world.roles.member), pr, "?base=develop").json()
    assert (body["base"], body["base_scan"]) == ("develop", None)
    assert body["counts"] == {"new": 3, "fixed": 0, "unchanged": 0}
    assert sorted(f["title"] for f in body["new"]) == ["F1", "F2", "N1"]
    assert body["fixed"] == []


def test_a_branch_scan_is_the_base_of_its_branch(client_for, world):
    feature = world.scan(ref="feature/x", default=False, semgrep=("A", "B"))
    world.scan(semgrep=("A",))  # main
    pr = world.scan(ref="refs/pull/2/head", default=False, semgrep=("A", "C"))
    body = compare(client_for(world.roles.auditor), pr, "?base=feature/x").json()
    assert body["base_scan"]["id"] == feature.pk
    assert [f["title"] for f in body["new"]] == ["C"]
    assert [f["title"] for f in body["fixed"]] == ["B"]
    assert body["counts"]["unchanged"] == 1


def test_the_default_branch_of_the_target_names_the_base(client_for, world):
    world.target.default_branch = "trunk"
    world.target.save()
    trunk = world.scan(semgrep=("A",))
    world.scan(ref="main", default=False, semgrep=("A", "Z"))
    pr = world.scan(ref="feature/y", default=False, semgrep=("A", "B"))
    body = compare(client_for(world.roles.auditor), pr).json()
    assert (body["base"], body["base_scan"]["id"]) == ("trunk", trunk.pk)
    assert [f["title"] for f in body["new"]] == ["B"]


def test_the_lists_are_cut_at_the_limit_and_say_so(client_for, world):
    world.scan(semgrep=("A",))
    pr = world.scan(ref="feature/z", default=False, semgrep=("A", "N1", "N2", "N3"))
    body = compare(client_for(world.roles.auditor), pr, "?limit=2").json()
    assert body["counts"]["new"] == 3
    assert len(body["new"]) == 2 and body["truncated"] is True


@pytest.mark.parametrize(
    ("query", "field"),
    [("?base=a..b", "base"), ("?base=-x", "base"), ("?limit=0", "limit"), ("?limit=x", "limit")],
)
def test_an_invalid_base_or_limit_is_a_400(client_for, world, planted_pr, query, field):
    _, pr = planted_pr
    response = compare(client_for(world.roles.auditor), pr, query)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_a_base_scan_out_of_reach_is_a_404_and_of_another_project_a_400(
    client_for, world, planted_pr
):
    _, pr = planted_pr
    client = client_for(world.roles.owner)
    foreign = ScanFactory(status=ScanStatus.COMPLETED)
    assert compare(client, pr, f"?base={foreign.pk}").status_code == 404
    assert compare(client, pr, "?base=999999999").status_code == 404
    elsewhere = ProjectFactory(owner_user=world.roles.owner)
    ProjectMembershipFactory(project=elsewhere, user=world.roles.owner, role=ProjectRole.OWNER)
    other = ScanFactory(project=elsewhere, status=ScanStatus.COMPLETED)
    response = compare(client, pr, f"?base={other.pk}")
    assert response.status_code == 400
    assert "base" in response.json()["error"]["fields"]


def test_outsiders_cannot_compare(client_for, world, planted_pr):
    _, pr = planted_pr
    assert compare(client_for(world.roles.outsider), pr, "?base=main").status_code == 404
