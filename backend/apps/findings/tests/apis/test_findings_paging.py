"""Findings list paging: cursors walk every row once in each ordering (ties and NULLs too),
backwards as well; a tampered cursor is a 400; the count is bounded; page numbers still
work; and the number of queries does not grow with the page."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.services import api_key_create
from apps.accounts.tests.utils import token_client
from apps.common import counting
from apps.common.roles import ProjectRole
from apps.common.testing.factories import FindingFactory, ProjectFactory, ProjectMembershipFactory
from apps.findings.models import Finding, FindingStatus

pytestmark = pytest.mark.django_db

LIST = "/api/v1/findings/"
ORDERINGS = [
    None,
    "severity_rank",
    "-severity_rank",
    "first_seen_at",
    "-first_seen_at",
    "last_seen_at",
    "-last_seen_at",
    "status",
    "-status",
    "title",
    "-title",
    "id",
    "-id",
    "status,-title",
    "-first_seen_at,title",
]
STATUSES = [FindingStatus.NEW, FindingStatus.CONFIRMED, FindingStatus.RESOLVED]


@pytest.fixture
def findings(project_with_roles):
    """23 findings with many ties and some NULL dates."""
    now = timezone.now().replace(microsecond=0)
    project = project_with_roles.project
    for index in range(23):
        FindingFactory(
            project=project,
            title=f"Finding {index % 4}",
            severity_rank=index % 3,
            status=STATUSES[index % 3],
            first_seen_at=None if index % 5 == 0 else now - timedelta(days=index % 4),
            last_seen_at=None if index % 7 == 0 else now - timedelta(hours=index % 2),
        )
    FindingFactory(title="Another project's")
    return project_with_roles


def expected_ids(ordering: str | None) -> list[int]:
    """The order the API promises: NULL sorts as the largest value; ties by id, in the
    first field's direction."""
    tokens = (ordering or "-severity_rank").split(",")
    rows = list(Finding.objects.filter(title__startswith="Finding "))
    rows.sort(key=lambda f: f.id, reverse=tokens[0].startswith("-"))
    for token in reversed(tokens):
        name = token.lstrip("-")

        def key(finding, name=name):
            value = getattr(finding, name)
            return (value is None, value if value is not None else 0)

        rows.sort(key=key, reverse=token.startswith("-"))
    return [f.id for f in rows]


def walk(client, url: str, link: str) -> list[list[int]]:
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json()
        body = response.json()
        pages.append([f["id"] for f in body["results"]])
        url = body[link]
    return pages


def cursor_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["cursor"][0]


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_cursors_walk_every_row_once_forwards_and_back(client_for, findings, ordering):
    client = client_for(findings.auditor)
    query = f"?page_size=4&ordering={ordering}" if ordering else "?page_size=4"
    forwards = walk(client, LIST + query, "next")
    assert [i for page in forwards for i in page] == expected_ids(ordering)
    assert len(forwards) == 6

    last = client.get(LIST + query).json()
    while last["next"]:
        last = client.get(last["next"]).json()
    assert last["previous"] is not None
    backwards = walk(client, last["previous"], "previous")
    assert backwards == forwards[-2::-1]


def test_links_keep_the_filters_and_the_first_page_has_no_previous(client_for, findings):
    body = client_for(findings.auditor).get(f"{LIST}?status=new&page_size=2").json()
    assert body["previous"] is None
    query = parse_qs(urlsplit(body["next"]).query)
    assert query["status"] == ["new"]
    assert query["page_size"] == ["2"]
    assert body["next"].startswith("http://testserver/api/v1/findings/?")


def test_default_ordering_is_worst_first_then_newest(client_for, findings):
    ids = [
        f["id"] for f in client_for(findings.auditor).get(f"{LIST}?page_size=50").json()["results"]
    ]
    ranks = {f.id: f.severity_rank for f in Finding.objects.all()}
    assert ids == sorted(ids, key=lambda i: (-ranks[i], -i))


def encode(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def good_payload(client) -> dict:
    url = client.get(f"{LIST}?page_size=2").json()["next"]
    raw = cursor_of(url)
    return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: "not a cursor!",
        lambda p: "",
        lambda p: base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        lambda p: encode([1, 2]),
        lambda p: encode({**p, "o": ["-title", "-id"]}),
        lambda p: encode({**p, "v": [p["v"][0], "7"]}),
        lambda p: encode({**p, "v": [p["v"][0], 2**70]}),
        lambda p: encode({**p, "v": [True, p["v"][1]]}),
        lambda p: encode({**p, "v": [2**70, p["v"][1]]}),
        lambda p: encode({**p, "v": [None, p["v"][1]]}),
        lambda p: encode({**p, "v": p["v"][:1]}),
        lambda p: encode({**p, "r": "yes"}),
        lambda p: encode({**p, "extra": 1}),
        lambda p: "A" * 5000,
    ],
)
def test_a_tampered_cursor_is_a_400(client_for, findings, tamper):
    client = client_for(findings.auditor)
    cursor = tamper(good_payload(client))
    response = client.get(LIST, {"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"cursor": ["Invalid cursor."]}


@pytest.mark.parametrize(
    ("ordering", "value"),
    [
        ("title", "x\x00y"),
        ("title", "x" * 501),
        ("first_seen_at", "2026-01-01T00:00:00"),
        ("first_seen_at", "yesterday"),
        ("status", 3),
    ],
)
def test_cursor_values_must_fit_their_column(client_for, findings, ordering, value):
    cursor = encode({"o": [ordering, "id"], "v": [value, 1], "r": False})
    response = client_for(findings.auditor).get(LIST, {"cursor": cursor, "ordering": ordering})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"cursor": ["Invalid cursor."]}


def test_a_cursor_of_another_ordering_is_a_400(client_for, findings):
    client = client_for(findings.auditor)
    url = client.get(f"{LIST}?page_size=2&ordering=title").json()["next"]
    response = client.get(LIST, {"cursor": cursor_of(url), "ordering": "-title"})
    assert response.status_code == 400


def test_count_is_exact_up_to_the_limit(client_for, findings, monkeypatch):
    """A search (which the rollups do not count by) is counted up to the limit and estimated
    beyond on PostgreSQL; the plain list is still exact there, from the rollups."""
    client = client_for(findings.auditor)
    searched = f"{LIST}?page_size=2&search=Finding"
    body = client.get(searched).json()
    assert (body["count"], body["count_exact"]) == (23, True)
    monkeypatch.setattr(counting, "EXACT_COUNT_LIMIT", 23)
    body = client.get(searched).json()
    assert (body["count"], body["count_exact"]) == (23, True)
    monkeypatch.setattr(counting, "EXACT_COUNT_LIMIT", 10)
    body = client.get(f"{searched}&status=new").json()
    assert (body["count"], body["count_exact"]) == (8, True)
    body = client.get(searched).json()
    if connection.vendor == "postgresql":
        assert body["count_exact"] is False
        assert body["count"] >= 11
    else:
        assert (body["count"], body["count_exact"]) == (23, True)
    body = client.get(f"{LIST}?page_size=2").json()
    assert (body["count"], body["count_exact"]) == (23, True)


def test_page_numbers_still_work(client_for, findings):
    client = client_for(findings.auditor)
    pages = walk(client, f"{LIST}?page_size=5&page=1", "next")
    assert [i for page in pages for i in page] == expected_ids(None)
    body = client.get(f"{LIST}?page_size=5&page=3").json()
    assert parse_qs(urlsplit(body["next"]).query)["page"] == ["4"]
    assert parse_qs(urlsplit(body["previous"]).query)["page"] == ["2"]
    assert (body["count"], body["count_exact"]) == (23, True)
    for page in ("6", "0", "x", str(10**30)):
        assert client.get(f"{LIST}?page_size=5&page={page}").status_code == 404


def test_a_scoped_key_pages_only_its_project(findings):
    other = ProjectFactory()
    ProjectMembershipFactory(project=other, user=findings.member, role=ProjectRole.MEMBER)
    FindingFactory.create_batch(3, project=other)
    _, key = api_key_create(user=findings.member, name="ci", project_id=other.pk, scopes=["read"])
    client = token_client(key)
    pages = walk(client, f"{LIST}?page_size=2", "next")
    ids = [i for page in pages for i in page]
    assert sorted(ids) == sorted(Finding.objects.filter(project=other).values_list("id", flat=True))
    assert client.get(f"{LIST}?page_size=2").json()["count"] == 3
    staff_key = api_key_create(user=findings.staff, name="ci", project_id=other.pk, scopes=["read"])
    assert token_client(staff_key[1]).get(LIST).json()["count"] == 3


@pytest.mark.parametrize("search", ["", "&search=Finding"])
@pytest.mark.parametrize("who", ["auditor", "staff"])
def test_queries_do_not_grow_with_rows_or_page_size(client_for, project_with_roles, who, search):
    """Visible projects, the page, and the count: three queries, one less for staff. The
    count is one query (on PostgreSQL a sum of the rollups), except that on PostgreSQL a
    search is counted by the planner's estimate, then the bounded count: one more."""
    client = client_for(getattr(project_with_roles, who))
    counts = []
    for size, batch in ((2, 3), (50, 60)):
        FindingFactory.create_batch(batch, project=project_with_roles.project)
        for url in (
            f"{LIST}?page_size={size}{search}",
            client.get(f"{LIST}?page_size={size}{search}").json()["next"],
        ):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
    expected = 3 if who == "auditor" else 2
    if connection.vendor == "postgresql" and search:
        expected += 1
    assert counts == [expected] * 4
