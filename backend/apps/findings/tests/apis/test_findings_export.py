"""Findings export: CSV, JSON and SARIF downloads of the list, with its filters and visibility."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.common.testing.factories import (
    FindingFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.findings.exports import EXPORT_COLUMNS, LONG_TEXT_COLUMNS
from apps.findings.models import Finding, FindingStatus, Severity
from apps.tools.adapters.sarif import parse_sarif

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/findings/export/"
COLUMNS = [name for name, _ in EXPORT_COLUMNS]


def body(response) -> bytes:
    assert response.status_code == 200, response.content[:500]
    assert response.streaming
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[dict[str, str]]:
    text = body(response).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def export(client, **params):
    return client.get(EXPORT, params)


@pytest.fixture
def world(project_with_roles):
    """A project with SAST, dependency, DAST and secret findings; one finding elsewhere."""
    project = project_with_roles.project
    project.name = "Shop Front"
    project.save()
    now = timezone.now()
    semgrep = ToolDefinitionFactory(slug="semgrep", name="Semgrep")
    trivy = ToolDefinitionFactory(slug="trivy", name="Trivy")
    zap = ToolDefinitionFactory(slug="zap", name="ZAP")
    gitleaks = ToolDefinitionFactory(slug="gitleaks", name="Gitleaks")
    web = TargetAssetFactory(project=project, name="web")
    sqli = FindingFactory(
        project=project,
        title="SQL injection in orders",
        description="User input reaches a query",
        remediation="Use bound parameters.",
        references=["https://owasp.org/sqli", "not-a-link"],
        severity=Severity.CRITICAL,
        severity_rank=5,
        tool=semgrep,
        target=web,
        rule_id="python.django.sqli",
        cwe=89,
        file_path="shop/orders views.py",
        line_start=42,
        line_end=44,
        assignee=project_with_roles.member,
        tags=["owasp-a03", "db"],
        first_seen_at=now - timedelta(days=3),
        last_seen_at=now,
    )
    dependency = FindingFactory(
        project=project,
        title="Prototype pollution in lodash — ünïcode",
        severity=Severity.HIGH,
        severity_rank=4,
        tool=trivy,
        rule_id="CVE-2020-8203",
        cve="CVE-2020-8203",
        file_path="package-lock.json",
        line_start=None,
        package_name="lodash",
        package_version="4.17.15",
        fixed_version="4.17.19",
        status=FindingStatus.CONFIRMED,
        last_seen_at=now - timedelta(hours=1),
    )
    dast = FindingFactory(
        project=project,
        title="Missing anti-clickjacking header",
        severity=Severity.LOW,
        severity_rank=2,
        tool=zap,
        rule_id="10020",
        file_path="",
        line_start=None,
        url="https://shop.example.com/login?next=%2F",
        http_method="GET",
        status=FindingStatus.FALSE_POSITIVE,
        status_reason="Framed by our own portal only.",
        last_seen_at=now - timedelta(hours=2),
    )
    secret = FindingFactory(
        project=project,
        title="AWS access key",
        severity=Severity.MEDIUM,
        severity_rank=3,
        tool=gitleaks,
        rule_id="aws-access-token",
        file_path="settings.py",
        line_start=7,
        snippet='AWS_KEY = "AKIA********"',
        evidence={"secret_masked": "AKIA********", "commit": "abc123"},
        last_seen_at=now - timedelta(hours=3),
    )
    elsewhere = FindingFactory(title="Other project's secret", tool=semgrep)
    return {
        "roles": project_with_roles,
        "project": project,
        "sqli": sqli,
        "dependency": dependency,
        "dast": dast,
        "secret": secret,
        "elsewhere": elsewhere,
    }


# --- CSV --------------------------------------------------------------------------------------


def test_csv_has_the_documented_columns_and_download_headers(world, client_for):
    client = client_for(world["roles"].owner)

    response = export(client, format="csv", project=world["project"].pk)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    day = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="seculite-findings-shop-front-{day}.csv"'
    )
    assert response["Cache-Control"] == "private, no-store"
    text = body(response).decode("utf-8")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert "\r\n" in text  # RFC 4180 line ends
    rows = list(csv.DictReader(io.StringIO(text)))
    # The list's default order: severity, then last seen.
    assert [row["title"] for row in rows] == [
        "SQL injection in orders",
        "Prototype pollution in lodash — ünïcode",
        "AWS access key",
        "Missing anti-clickjacking header",
    ]
    sqli = rows[0]
    finding = world["sqli"]
    assert sqli["id"] == str(finding.pk)
    assert sqli["project"] == "Shop Front"
    assert sqli["project_id"] == str(world["project"].pk)
    assert (sqli["severity"], sqli["status"], sqli["tool"]) == ("critical", "new", "semgrep")
    assert (sqli["rule_id"], sqli["cwe"], sqli["target"]) == ("python.django.sqli", "89", "web")
    assert (sqli["file_path"], sqli["line_start"], sqli["line_end"]) == (
        "shop/orders views.py",
        "42",
        "44",
    )
    assert sqli["assignee"] == world["roles"].member.username
    assert sqli["tags"] == "owasp-a03; db"
    assert sqli["fingerprint"] == finding.fingerprint
    assert sqli["first_seen_at"] == finding.first_seen_at.isoformat()
    assert sqli["url"] == "" and sqli["due_date"] == ""
    dependency = rows[1]
    assert (dependency["package_name"], dependency["package_version"]) == ("lodash", "4.17.15")
    assert (dependency["fixed_version"], dependency["cve"]) == ("4.17.19", "CVE-2020-8203")
    assert dependency["line_start"] == ""
    assert rows[3]["url"] == "https://shop.example.com/login?next=%2F"


def test_csv_defuses_formula_injection(world, client_for):
    project = world["project"]
    titles = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]
    for title in titles:
        FindingFactory(project=project, title=title, severity=Severity.INFORMATIONAL)
    FindingFactory(
        project=project,
        title="Safe - title",
        severity=Severity.INFORMATIONAL,
        file_path="=cmd|' /C calc'!A0",
    )

    rows = csv_rows(export(client_for(world["roles"].owner), severity="informational"))

    assert sorted(row["title"] for row in rows if row["title"] != "Safe - title") == sorted(
        "'" + title for title in titles
    )
    safe = next(row for row in rows if row["title"] == "Safe - title")
    assert safe["file_path"] == "'=cmd|' /C calc'!A0"
    assert safe["line_start"] == "10"  # numbers are never prefixed


def test_export_defaults_to_csv(world, client_for):
    response = client_for(world["roles"].owner).get(EXPORT)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].endswith('.csv"')
    assert len(csv_rows(response)) == 4


# --- JSON -------------------------------------------------------------------------------------


def test_json_is_one_array_with_long_text_and_no_snippets(world, client_for):
    response = export(client_for(world["roles"].owner), format="json")

    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].endswith('.json"')
    raw = body(response)
    items = json.loads(raw)
    assert isinstance(items, list) and len(items) == 4
    keys = COLUMNS + [name for name, _ in LONG_TEXT_COLUMNS]
    assert all(list(item) == keys for item in items)
    sqli = next(item for item in items if item["id"] == world["sqli"].pk)
    assert sqli["description"] == "User input reaches a query"
    assert sqli["remediation"] == "Use bound parameters."
    assert sqli["references"] == ["https://owasp.org/sqli", "not-a-link"]
    assert sqli["tags"] == ["owasp-a03", "db"]
    assert (sqli["cwe"], sqli["line_start"], sqli["due_date"]) == (89, 42, None)
    dast = next(item for item in items if item["id"] == world["dast"].pk)
    assert dast["status_reason"] == "Framed by our own portal only."
    assert "ünïcode" in raw.decode("utf-8")  # UTF-8, not \u escapes
    # Like the list API: neither the snippet nor the evidence of a secret leaves the platform.
    assert "snippet" not in sqli and "evidence" not in sqli
    assert b"AKIA" not in raw and b"abc123" not in raw


def test_json_of_nothing_is_an_empty_array(world, client_for):
    response = export(client_for(world["roles"].outsider), format="json")
    assert json.loads(body(response)) == []


# --- Filters and visibility -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"severity": "critical,high"}, {"sqli", "dependency"}),
        ({"status": "false_positive"}, {"dast"}),
        ({"tool": "trivy"}, {"dependency"}),
        ({"search": "clickjacking"}, {"dast"}),
        ({"cwe": "89", "severity": "critical"}, {"sqli"}),
        ({"assignee": "none", "status": "new"}, {"secret"}),
    ],
)
def test_filters_are_the_lists(world, client_for, params, expected):
    client = client_for(world["roles"].owner)
    rows = csv_rows(export(client, format="csv", **params))
    listed = client.get("/api/v1/findings/", params).json()["results"]
    ids = {int(row["id"]) for row in rows}
    assert ids == {world[name].pk for name in expected}
    assert ids == {item["id"] for item in listed}


def test_ordering_is_the_lists(world, client_for):
    rows = csv_rows(export(client_for(world["roles"].owner), ordering="title"))
    assert [row["title"] for row in rows] == sorted(row["title"] for row in rows)


@pytest.mark.parametrize("role", ["owner", "member", "auditor"])
def test_everyone_with_a_role_exports_their_projects_only(world, client_for, role):
    rows = csv_rows(export(client_for(getattr(world["roles"], role))))
    ids = {int(row["id"]) for row in rows}
    assert world["elsewhere"].pk not in ids
    assert len(ids) == 4


def test_staff_export_every_project(world, client_for):
    ids = {int(row["id"]) for row in csv_rows(export(client_for(world["roles"].staff)))}
    assert world["elsewhere"].pk in ids and world["sqli"].pk in ids


def test_outsider_gets_an_empty_export_that_names_no_project(world, client_for):
    client = client_for(world["roles"].outsider)
    response = export(client, project=world["project"].pk)
    # Like the list: a project filter the caller cannot see matches nothing (no 404, no name).
    assert client.get("/api/v1/findings/", {"project": world["project"].pk}).json()["count"] == 0
    assert "shop-front" not in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith('attachment; filename="seculite-findings-2')
    assert csv_rows(response) == []


def test_another_projects_filter_is_empty_for_an_owner(world, client_for):
    response = export(client_for(world["roles"].owner), project=world["elsewhere"].project_id)
    assert csv_rows(response) == []


def test_anonymous_is_refused(world, api_client):
    response = api_client.get(EXPORT)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


# --- Errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", ["text/csv", "application/json", "*/*"])
def test_unknown_format_is_a_400_in_the_error_format(world, client_for, accept):
    response = client_for(world["roles"].owner).get(EXPORT, {"format": "xlsx"}, HTTP_ACCEPT=accept)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (400, "invalid")
    assert "xlsx" in error["fields"]["format"][0]


def test_invalid_filter_is_a_400_in_the_error_format(world, client_for):
    response = export(client_for(world["roles"].owner), format="csv", severity="bogus")
    assert response.status_code == 400
    assert "severity" in response.json()["error"]["fields"]


# --- SARIF ------------------------------------------------------------------------------------


def test_sarif_log_shape(world, client_for):
    response = export(client_for(world["roles"].owner), format="sarif")

    assert response["Content-Type"] == "application/sarif+json"
    assert response["Content-Disposition"].endswith('.sarif"')
    log = json.loads(body(response))
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    runs = {run["tool"]["driver"]["name"]: run for run in log["runs"]}
    assert sorted(runs) == ["Gitleaks", "Semgrep", "Trivy", "ZAP"]
    for run in log["runs"]:
        rules = run["tool"]["driver"]["rules"]
        for result in run["results"]:
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
            assert result["message"]["text"]
            assert result["partialFingerprints"]["seculite/v1"]
    [sqli] = runs["Semgrep"]["results"]
    assert sqli["level"] == "error"
    assert sqli["properties"]["security-severity"] == "9.5"
    assert sqli["properties"]["tags"] == ["external/cwe/cwe-89", "owasp-a03", "db"]
    physical = sqli["locations"][0]["physicalLocation"]
    assert physical == {
        "artifactLocation": {"uri": "shop/orders%20views.py"},
        "region": {"startLine": 42, "endLine": 44},
    }
    [rule] = runs["Semgrep"]["tool"]["driver"]["rules"]
    assert rule["help"] == {"text": "Use bound parameters."}
    assert rule["helpUri"] == "https://owasp.org/sqli"
    [dast] = runs["ZAP"]["results"]
    assert dast["level"] == "note"
    assert dast["webRequest"] == {"target": world["dast"].url, "method": "GET"}
    assert dast["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": world["dast"].status_reason}
    ]
    [dependency] = runs["Trivy"]["results"]
    assert dependency["locations"][0]["logicalLocations"] == [
        {"fullyQualifiedName": "lodash@4.17.15", "kind": "module"}
    ]
    assert b"AKIA" not in json.dumps(log).encode()


def test_sarif_round_trips_through_the_sarif_parser(world, client_for):
    project = world["project"]
    # A second rule in a run, tool-less findings (one without a rule), and each severity.
    for severity, rule_id in ((Severity.INFORMATIONAL, "info-rule"), (Severity.UNKNOWN, "")):
        FindingFactory(
            project=project, title=f"{severity} one", severity=severity, tool=None, rule_id=rule_id
        )
    FindingFactory(
        project=project,
        title="Debug mode on",
        severity=Severity.MEDIUM,
        tool=world["sqli"].tool,
        rule_id="python.django.debug",
        file_path="settings.py",
        line_start=3,
    )
    raw = body(export(client_for(world["roles"].owner), format="sarif"))

    parsed = list(parse_sarif(io.BytesIO(raw), None, "upload"))

    exported = Finding.objects.filter(project=project).exclude(
        status__in=[FindingStatus.FALSE_POSITIVE, FindingStatus.ACCEPTED_RISK]
    )
    by_fingerprint = {f.fingerprint_hint.removeprefix("seculite/v1="): f for f in parsed}
    assert set(by_fingerprint) == {f.fingerprint for f in exported}  # the false positive is
    # suppressed, which the parser (like code-scanning tools) skips.
    for finding in exported:
        again = by_fingerprint[finding.fingerprint]
        expected_severity = "medium" if finding.severity == "unknown" else finding.severity
        assert again.severity == expected_severity, finding.title
        assert again.title == finding.title  # each rule here has one finding
        assert again.rule_id == (finding.rule_id or "seculite")
        assert again.file_path == finding.file_path
        assert again.line_start == finding.line_start
        assert again.cwe == finding.cwe
    sqli = by_fingerprint[world["sqli"].fingerprint]
    assert (sqli.line_end, sqli.remediation) == (44, "Use bound parameters.")
    assert sqli.references == ("https://owasp.org/sqli",)
    assert sqli.evidence["sarif_tool"] == "Semgrep"


def test_empty_sarif_is_one_run_without_results(world, client_for):
    log = json.loads(body(export(client_for(world["roles"].outsider), format="sarif")))
    assert [run["results"] for run in log["runs"]] == [[]]
    assert list(parse_sarif(io.BytesIO(json.dumps(log).encode()), None, "upload")) == []


# --- Large exports ----------------------------------------------------------------------------


@pytest.mark.parametrize("export_format", ["csv", "json", "sarif"])
def test_a_large_export_streams_in_chunks_with_a_bounded_number_of_queries(
    project_with_roles, client_for, export_format
):
    project = project_with_roles.project
    tools = [ToolDefinitionFactory(slug=f"big-{n}") for n in range(3)]
    target = TargetAssetFactory(project=project)
    now = timezone.now()
    Finding.objects.bulk_create(
        Finding(
            project=project,
            fingerprint=f"{n:064x}",
            title=f"Finding number {n} " + "x" * 60,
            description="A long description. " * 10,
            severity=Severity.HIGH,
            severity_rank=4,
            tool=tools[n % 3],
            target=target,
            assignee=project_with_roles.member,
            rule_id=f"rule-{n % 50}",
            file_path=f"src/module_{n}.py",
            line_start=n + 1,
            last_seen_at=now,
        )
        for n in range(5000)
    )
    client = client_for(project_with_roles.owner)

    with CaptureQueriesContext(connection) as queries:
        response = export(client, format=export_format, project=project.pk)
        assert response.streaming
        chunks = list(response.streaming_content)

    assert len(chunks) > 5  # written as it is read, never as one block
    assert max(len(chunk) for chunk in chunks) < 256 * 1024
    # The project name for the file name, then one (server-side cursor) query for every row:
    # no query per finding or per related object.
    assert len(queries) <= 4, [q["sql"][:120] for q in queries]
    content = b"".join(chunks)
    if export_format == "csv":
        assert content.count(b"\r\n") == 5001
    elif export_format == "json":
        assert len(json.loads(content)) == 5000
    else:
        log = json.loads(content)
        assert [len(run["results"]) for run in log["runs"]] == [1667, 1667, 1666]
        assert all(len(run["tool"]["driver"]["rules"]) == 50 for run in log["runs"])


def test_exports_are_throttled_per_user(monkeypatch, client_for, world):
    from django.core.cache import cache
    from rest_framework.throttling import SimpleRateThrottle

    # DRF copied the configured rates at import time.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"findings_export": "2/hour"})
    cache.clear()
    client = client_for(world["roles"].member)
    codes = [export(client, format="json").status_code for _ in range(3)]
    cache.clear()
    assert codes == [200, 200, 429]


# --- Speed ------------------------------------------------------------------------------------


@pytest.mark.parametrize("export_format", ["csv", "json", "sarif"])
def test_exports_build_no_model_instance_per_row(world, client_for, monkeypatch, export_format):
    """Rows are read as tuples: building a Finding per row cost most of an export's time."""
    built = []
    original = Finding.from_db.__func__

    def counting_from_db(cls, *args, **kwargs):
        built.append(cls)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(Finding, "from_db", classmethod(counting_from_db))
    content = body(export(client_for(world["roles"].owner), format=export_format))
    assert world["sqli"].fingerprint.encode() in content
    assert built == []


def test_timestamps_are_written_as_isoformat_writes_them(world, client_for):
    """Whole seconds have no fraction; other times have six digits; all are UTC."""
    finding = world["sqli"]
    finding.first_seen_at = timezone.now().replace(microsecond=0)
    finding.last_seen_at = timezone.now().replace(microsecond=120)
    finding.resolved_at = timezone.now().replace(microsecond=500000)
    finding.save()
    client = client_for(world["roles"].owner)

    [row] = [r for r in csv_rows(export(client, format="csv")) if r["id"] == str(finding.pk)]
    items = json.loads(body(export(client, format="json")))
    [item] = [item for item in items if item["id"] == finding.pk]

    for field in ("first_seen_at", "last_seen_at", "resolved_at"):
        expected = getattr(finding, field).isoformat()
        assert row[field] == item[field] == expected, field
    assert "." not in row["first_seen_at"] and row["last_seen_at"].endswith(".000120+00:00")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's cursor planning")
@pytest.mark.django_db(transaction=True)
def test_an_export_closed_early_leaves_the_connection_as_it_found_it(client_for):
    """The stream plans its cursor for every row in a transaction of its own; a client that
    goes away mid-download rolls it back and leaves no setting behind."""
    from apps.common.testing.factories import ProjectFactory, ProjectMembershipFactory, UserFactory

    user = UserFactory()
    project = ProjectFactory()
    ProjectMembershipFactory(project=project, user=user, role="auditor")
    FindingFactory.create_batch(500, project=project, title="x" * 500)

    response = export(client_for(user), format="json", project=project.pk)
    first = next(iter(response.streaming_content))
    assert connection.in_atomic_block  # the download is under way, in its transaction
    response.close()

    assert first.startswith(b"[\n{")
    assert not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("SHOW cursor_tuple_fraction")
        assert cursor.fetchone()[0] == "0.1"
