"""End to end: the sample project scanned by every code scanner the platform ships (real
processes on a real worker) comes out as far fewer issue groups than findings, and no two
groups share a location and CWE. Prints both counts."""

from __future__ import annotations

from collections import defaultdict

import pytest

from apps.common.testing.factories import ProjectFactory, TargetAssetFactory
from apps.findings.models import Finding, IssueGroup, IssueGroupMember
from apps.scans.models import ScanStatus
from apps.scans.tests.e2e.test_scan_e2e import (  # noqa: F401 - a fixture, used by name
    failures,
    make_configuration,
    require_tools,
    run_scan,
    sample_tree,
)

pytestmark = [pytest.mark.e2e]

# The six tools of issue 13's scan and the two JavaScript scanners that flag the same eval().
TOOLS = (
    "bandit", "semgrep", "detect-secrets", "checkov", "shellcheck", "hadolint", "eslint",
    "njsscan",
)  # fmt: skip
MAX_GROUPS = 40


def test_the_sample_projects_findings_form_few_groups(celery_workers, sample_tree, synced_tools):  # noqa: F811
    require_tools(*TOOLS)
    project = ProjectFactory()
    target = TargetAssetFactory(
        project=project, asset_type="codebase_path", identifier=str(sample_tree)
    )
    configuration = make_configuration(project, target, TOOLS)
    celery_workers.start_worker(concurrency=2)

    scan = run_scan(configuration, celery_workers)
    assert scan.status == ScanStatus.COMPLETED, failures(scan)

    findings = Finding.objects.filter(project=project)
    groups = IssueGroup.objects.filter(project=project)
    locations = {(f.file_path, f.line_start) for f in findings}
    print(
        f"\n{findings.count()} findings at {len(locations)} locations from {len(TOOLS)} tools "
        f"form {groups.count()} issue groups "
        f"({groups.filter(member_count__gt=1).count()} of them with more than one finding)"
    )
    by_location: dict[tuple[str, int | None], set[tuple[int, str, str, int | None]]] = defaultdict(
        set
    )
    for finding in findings.select_related("tool", "group_membership"):
        by_location[(finding.file_path, finding.line_start)].add(
            (finding.group_membership.group_id, finding.tool.slug, finding.rule_id, finding.cwe)
        )
    for (path, line), seen in sorted(by_location.items()):
        if len({group_id for group_id, *_ in seen}) > 1:  # problems that only share a place
            print(f"  {path}:{line}: " + "; ".join(
                f"group {g}: {tool} {rule} CWE-{cwe}" for g, tool, rule, cwe in sorted(seen)
            ))  # fmt: skip
    # Every finding is in exactly one group, and the group counts agree with the findings.
    assert IssueGroupMember.objects.filter(project=project).count() == findings.count()
    assert sum(groups.values_list("member_count", flat=True)) == findings.count()
    assert groups.count() <= MAX_GROUPS

    # No two groups share a location (file and line) and a CWE.
    owners: dict[tuple[str, int | None, int | None], set[int]] = defaultdict(set)
    for file_path, line, cwe, group_id in IssueGroupMember.objects.filter(
        project=project
    ).values_list("finding__file_path", "finding__line_start", "finding__cwe", "group_id"):
        owners[(file_path, line, cwe)].add(group_id)
    shared = {place: ids for place, ids in owners.items() if len(ids) > 1}
    assert not shared, shared

    # The cases issue 13 names: one SQL injection by Bandit and Semgrep, one committed key by
    # two secret scanners (critical), one eval() by ESLint, njsscan and Semgrep.
    def group_at(path: str, line: int, cwe: int) -> IssueGroup:
        [group_id] = owners[(path, line, cwe)]
        return groups.get(pk=group_id)

    sql = group_at("app/views.py", 41, 89)
    assert {"bandit", "semgrep"} <= set(sql.tools) and sql.member_count >= 2
    key = group_at("keys/deploy_key.pem", 1, 798)
    assert {"detect-secrets", "semgrep"} <= set(key.tools) and key.severity == "critical"
    evaluated = group_at("web/server.js", 8, 95)
    assert {"eslint", "njsscan", "semgrep"} <= set(evaluated.tools), evaluated.tools
