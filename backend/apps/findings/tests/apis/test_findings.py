"""Findings API: visible lists with filters, detail, triage (status, assign, comment), history."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.common.testing.factories import (
    FindingFactory,
    ProjectFactory,
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
    UserFactory,
    occurrence_create,
)
from apps.findings.models import (
    Finding,
    FindingEvent,
    FindingEventType,
    FindingOccurrence,
    FindingStatus,
    Severity,
)
from apps.findings.sightings import sighting_take

pytestmark = pytest.mark.django_db

LIST = "/api/v1/findings/"


def detail(finding, suffix=""):
    return f"/api/v1/findings/{finding.id}/{suffix}"


def titles(response):
    assert response.status_code == 200, response.json()
    return sorted(item["title"] for item in response.json()["results"])


def fields_of(response):
    return response.json()["error"]["fields"]


@pytest.fixture
def world(project_with_roles):
    """Findings of several kinds in the caller's project, and one in another project."""
    project = project_with_roles.project
    now = timezone.now()
    semgrep = ToolDefinitionFactory(slug="semgrep", name="Semgrep")
    trivy = ToolDefinitionFactory(slug="trivy", name="Trivy")
    web = TargetAssetFactory(project=project, name="web")
    image = TargetAssetFactory(project=project, name="image", asset_type="container_image")
    sqli = FindingFactory(
        project=project,
        title="SQL injection",
        description="User input reaches a query",
        severity=Severity.CRITICAL,
        severity_rank=5,
        tool=semgrep,
        target=web,
        rule_id="python.sqli",
        cwe=89,
        file_path="shop/db.py",
        first_seen_at=now - timedelta(days=10),
        last_seen_at=now - timedelta(days=1),
        assignee=project_with_roles.member,
    )
    xss = FindingFactory(
        project=project,
        title="Reflected XSS",
        severity=Severity.HIGH,
        severity_rank=4,
        tool=semgrep,
        target=web,
        rule_id="python.xss",
        cwe=79,
        file_path="shop/views.py",
        first_seen_at=now - timedelta(days=3),
        last_seen_at=now - timedelta(hours=1),
    )
    openssl = FindingFactory(
        project=project,
        title="Vulnerable openssl",
        severity=Severity.MEDIUM,
        severity_rank=3,
        status=FindingStatus.CONFIRMED,
        tool=trivy,
        target=image,
        cve="CVE-2024-12345",
        package_name="openssl",
        package_version="3.0.1",
        file_path="",
        first_seen_at=now - timedelta(days=30),
        last_seen_at=now - timedelta(days=20),
        assignee=project_with_roles.owner,
    )
    noise = FindingFactory(
        project=project,
        title="Debug mode",
        severity=Severity.LOW,
        severity_rank=2,
        status=FindingStatus.FALSE_POSITIVE,
        tool=semgrep,
        target=web,
        first_seen_at=now - timedelta(days=5),
        last_seen_at=now - timedelta(days=5),
    )
    foreign = FindingFactory(title="Someone else's secret", severity=Severity.CRITICAL)
    return {
        "roles": project_with_roles,
        "project": project,
        "semgrep": semgrep,
        "trivy": trivy,
        "web": web,
        "sqli": sqli,
        "xss": xss,
        "openssl": openssl,
        "noise": noise,
        "foreign": foreign,
    }


ALL_OWN = ["Debug mode", "Reflected XSS", "SQL injection", "Vulnerable openssl"]


# --- list ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "member", "auditor"])
def test_list_shows_only_findings_of_visible_projects(client_for, world, who):
    assert titles(client_for(getattr(world["roles"], who)).get(LIST)) == ALL_OWN


def test_outsiders_see_nothing_and_staff_see_everything(client_for, world):
    assert titles(client_for(world["roles"].outsider).get(LIST)) == []
    assert titles(client_for(world["roles"].staff).get(LIST)) == sorted(
        [*ALL_OWN, "Someone else's secret"]
    )


def test_default_order_is_worst_first(client_for, world):
    body = client_for(world["roles"].auditor).get(LIST).json()
    assert [f["title"] for f in body["results"]] == [
        "SQL injection",
        "Reflected XSS",
        "Vulnerable openssl",
        "Debug mode",
    ]


def test_list_item_fields(client_for, world):
    body = client_for(world["roles"].auditor).get(LIST + "?search=SQL").json()
    item = body["results"][0]
    assert item["project"] == {"id": world["project"].id, "name": world["project"].name}
    assert item["tool"] == {"id": world["semgrep"].id, "slug": "semgrep", "name": "Semgrep"}
    assert item["target"] == {"id": world["web"].id, "name": "web", "asset_type": "url"}
    assert item["assignee"]["username"] == world["roles"].member.username
    assert (item["severity"], item["status"], item["cwe"]) == ("critical", "new", 89)
    assert "description" not in item
    assert "evidence" not in item


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("severity=critical", ["SQL injection"]),
        ("severity=critical&severity=medium", ["SQL injection", "Vulnerable openssl"]),
        ("severity=critical,high", ["Reflected XSS", "SQL injection"]),
        ("status=new", ["Reflected XSS", "SQL injection"]),
        ("status=confirmed,false_positive", ["Debug mode", "Vulnerable openssl"]),
        ("tool=trivy", ["Vulnerable openssl"]),
        ("tool=TRIVY_ID", ["Vulnerable openssl"]),
        ("target=WEB_ID", ["Debug mode", "Reflected XSS", "SQL injection"]),
        ("assignee=none", ["Debug mode", "Reflected XSS"]),
        ("assignee=MEMBER_ID", ["SQL injection"]),
        ("cwe=79", ["Reflected XSS"]),
        ("cve=cve-2024-12345", ["Vulnerable openssl"]),
        ("rule_id=python.sqli", ["SQL injection"]),
        ("project=PROJECT_ID", ALL_OWN),
        ("project=FOREIGN_PROJECT_ID", []),
        ("first_seen_after=DAYS_AGO_7", ["Debug mode", "Reflected XSS"]),
        ("first_seen_before=DAYS_AGO_7", ["SQL injection", "Vulnerable openssl"]),
        ("last_seen_after=DAYS_AGO_2", ["Reflected XSS", "SQL injection"]),
        ("last_seen_before=DAYS_AGO_2", ["Debug mode", "Vulnerable openssl"]),
        # The description is not searched (FindingFilter says why); the title is.
        ("search=query", []),
        ("search=injection", ["SQL injection"]),
        ("search=shop/views.py", ["Reflected XSS"]),
        ("search=python.xss", ["Reflected XSS"]),
        ("search=CVE-2024", ["Vulnerable openssl"]),
        ("search=openssl", ["Vulnerable openssl"]),
        ("severity=critical,high&status=new&tool=semgrep", ["Reflected XSS", "SQL injection"]),
    ],
)
def test_filters_and_search(client_for, world, query, expected):
    now = timezone.now()
    replacements = {
        "TRIVY_ID": world["trivy"].id,
        "WEB_ID": world["web"].id,
        "MEMBER_ID": world["roles"].member.id,
        "FOREIGN_PROJECT_ID": world["foreign"].project_id,
        "PROJECT_ID": world["project"].id,
        "DAYS_AGO_7": (now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "DAYS_AGO_2": (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    for placeholder, value in replacements.items():
        query = query.replace(placeholder, str(value))
    assert titles(client_for(world["roles"].member).get(f"{LIST}?{query}")) == expected


@pytest.mark.parametrize(
    ("who", "expected"), [("member", ["SQL injection"]), ("owner", ["Vulnerable openssl"])]
)
def test_assignee_me_is_the_caller(client_for, world, who, expected):
    response = client_for(getattr(world["roles"], who)).get(f"{LIST}?assignee=me")
    assert titles(response) == expected


def test_scan_filter_finds_findings_seen_in_that_scan(client_for, world):
    scan = ScanFactory(project=world["project"])
    other_scan = ScanFactory(project=world["project"])
    result = ScanToolResultFactory(scan=scan, tool=world["semgrep"], target=world["web"])
    other_result = ScanToolResultFactory(
        scan=other_scan, tool=world["semgrep"], target=world["web"]
    )
    occurrence_create(finding=world["xss"], tool_result=result)
    occurrence_create(finding=world["noise"], tool_result=result)
    occurrence_create(finding=world["xss"], tool_result=other_result)
    client = client_for(world["roles"].auditor)
    assert titles(client.get(f"{LIST}?scan={scan.id}")) == ["Debug mode", "Reflected XSS"]
    assert titles(client.get(f"{LIST}?scan={other_scan.id}")) == ["Reflected XSS"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("assignee=someone", "assignee"), ("severity=apocalyptic", "severity"), ("cwe=abc", "cwe")],
)
def test_invalid_filter_values_are_a_400(client_for, world, query, field):
    response = client_for(world["roles"].member).get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert field in fields_of(response)


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("title", ["Debug mode", "Reflected XSS", "SQL injection", "Vulnerable openssl"]),
        ("severity_rank", ["Debug mode", "Vulnerable openssl", "Reflected XSS", "SQL injection"]),
        ("-last_seen_at", ["Reflected XSS", "SQL injection", "Debug mode", "Vulnerable openssl"]),
        ("first_seen_at", ["Vulnerable openssl", "SQL injection", "Debug mode", "Reflected XSS"]),
    ],
)
def test_ordering(client_for, world, ordering, expected):
    body = client_for(world["roles"].member).get(f"{LIST}?ordering={ordering}").json()
    assert [f["title"] for f in body["results"]] == expected


def test_ties_are_paged_without_repeats_or_gaps(client_for, project_with_roles):
    for _ in range(7):
        FindingFactory(project=project_with_roles.project, severity_rank=4)
    client = client_for(project_with_roles.auditor)
    seen = []
    for page in (1, 2, 3):
        body = client.get(f"{LIST}?ordering=severity_rank&page_size=3&page={page}").json()
        seen += [f["id"] for f in body["results"]]
    assert sorted(seen) == sorted(Finding.objects.values_list("id", flat=True))


def test_list_of_30_findings_takes_a_fixed_number_of_queries(
    client_for, project_with_roles, django_assert_max_num_queries
):
    project = project_with_roles.project
    tools = [ToolDefinitionFactory() for _ in range(3)]
    targets = [TargetAssetFactory(project=project) for _ in range(3)]
    assignees = [project_with_roles.owner, project_with_roles.member, None]
    for index in range(30):
        FindingFactory(
            project=project,
            tool=tools[index % 3],
            target=targets[index % 3],
            assignee=assignees[index % 3],
        )
    client = client_for(project_with_roles.auditor)
    with django_assert_max_num_queries(4):
        response = client.get(f"{LIST}?page_size=50&severity=high,critical&search=Finding")
    assert response.status_code == 200
    assert response.json()["count"] == 30
    assert len(response.json()["results"]) == 30


# Columns the list never shows: reading them would only cost decoding (JSON, long text).
UNLISTED_COLUMNS = [
    '"findings_finding"."description"',
    '"findings_finding"."snippet"',
    '"findings_finding"."evidence"',
    '"findings_finding"."remediation"',
    '"findings_finding"."references"',
    '"tools_tooldefinition"."config_schema"',
    '"tools_tooldefinition"."default_config"',
    '"targets_targetasset"."metadata"',
    '"targets_targetasset"."credential_encrypted"',
    '"auth_user"."password"',
    '"projects_project"."description"',
]


def test_the_list_reads_only_the_columns_it_shows(client_for, world):
    finding, member = world["sqli"], world["roles"].member
    member.first_name, member.last_name = "Ada", "Lovelace"
    member.save()
    with CaptureQueriesContext(connection) as captured:
        response = client_for(world["roles"].auditor).get(LIST)
    assert response.status_code == 200
    listed = next(item for item in response.json()["results"] if item["id"] == finding.pk)
    assert listed["tool"] == {"id": finding.tool.pk, "slug": "semgrep", "name": "Semgrep"}
    assert listed["target"] == {"id": world["web"].pk, "name": "web", "asset_type": "url"}
    assert listed["assignee"] == {
        "id": member.pk,
        "username": member.username,
        "email": member.email,
        "full_name": "Ada Lovelace",
    }
    assert listed["project"] == {"id": world["project"].pk, "name": world["project"].name}
    sqls = [query["sql"] for query in captured.captured_queries]
    pages = [sql for sql in sqls if 'JOIN "tools_tooldefinition"' in sql]
    assert len(pages) == 1
    assert [column for column in UNLISTED_COLUMNS if column in pages[0]] == []


# --- detail ----------------------------------------------------------------------------------


def test_detail_has_every_field(client_for, world):
    first, last = ScanFactory(project=world["project"]), ScanFactory(project=world["project"])
    finding = world["openssl"]
    finding.evidence = {"layer": "sha256:abc"}
    finding.remediation = "Upgrade to 3.0.7"
    finding.references = ["https://nvd.nist.gov/vuln/detail/CVE-2024-12345"]
    finding.tags = ["image", "ssl"]
    finding.fixed_version = "3.0.7"
    finding.first_seen_scan = first
    finding.last_seen_scan = last
    finding.due_date = date(2030, 1, 31)
    finding.save()
    response = client_for(world["roles"].auditor).get(detail(finding))
    assert response.status_code == 200
    body = response.json()
    assert body["evidence"] == {"layer": "sha256:abc"}
    assert body["remediation"] == "Upgrade to 3.0.7"
    assert body["references"] == ["https://nvd.nist.gov/vuln/detail/CVE-2024-12345"]
    assert body["tags"] == ["image", "ssl"]
    assert (body["package_name"], body["package_version"], body["fixed_version"]) == (
        "openssl",
        "3.0.1",
        "3.0.7",
    )
    assert body["first_seen_scan"]["id"] == first.id
    assert body["last_seen_scan"]["id"] == last.id
    assert body["resolved_in_scan"] is None
    assert body["assignee"]["id"] == world["roles"].owner.id
    assert body["due_date"] == "2030-01-31"
    for field in (
        "description",
        "snippet",
        "file_path",
        "line_start",
        "line_end",
        "url",
        "http_method",
        "parameter",
        "image",
        "image_layer",
        "status_reason",
        "fingerprint",
    ):
        assert field in body


@pytest.mark.parametrize("suffix", ["", "events/", "occurrences/"])
def test_a_finding_of_another_project_is_not_found(client_for, world, suffix):
    response = client_for(world["roles"].owner).get(detail(world["foreign"], suffix))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_unknown_finding_is_not_found(client_for, world):
    assert client_for(world["roles"].staff).get("/api/v1/findings/999999/").status_code == 404


# --- status ----------------------------------------------------------------------------------


def test_status_change_writes_an_event(client_for, world):
    finding, member = world["xss"], world["roles"].member
    response = client_for(member).post(
        detail(finding, "status/"), {"status": "confirmed", "reason": "Reproduced in staging"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "confirmed"
    assert response.json()["status_reason"] == "Reproduced in staging"
    finding.refresh_from_db()
    assert finding.status == FindingStatus.CONFIRMED
    event = FindingEvent.objects.get(finding=finding)
    assert (event.event_type, event.actor, event.from_value, event.to_value, event.comment) == (
        FindingEventType.STATUS_CHANGED,
        member,
        "new",
        "confirmed",
        "Reproduced in staging",
    )


@pytest.mark.parametrize("status", ["false_positive", "accepted_risk"])
def test_a_reason_is_required_for_false_positive_and_accepted_risk(client_for, world, status):
    client = client_for(world["roles"].member)
    for payload in ({"status": status}, {"status": status, "reason": "   "}):
        response = client.post(detail(world["xss"], "status/"), payload)
        assert response.status_code == 400
        assert list(fields_of(response)) == ["reason"]
    assert not FindingEvent.objects.exists()
    ok = client.post(detail(world["xss"], "status/"), {"status": status, "reason": "Test code"})
    assert ok.status_code == 200
    assert Finding.objects.get(pk=world["xss"].pk).status_reason == "Test code"


@pytest.mark.parametrize("status", ["auto_resolved", "bogus"])
def test_system_and_unknown_statuses_cannot_be_set(client_for, world, status):
    response = client_for(world["roles"].owner).post(
        detail(world["xss"], "status/"), {"status": status}
    )
    assert response.status_code == 400
    assert list(fields_of(response)) == ["status"]
    assert Finding.objects.get(pk=world["xss"].pk).status == FindingStatus.NEW
    assert not FindingEvent.objects.exists()


def test_resolving_sets_resolved_at_and_reopening_clears_it(client_for, world):
    client = client_for(world["roles"].member)
    before = timezone.now()
    resolved = client.post(detail(world["xss"], "status/"), {"status": "resolved"})
    assert resolved.status_code == 200
    finding = Finding.objects.get(pk=world["xss"].pk)
    assert finding.resolved_at is not None and finding.resolved_at >= before
    assert resolved.json()["resolved_at"] is not None
    reopened = client.post(detail(world["xss"], "status/"), {"status": "reopened"})
    assert reopened.status_code == 200
    assert Finding.objects.get(pk=world["xss"].pk).resolved_at is None
    assert list(
        FindingEvent.objects.filter(finding=world["xss"]).values_list("from_value", "to_value")
    ) == [("new", "resolved"), ("resolved", "reopened")]


def test_setting_the_same_status_is_refused_as_unchanged(client_for, world):
    response = client_for(world["roles"].member).post(
        detail(world["openssl"], "status/"), {"status": "confirmed"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unchanged"
    assert not FindingEvent.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("member", 200), ("auditor", 403), ("outsider", 404), ("staff", 200)],
)
def test_status_change_role_matrix(client_for, world, who, expected):
    response = client_for(getattr(world["roles"], who)).post(
        detail(world["xss"], "status/"), {"status": "confirmed"}
    )
    assert response.status_code == expected
    changed = Finding.objects.get(pk=world["xss"].pk).status == FindingStatus.CONFIRMED
    assert changed is (expected == 200)
    assert FindingEvent.objects.exists() is (expected == 200)
    if expected != 200:
        assert response.json()["error"]["status"] == expected


# --- assign ----------------------------------------------------------------------------------


def test_assign_to_a_member_writes_an_event_with_usernames(client_for, world):
    owner, member = world["roles"].owner, world["roles"].member
    response = client_for(member).post(
        detail(world["sqli"], "assign/"), {"assignee": owner.id, "due_date": "2030-06-30"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["assignee"]["id"] == owner.id
    assert response.json()["due_date"] == "2030-06-30"
    finding = Finding.objects.get(pk=world["sqli"].pk)
    assert (finding.assignee, finding.due_date) == (owner, date(2030, 6, 30))
    event = FindingEvent.objects.get(finding=finding)
    assert (event.event_type, event.actor, event.from_value, event.to_value) == (
        FindingEventType.ASSIGNED,
        member,
        member.username,
        owner.username,
    )
    assert "2030-06-30" in event.comment


def test_auditors_can_be_assigned_and_unassigning_uses_null(client_for, world):
    client = client_for(world["roles"].owner)
    auditor = world["roles"].auditor
    assigned = client.post(detail(world["xss"], "assign/"), {"assignee": auditor.id})
    assert assigned.status_code == 200
    unassigned = client.post(detail(world["xss"], "assign/"), {"assignee": None})
    assert unassigned.status_code == 200
    assert unassigned.json()["assignee"] is None
    assert Finding.objects.get(pk=world["xss"].pk).assignee is None
    assert list(
        FindingEvent.objects.filter(finding=world["xss"]).values_list("from_value", "to_value")
    ) == [("", auditor.username), (auditor.username, "")]


def test_due_date_is_kept_when_left_out_and_cleared_with_null(client_for, world):
    finding = world["sqli"]
    finding.due_date = date(2030, 1, 1)
    finding.save()
    client = client_for(world["roles"].owner)
    kept = client.post(detail(finding, "assign/"), {"assignee": world["roles"].owner.id})
    assert kept.json()["due_date"] == "2030-01-01"
    cleared = client.post(
        detail(finding, "assign/"), {"assignee": world["roles"].owner.id, "due_date": None}
    )
    assert cleared.status_code == 200
    assert Finding.objects.get(pk=finding.pk).due_date is None


@pytest.mark.parametrize("assignee", ["outsider", "inactive", "unknown"])
def test_assignee_must_have_a_role_in_the_project(client_for, world, assignee):
    if assignee == "outsider":
        user_id = world["roles"].outsider.id
    elif assignee == "inactive":
        user = world["roles"].member
        user.is_active = False
        user.save()
        user_id = user.id
    else:
        user_id = 999999
    response = client_for(world["roles"].owner).post(
        detail(world["xss"], "assign/"), {"assignee": user_id}
    )
    assert response.status_code == 400
    assert fields_of(response) == {"assignee": ["This user has no role in the finding's project."]}
    assert Finding.objects.get(pk=world["xss"].pk).assignee is None
    assert not FindingEvent.objects.exists()


def test_a_member_of_another_project_cannot_be_assigned(client_for, world):
    stranger = ProjectFactory().owner_user
    response = client_for(world["roles"].owner).post(
        detail(world["xss"], "assign/"), {"assignee": stranger.id}
    )
    assert response.status_code == 400
    assert list(fields_of(response)) == ["assignee"]


def test_assigning_the_same_person_again_is_unchanged(client_for, world):
    response = client_for(world["roles"].owner).post(
        detail(world["sqli"], "assign/"), {"assignee": world["roles"].member.id}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unchanged"


@pytest.mark.parametrize(
    ("who", "expected"), [("auditor", 403), ("outsider", 404), ("member", 200), ("staff", 200)]
)
def test_assign_role_matrix(client_for, world, who, expected):
    response = client_for(getattr(world["roles"], who)).post(
        detail(world["xss"], "assign/"), {"assignee": world["roles"].member.id}
    )
    assert response.status_code == expected
    assert (Finding.objects.get(pk=world["xss"].pk).assignee_id is not None) is (expected == 200)


# --- comments and history --------------------------------------------------------------------


def test_members_comment_and_the_comment_joins_the_history(client_for, world):
    member = world["roles"].member
    response = client_for(member).post(
        detail(world["xss"], "comments/"), {"comment": "  Fix is in PR #42  "}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["event_type"] == "commented"
    assert body["comment"] == "Fix is in PR #42"
    assert body["actor"]["id"] == member.id
    event = FindingEvent.objects.get(finding=world["xss"])
    assert (event.event_type, event.actor, event.comment) == (
        FindingEventType.COMMENTED,
        member,
        "Fix is in PR #42",
    )


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("outsider", 404), ("owner", 201)])
def test_auditors_cannot_comment(client_for, world, who, expected):
    response = client_for(getattr(world["roles"], who)).post(
        detail(world["xss"], "comments/"), {"comment": "hello"}
    )
    assert response.status_code == expected
    assert FindingEvent.objects.exists() is (expected == 201)


def test_an_empty_comment_is_refused(client_for, world):
    response = client_for(world["roles"].member).post(
        detail(world["xss"], "comments/"), {"comment": "   "}
    )
    assert response.status_code == 400
    assert list(fields_of(response)) == ["comment"]


def test_events_list_the_history_oldest_first_and_paginated(client_for, world):
    finding, member = world["xss"], world["roles"].member
    client = client_for(member)
    client.post(detail(finding, "status/"), {"status": "confirmed"})
    client.post(detail(finding, "assign/"), {"assignee": member.id})
    client.post(detail(finding, "comments/"), {"comment": "On it"})
    response = client_for(world["roles"].auditor).get(detail(finding, "events/"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [
        (e["event_type"], e["from_value"], e["to_value"], e["comment"]) for e in body["results"]
    ] == [
        ("status_changed", "new", "confirmed", ""),
        ("assigned", "", member.username, ""),
        ("commented", "", "", "On it"),
    ]
    assert all(e["actor"]["id"] == member.id for e in body["results"])
    page = client_for(world["roles"].auditor).get(detail(finding, "events/?page_size=2&page=2"))
    assert [e["event_type"] for e in page.json()["results"]] == ["commented"]
    filtered = client_for(world["roles"].auditor).get(
        detail(finding, "events/?event_type=commented,assigned&ordering=-created_at")
    )
    assert [e["event_type"] for e in filtered.json()["results"]] == ["commented", "assigned"]
    searched = client_for(world["roles"].auditor).get(detail(finding, "events/?search=on it"))
    assert [e["event_type"] for e in searched.json()["results"]] == ["commented"]


def test_occurrences_list_each_sighting_range_newest_first(client_for, world):
    finding = world["xss"]
    scans = [ScanFactory(project=world["project"]) for _ in range(3)]
    results = [
        ScanToolResultFactory(scan=scan, tool=world["semgrep"], target=world["web"])
        for scan in scans
    ]
    occurrence_create(
        finding=finding, tool_result=results[0], file_path="shop/views.py", line_start=10
    )
    moved = occurrence_create(
        finding=finding, tool_result=results[1], file_path="shop/views.py", line_start=12
    )
    # The third scan saw it where the second did: the same range, extended.
    sighting_take(tool_result=results[2], project_id=finding.project_id)
    FindingOccurrence.objects.filter(pk=moved.pk).update(
        last_seq=results[2].sighting_seq, last_tool_result=results[2], last_scan=scans[2]
    )
    response = client_for(world["roles"].auditor).get(detail(finding, "occurrences/"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    newest = body["results"][0]
    assert newest["scan"]["id"] == scans[1].id
    assert newest["last_scan"]["id"] == scans[2].id
    assert (newest["tool_result"], newest["last_tool_result"]) == (results[1].id, results[2].id)
    assert newest["sightings"] == 2
    assert newest["last_seen_at"] is not None
    assert newest["tool"] == {"id": world["semgrep"].id, "slug": "semgrep", "name": "Semgrep"}
    assert newest["target"]["id"] == world["web"].id
    assert (newest["file_path"], newest["line_start"]) == ("shop/views.py", 12)
    assert body["results"][1]["sightings"] == 1

    def lines_in(scan):
        found = client_for(world["roles"].auditor).get(
            detail(finding, f"occurrences/?scan={scan.id}")
        )
        return [o["line_start"] for o in found.json()["results"]]

    assert (lines_in(scans[0]), lines_in(scans[1]), lines_in(scans[2])) == ([10], [12], [12])


def test_events_of_a_finding_without_a_role_are_hidden_even_from_other_members(client_for, world):
    someone = UserFactory()
    assert client_for(someone).get(detail(world["xss"], "events/")).status_code == 404
