"""Issue groups: findings of different tools or rules about one problem form one group."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.common.testing.factories import (
    ProjectFactory,
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
    UserFactory,
)
from apps.findings.grouping import (
    cwe_family,
    issue_groups_rebuild,
    issue_groups_recount_resolved,
)
from apps.findings.ingest import findings_ingest
from apps.findings.lifecycle import findings_auto_resolve
from apps.findings.models import Finding, FindingStatus, IssueGroup, IssueGroupMember
from apps.findings.services import finding_status_change
from apps.targets.models import AssetType
from apps.tools.adapters.base import NormalizedFinding

pytestmark = pytest.mark.django_db

SOURCE = {
    "app/views.py": "import os\n\n"
    "def view(request):\n"
    "    q = \"SELECT * FROM t WHERE id = %s\" % request.GET['id']\n"
    "    return eval(request.GET['expr'])\n",
    "config/aws.cfg": "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    "Dockerfile": "FROM python:latest\nENV AWS_KEY=AKIAIOSFODNN7EXAMPLE\nRUN apt-get install x\n",
    "keys/deploy.pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
    "4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onL\n-----END RSA PRIVATE KEY-----\n",
    "config/slack.env": "SLACK=xoxb-1234567890-abcdefghijkl\n",
    "config/aws.env": 'AWS_SECRET_ACCESS_KEY="kq3Vd8Hc2Lm9Pz4Tx7Wb1Ny6Rf5Js0Ga3Ue8Oi2Y"\n',
}


@pytest.fixture
def site(tmp_path):
    project = ProjectFactory()
    target = TargetAssetFactory(
        project=project, asset_type=AssetType.CODEBASE_PATH, identifier="/srv/code"
    )
    root = tmp_path / "tree"
    for name, text in SOURCE.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    tools = {
        slug: ToolDefinitionFactory(slug=slug)
        for slug in ("bandit", "semgrep", "detect-secrets", "hadolint", "checkov", "trivy", "osv")
    }
    return project, target, tools, root


def ingest(site, slug, findings, root: Path | None = None):
    project, target, tools, tree = site
    scan = ScanFactory(project=project)
    result = ScanToolResultFactory(
        scan=scan, tool=tools[slug], target=target, status="completed", config_digest="c" * 64
    )
    findings_ingest(
        project=project,
        findings=findings,
        tool=tools[slug],
        tool_result=result,
        target=target,
        target_root=root or tree,
    )
    return scan, result


def finding(**kwargs) -> NormalizedFinding:
    values = {"title": "x", "severity": "medium", "rule_id": "r"} | kwargs
    return NormalizedFinding(**values)


def groups(project):
    return list(IssueGroup.objects.filter(project=project).order_by("-severity_rank", "id"))


def group_of(project, rule_id) -> IssueGroup:
    return IssueGroupMember.objects.get(finding__project=project, finding__rule_id=rule_id).group


def test_the_same_sql_injection_by_two_tools_is_one_group_with_the_worst_severity(site):
    project = site[0]
    ingest(
        site,
        "bandit",
        [
            finding(
                rule_id="B608", severity="medium", cwe=89, file_path="app/views.py", line_start=4
            )
        ],
    )
    ingest(
        site,
        "semgrep",
        [
            finding(
                rule_id="sql",
                severity="high",
                cwe=89,
                file_path="app/views.py",
                line_start=4,
                line_end=4,
            )
        ],
    )
    [group] = groups(project)
    assert (group.member_count, group.open_count, group.severity) == (2, 2, "high")
    assert group.tools == ["bandit", "semgrep"]
    assert group.status == FindingStatus.NEW and group.is_open
    assert group.representative == Finding.objects.get(rule_id="sql")
    assert (group.file_path, group.line_start, group.cwe) == ("app/views.py", 4, 89)


def test_related_cwes_group_and_unrelated_ones_do_not(site):
    project = site[0]
    # eval: Bandit says CWE-78, Semgrep CWE-95 (one family); the SQL line is another problem.
    ingest(
        site,
        "bandit",
        [
            finding(rule_id="B307", cwe=78, file_path="app/views.py", line_start=5),
            finding(rule_id="B608", cwe=89, file_path="app/views.py", line_start=4),
        ],
    )
    ingest(
        site,
        "semgrep",
        [
            finding(rule_id="eval", cwe=95, file_path="app/views.py", line_start=5),
            finding(rule_id="xss", cwe=79, file_path="app/views.py", line_start=5),
        ],
    )
    assert group_of(project, "B307") == group_of(project, "eval")
    assert group_of(project, "xss") != group_of(project, "eval")
    assert group_of(project, "B608") != group_of(project, "eval")
    assert len(groups(project)) == 3


def test_findings_without_a_cwe_group_on_the_same_line_only(site):
    project = site[0]
    ingest(
        site,
        "hadolint",
        [
            finding(rule_id="DL3007", cwe=1357, file_path="Dockerfile", line_start=1),
            finding(rule_id="DL3008", file_path="Dockerfile", line_start=3),
        ],
    )
    ingest(
        site,
        "checkov",
        [
            finding(rule_id="CKV_DOCKER_7", file_path="Dockerfile", line_start=1, line_end=1),
            finding(rule_id="CKV_DOCKER_2", file_path="Dockerfile", line_start=2, line_end=3),
        ],
    )
    assert group_of(project, "DL3007") == group_of(project, "CKV_DOCKER_7")
    assert group_of(project, "DL3008") != group_of(project, "CKV_DOCKER_2")
    assert len(groups(project)) == 3


def test_the_same_secret_in_two_files_is_one_group_by_a_keyed_hash(site):
    project = site[0]
    ingest(
        site,
        "detect-secrets",
        [
            finding(
                rule_id="aws-access-key",
                severity="high",
                cwe=798,
                file_path="config/aws.cfg",
                line_start=2,
            ),
            finding(
                rule_id="aws-access-key",
                severity="high",
                cwe=798,
                file_path="Dockerfile",
                line_start=2,
            ),
        ],
    )
    [group] = groups(project)
    assert group.member_count == 2
    keys = set(IssueGroupMember.objects.values_list("key", flat=True))
    assert len(keys) == 1 and keys.pop().startswith("s:")
    # Never the value, anywhere in the findings or their groups.
    for model in (Finding, IssueGroup, IssueGroupMember):
        for row in model.objects.values():
            assert "AKIAIOSFODNN7EXAMPLE" not in str(row)


def test_a_different_secret_is_another_group(site):
    project = site[0]
    ingest(
        site,
        "detect-secrets",
        [
            finding(rule_id="aws-access-key", cwe=798, file_path="config/aws.cfg", line_start=2),
            finding(rule_id="slack-token", cwe=798, file_path="config/slack.env", line_start=1),
        ],
    )
    assert len(groups(project)) == 2


def test_the_same_advisory_under_its_aliases_is_one_group(site):
    project = site[0]
    ingest(
        site,
        "trivy",
        [
            finding(
                rule_id="CVE-2019-10906",
                cve="CVE-2019-10906",
                package_name="Jinja2",
                package_version="2.10",
            )
        ],
    )
    ingest(
        site,
        "osv",
        [
            finding(
                rule_id="GHSA-462w-v97r-4m45",
                package_name="jinja2",
                package_version="2.10",
                references=("https://nvd.nist.gov/vuln/detail/CVE-2019-10906",),
            )
        ],
    )
    ingest(
        site,
        "osv",
        [
            finding(
                rule_id="GHSA-other",
                cve="CVE-2020-28493",
                package_name="jinja2",
                package_version="2.10",
            )
        ],
    )
    assert group_of(project, "CVE-2019-10906") == group_of(project, "GHSA-462w-v97r-4m45")
    assert len(groups(project)) == 2


def test_an_unchanged_reimport_does_no_group_work(site):
    reported = [
        finding(rule_id=f"r{i}", cwe=89, file_path="app/views.py", line_start=i + 1)
        for i in range(30)
    ]
    ingest(site, "bandit", reported)
    before = list(IssueGroup.objects.values_list("id", "updated_at"))
    with CaptureQueriesContext(connection) as queries:
        ingest(site, "bandit", reported)
    touching = [q["sql"] for q in queries.captured_queries if "issuegroup" in q["sql"]]
    if connection.vendor == "postgresql":  # the ORM path refreshes every row it sees
        assert touching == []
    assert list(IssueGroup.objects.values_list("id", "updated_at")) == before


def test_a_finding_that_moves_leaves_its_group(site):
    project = site[0]
    # A file the tree lacks: the fingerprint rests on the snippet, so the finding can move.
    ingest(site, "bandit", [finding(rule_id="B608", cwe=89, file_path="app/gone.py", line_start=4)])
    ingest(
        site,
        "semgrep",
        [finding(rule_id="sql", cwe=89, file_path="app/gone.py", line_start=4, snippet="q = 1")],
    )
    assert len(groups(project)) == 1
    ingest(
        site,
        "semgrep",
        [finding(rule_id="sql", cwe=89, file_path="app/gone.py", line_start=40, snippet="q = 1")],
    )
    assert Finding.objects.count() == 2
    assert group_of(project, "sql") != group_of(project, "B608")
    assert [g.member_count for g in groups(project)] == [1, 1]


def test_triage_and_auto_resolve_keep_the_group_counts(site):
    project = site[0]
    ingest(
        site,
        "bandit",
        [finding(rule_id="B608", severity="high", cwe=89, file_path="app/views.py", line_start=4)],
    )
    ingest(
        site,
        "semgrep",
        [finding(rule_id="sql", severity="low", cwe=89, file_path="app/views.py", line_start=4)],
    )
    user = UserFactory()
    finding_status_change(
        finding=Finding.objects.get(rule_id="B608"), user=user, status=FindingStatus.RESOLVED
    )
    [group] = groups(project)
    assert (group.open_count, group.severity, group.status) == (1, "low", "mixed")
    # Semgrep no longer reports its finding: auto-resolved, the group is closed.
    later, later_result = ingest(site, "semgrep", [])
    later_result.sighting_seq = later_result.sighting_seq or 1
    findings_auto_resolve(scan=later, results=[later_result])
    issue_groups_recount_resolved(scan=later)
    group.refresh_from_db()
    assert Finding.objects.get(rule_id="sql").status == FindingStatus.AUTO_RESOLVED
    assert (group.is_open, group.open_count, group.severity) == (False, 0, "high")


def test_rebuild_groups_existing_findings(site):
    project = site[0]
    ingest(
        site, "bandit", [finding(rule_id="B608", cwe=89, file_path="app/views.py", line_start=4)]
    )
    ingest(
        site, "semgrep", [finding(rule_id="sql", cwe=89, file_path="app/views.py", line_start=4)]
    )
    IssueGroup.objects.all().delete()
    assert issue_groups_rebuild(project_id=project.pk) == 1
    assert IssueGroupMember.objects.count() == Finding.objects.count() == 2


@pytest.mark.parametrize(
    ("rule_id", "path", "line", "expected"),
    [
        ("private-key", "keys/deploy.pem", 1, "critical"),
        ("aws-access-key", "config/aws.cfg", 2, "critical"),
        # A keyword rule, but the value on the line is an AWS key id.
        ("secret-keyword", "Dockerfile", 2, "critical"),
        # A keyword rule on a line that names an AWS secret access key.
        ("base64-high-entropy-string", "config/aws.env", 1, "critical"),
        ("slack-token", "config/slack.env", 1, "high"),
    ],
)
def test_private_keys_and_cloud_credentials_are_critical(site, rule_id, path, line, expected):
    ingest(
        site,
        "detect-secrets",
        [finding(rule_id=rule_id, severity="high", cwe=798, file_path=path, line_start=line)],
    )
    stored = Finding.objects.get(rule_id=rule_id)
    assert (stored.severity, stored.severity_rank) == (expected, 5 if expected == "critical" else 4)


def test_the_same_private_key_in_two_places_is_one_group(site, tmp_path):
    project, _, _, root = site
    (root / "backup.pem").write_text(SOURCE["keys/deploy.pem"])
    ingest(
        site,
        "detect-secrets",
        [
            finding(rule_id="private-key", cwe=798, file_path="keys/deploy.pem", line_start=1),
            finding(rule_id="private-key", cwe=798, file_path="backup.pem", line_start=1),
        ],
    )
    ingest(
        site,
        "semgrep",
        [
            finding(
                rule_id="secrets-private-key-block",
                cwe=321,
                file_path="backup.pem",
                line_start=1,
                line_end=4,
            )
        ],
    )
    [group] = groups(project)
    assert group.member_count == 3 and group.severity == "critical"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (89, 943, True),
        (78, 95, True),
        (798, 321, True),
        (1333, 400, True),
        (79, 95, False),
        (22, 89, False),
        (502, 502, True),
    ],
)
def test_cwe_families(a, b, same):
    assert (cwe_family(a) == cwe_family(b)) is same


def test_vague_cwes_count_as_none():
    assert cwe_family(20) is None and cwe_family(None) is None


def test_a_large_first_ingest_groups_in_a_task_after_it(
    site, monkeypatch, django_capture_on_commit_callbacks
):
    from apps.findings import grouping, tasks

    monkeypatch.setattr(grouping, "DEFER_AFTER_CREATED", 20)
    queued: list[dict] = []
    monkeypatch.setattr(tasks.issue_groups_group_ingested, "delay", lambda **kw: queued.append(kw))
    reported = [
        finding(rule_id=f"r{i}", cwe=89, file_path=f"src/m{i % 3}.py", line_start=i + 1)
        for i in range(25)
    ]
    reported.append(finding(rule_id="other", cwe=89, file_path="src/m0.py", line_start=1))
    with django_capture_on_commit_callbacks(execute=True):
        ingest(site, "bandit", reported)
    project = site[0]
    assert not IssueGroupMember.objects.filter(project=project).exists()
    [call] = queued
    tasks.issue_groups_group_ingested(**call)  # as the worker runs it, from JSON arguments
    assert IssueGroupMember.objects.filter(project=project).count() == 26
    assert group_of(project, "other") == group_of(project, "r0")
