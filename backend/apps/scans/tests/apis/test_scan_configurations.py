"""Scan configurations API: validation, schedule, webhook token, clone and the role matrix."""

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from apps.common.testing.factories import (
    ProjectFactory,
    ScanConfigurationFactory,
    ScanConfigurationToolFactory,
    ScanFactory,
    TargetAssetFactory,
    TargetGroupFactory,
    ToolDefinitionFactory,
)
from apps.scans.models import Scan, ScanConfiguration, ScanConfigurationTool

pytestmark = pytest.mark.django_db


def url(project, pk=None, suffix=""):
    base = f"/api/v1/projects/{project.id}/scan-configurations/"
    return f"{base}{pk}/{suffix}" if pk is not None else base


def fields_of(response):
    return response.json()["error"]["fields"]


@pytest.fixture
def setup(project_with_roles):
    project = project_with_roles.project
    return {
        "roles": project_with_roles,
        "project": project,
        "semgrep": ToolDefinitionFactory(slug="semgrep", name="Semgrep"),
        "bandit": ToolDefinitionFactory(slug="bandit", name="Bandit"),
        "target": TargetAssetFactory(project=project, name="web"),
        "group": TargetGroupFactory(project=project, name="all"),
    }


# --- create ----------------------------------------------------------------------------------


def test_create_with_targets_groups_and_tools_with_overrides(client_for, setup):
    project, semgrep, bandit = setup["project"], setup["semgrep"], setup["bandit"]
    response = client_for(setup["roles"].member).post(
        url(project),
        {
            "name": "Nightly",
            "description": "SAST every night",
            "targets": [setup["target"].id],
            "target_groups": [setup["group"].id],
            "tools": [
                {"tool": "semgrep", "overrides": {"severity_threshold": "high"}},
                {"tool": bandit.id},
            ],
            "notify_emails": ["sec@example.com"],
            "notify_min_severity": "critical",
            "tool_timeout_seconds": 600,
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Nightly"
    assert body["project"] == project.id
    assert body["targets"] == [{"id": setup["target"].id, "name": "web", "asset_type": "url"}]
    assert body["target_groups"] == [{"id": setup["group"].id, "name": "all"}]
    assert body["tools"] == [
        {"tool": {"id": bandit.id, "slug": "bandit", "name": "Bandit"}, "overrides": {}},
        {
            "tool": {"id": semgrep.id, "slug": "semgrep", "name": "Semgrep"},
            "overrides": {"severity_threshold": "high"},
        },
    ]
    assert body["schedule_type"] == "manual"
    assert body["next_run_at"] is None
    assert body["webhook_enabled"] is False
    assert body["webhook_token"] is None
    assert body["created_by"]["id"] == setup["roles"].member.id
    configuration = ScanConfiguration.objects.get(pk=body["id"])
    assert configuration.notify_emails == ["sec@example.com"]
    assert configuration.notify_min_severity == "critical"
    assert configuration.tool_timeout_seconds == 600
    assert dict(
        ScanConfigurationTool.objects.filter(configuration=configuration).values_list(
            "tool__slug", "overrides"
        )
    ) == {"semgrep": {"severity_threshold": "high"}, "bandit": {}}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"severity_threshold": "extreme"}, "tools.1.overrides.severity_threshold"),
        ({"unknown_option": True}, "tools.1.overrides.unknown_option"),
        ({"extra_args_allowed": "yes"}, "tools.1.overrides.extra_args_allowed"),
        ("not an object", "tools.1.overrides"),
    ],
)
def test_invalid_overrides_are_field_errors(client_for, setup, overrides, field):
    response = client_for(setup["roles"].owner).post(
        url(setup["project"]),
        {"name": "Bad", "tools": [{"tool": "bandit"}, {"tool": "semgrep", "overrides": overrides}]},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert not ScanConfiguration.objects.filter(name="Bad").exists()


def test_a_tool_with_a_broken_schema_is_reported_not_a_500(client_for, setup):
    ToolDefinitionFactory(slug="broken", name="Broken", config_schema={"type": "nonsense"})
    response = client_for(setup["roles"].owner).post(
        url(setup["project"]), {"name": "B", "tools": [{"tool": "broken", "overrides": {}}]}
    )
    assert response.status_code == 400
    assert "is broken" in fields_of(response)["tools.0.overrides"][0]


@pytest.mark.parametrize(
    ("tools", "field", "fragment"),
    [
        ([{"tool": "no-such-tool"}], "tools.0.tool", "Unknown tool"),
        ([{"tool": 999999}], "tools.0.tool", "Unknown tool"),
        ([{"tool": "disabled"}], "tools.0.tool", "disabled"),
        ([{"tool": "semgrep"}, {"tool": "semgrep"}], "tools.1.tool", "already"),
        ([{"tool": "semgrep"}, {"tool": "SEMGREP_ID"}], "tools.1.tool", "already"),
        ([{"tool": True}], "tools.0.tool", "tool id or slug"),
    ],
)
def test_tools_must_exist_be_enabled_and_appear_once(client_for, setup, tools, field, fragment):
    ToolDefinitionFactory(slug="disabled", name="Disabled", enabled=False)
    for entry in tools:
        if entry["tool"] == "SEMGREP_ID":
            entry["tool"] = setup["semgrep"].id
    response = client_for(setup["roles"].owner).post(
        url(setup["project"]), {"name": "T", "tools": tools}
    )
    assert response.status_code == 400
    assert list(fields_of(response)) == [field]
    assert fragment in fields_of(response)[field][0]
    assert not ScanConfiguration.objects.exists()


@pytest.mark.parametrize("field", ["targets", "target_groups"])
def test_targets_and_groups_of_another_project_are_refused(client_for, setup, field):
    other = ProjectFactory()
    foreign = (
        TargetAssetFactory(project=other)
        if field == "targets"
        else TargetGroupFactory(project=other)
    )
    response = client_for(setup["roles"].owner).post(
        url(setup["project"]), {"name": "X", field: [foreign.id]}
    )
    assert response.status_code == 400
    assert list(fields_of(response)) == [field]
    assert str(foreign.id) in fields_of(response)[field][0]
    assert not ScanConfiguration.objects.exists()


def test_all_problems_are_reported_together(client_for, setup):
    ScanConfigurationFactory(project=setup["project"], name="Taken")
    response = client_for(setup["roles"].owner).post(
        url(setup["project"]),
        {
            "name": "Taken",
            "targets": [999999],
            "tools": [{"tool": "nope"}],
            "schedule_type": "cron",
            "schedule_cron": "bad",
        },
    )
    assert response.status_code == 400
    assert sorted(fields_of(response)) == ["name", "schedule_cron", "targets", "tools.0.tool"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"notify_emails": [f"u{i}@example.com" for i in range(21)]}, "notify_emails"),
        ({"notify_emails": ["not-an-email"]}, "notify_emails.0"),
        ({"notify_webhook_url": "ftp://example.com/hook"}, "notify_webhook_url"),
        ({"notify_webhook_url": "not a url"}, "notify_webhook_url"),
        ({"notify_min_severity": "catastrophic"}, "notify_min_severity"),
        ({"tool_timeout_seconds": 29}, "tool_timeout_seconds"),
        ({"tool_timeout_seconds": 86401}, "tool_timeout_seconds"),
        ({"schedule_timezone": "Mars/Olympus"}, "schedule_timezone"),
        ({"schedule_type": "hourly"}, "schedule_type"),
    ],
)
def test_field_shapes_are_validated(client_for, setup, payload, field):
    response = client_for(setup["roles"].owner).post(
        url(setup["project"]), {"name": "N", **payload}
    )
    assert response.status_code == 400
    assert field in fields_of(response)


def test_name_is_unique_per_project_but_reusable_elsewhere(client_for, setup):
    ScanConfigurationFactory(project=setup["project"], name="Weekly")
    ScanConfigurationFactory(name="Daily")  # another project
    client = client_for(setup["roles"].owner)
    taken = client.post(url(setup["project"]), {"name": "Weekly"})
    assert taken.status_code == 400
    assert list(fields_of(taken)) == ["name"]
    assert client.post(url(setup["project"]), {"name": "Daily"}).status_code == 201


# --- schedule --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cron",
    ["", "* * * *", "* * * * * *", "61 * * * *", "0 25 * * *", "a b c d e", "0 0 31 2 *", "@daily"],
)
def test_cron_expressions_are_validated(client_for, setup, cron):
    response = client_for(setup["roles"].owner).post(
        url(setup["project"]), {"name": "C", "schedule_type": "cron", "schedule_cron": cron}
    )
    assert response.status_code == 400
    assert list(fields_of(response)) == ["schedule_cron"]


@pytest.mark.parametrize("cron", ["*/15 * * * *", "0 3 * * 1-5", "30 2 1 * *", "0 9 * * mon"])
def test_valid_cron_expressions_are_accepted(client_for, setup, cron):
    response = client_for(setup["roles"].owner).post(
        url(setup["project"]), {"name": "C", "schedule_type": "cron", "schedule_cron": cron}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["schedule_cron"] == cron
    assert response.json()["next_run_at"] is not None


@pytest.mark.parametrize("tz_name", ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"])
def test_next_run_at_is_the_next_cron_fire_in_the_configurations_timezone(
    client_for, setup, tz_name
):
    before = timezone.now()
    response = client_for(setup["roles"].owner).post(
        url(setup["project"]),
        {
            "name": "Morning",
            "schedule_type": "cron",
            "schedule_cron": "0 9 * * *",
            "schedule_timezone": tz_name,
        },
    )
    assert response.status_code == 201, response.json()
    next_run = datetime.fromisoformat(response.json()["next_run_at"])
    assert (next_run.hour, next_run.minute) == (9, 0)
    # The offset shown is the configuration's zone's offset at that moment.
    assert next_run.utcoffset() == next_run.astimezone(ZoneInfo(tz_name)).utcoffset()
    assert before < next_run <= before + timedelta(days=1, minutes=1)


def test_next_run_at_is_null_for_manual_and_disabled_schedules(client_for, setup):
    client = client_for(setup["roles"].owner)
    manual = client.post(url(setup["project"]), {"name": "M"}).json()
    disabled = client.post(
        url(setup["project"]),
        {
            "name": "D",
            "schedule_type": "cron",
            "schedule_cron": "0 9 * * *",
            "schedule_enabled": False,
        },
    ).json()
    assert manual["next_run_at"] is None
    assert disabled["next_run_at"] is None


def test_once_schedule_needs_a_future_time(client_for, setup):
    client = client_for(setup["roles"].owner)
    missing = client.post(url(setup["project"]), {"name": "O", "schedule_type": "once"})
    assert missing.status_code == 400
    assert list(fields_of(missing)) == ["schedule_once_at"]

    past = (timezone.now() - timedelta(hours=1)).isoformat()
    in_past = client.post(
        url(setup["project"]), {"name": "O", "schedule_type": "once", "schedule_once_at": past}
    )
    assert in_past.status_code == 400
    assert fields_of(in_past) == {"schedule_once_at": ["This time is in the past."]}

    when = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    created = client.post(
        url(setup["project"]),
        {
            "name": "O",
            "schedule_type": "once",
            "schedule_once_at": when.isoformat(),
            "schedule_timezone": "Europe/Berlin",
        },
    )
    assert created.status_code == 201, created.json()
    assert datetime.fromisoformat(created.json()["next_run_at"]) == when
    assert created.json()["next_run_at"].endswith(("+01:00", "+02:00"))
    assert ScanConfiguration.objects.get(name="O").schedule_once_at == when


def test_a_past_once_time_does_not_block_other_edits_but_a_new_one_must_be_future(
    client_for, setup
):
    configuration = ScanConfigurationFactory(
        project=setup["project"],
        schedule_type="once",
        schedule_once_at=timezone.now() - timedelta(days=1),
    )
    client = client_for(setup["roles"].owner)
    renamed = client.patch(url(setup["project"], configuration.id), {"name": "Renamed"})
    assert renamed.status_code == 200, renamed.json()
    assert renamed.json()["next_run_at"] is None
    moved = client.patch(
        url(setup["project"], configuration.id),
        {"schedule_once_at": (timezone.now() - timedelta(hours=2)).isoformat()},
    )
    assert moved.status_code == 400
    assert list(fields_of(moved)) == ["schedule_once_at"]


def test_switching_to_cron_requires_an_expression(client_for, setup):
    configuration = ScanConfigurationFactory(project=setup["project"])
    response = client_for(setup["roles"].owner).patch(
        url(setup["project"], configuration.id), {"schedule_type": "cron"}
    )
    assert response.status_code == 400
    assert list(fields_of(response)) == ["schedule_cron"]


def test_schedule_hook_runs_on_create_update_and_delete(client_for, setup, monkeypatch):
    calls = []
    monkeypatch.setattr(
        "apps.scans.services.configurations.scan_configuration_schedule_sync",
        lambda *, configuration, removed=False: calls.append((configuration.name, removed)),
    )
    client = client_for(setup["roles"].owner)
    pk = client.post(url(setup["project"]), {"name": "Hooked"}).json()["id"]
    client.patch(url(setup["project"], pk), {"name": "Hooked2"})
    client.post(url(setup["project"], pk, "clone/"), {})
    client.delete(url(setup["project"], pk))
    assert calls == [
        ("Hooked", False),
        ("Hooked2", False),
        ("Hooked2 (copy)", False),
        ("Hooked2", True),
    ]


# --- webhook token ---------------------------------------------------------------------------


def test_webhook_token_is_shown_once_and_only_its_hash_is_stored(client_for, setup):
    client = client_for(setup["roles"].owner)
    created = client.post(url(setup["project"]), {"name": "Hooks", "webhook_enabled": True})
    assert created.status_code == 201
    token = created.json()["webhook_token"]
    assert isinstance(token, str)
    assert len(token) >= 40
    pk = created.json()["id"]
    configuration = ScanConfiguration.objects.get(pk=pk)
    assert configuration.webhook_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(
        ScanConfiguration.objects.filter(pk=pk).values().get()
    )  # never stored in clear

    assert client.get(url(setup["project"], pk)).json()["webhook_token"] is None
    assert client.get(url(setup["project"])).json()["results"][0]["webhook_token"] is None
    renamed = client.patch(url(setup["project"], pk), {"name": "Hooks2", "webhook_enabled": True})
    assert renamed.json()["webhook_token"] is None
    configuration.refresh_from_db()
    assert configuration.webhook_token_hash == hashlib.sha256(token.encode()).hexdigest()

    off = client.patch(url(setup["project"], pk), {"webhook_enabled": False})
    assert off.json()["webhook_enabled"] is False
    assert off.json()["webhook_token"] is None
    configuration.refresh_from_db()
    assert configuration.webhook_token_hash == ""

    on_again = client.patch(url(setup["project"], pk), {"webhook_enabled": True})
    new_token = on_again.json()["webhook_token"]
    assert new_token and new_token != token
    configuration.refresh_from_db()
    assert configuration.webhook_token_hash == hashlib.sha256(new_token.encode()).hexdigest()


# --- update and delete -----------------------------------------------------------------------


def test_patch_replaces_tools_targets_and_changes_only_given_fields(client_for, setup):
    project = setup["project"]
    configuration = ScanConfigurationFactory(
        project=project, description="keep me", notify_emails=["a@example.com"]
    )
    configuration.targets.add(setup["target"])
    ScanConfigurationToolFactory(configuration=configuration, tool=setup["semgrep"])
    other_target = TargetAssetFactory(project=project, name="api")
    response = client_for(setup["roles"].member).patch(
        url(project, configuration.id),
        {
            "targets": [other_target.id],
            "tools": [{"tool": "bandit", "overrides": {"extra_args_allowed": True}}],
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [t["name"] for t in body["targets"]] == ["api"]
    assert body["tools"] == [
        {
            "tool": {"id": setup["bandit"].id, "slug": "bandit", "name": "Bandit"},
            "overrides": {"extra_args_allowed": True},
        }
    ]
    assert body["description"] == "keep me"
    assert body["notify_emails"] == ["a@example.com"]
    assert list(
        ScanConfigurationTool.objects.filter(configuration=configuration).values_list(
            "tool__slug", flat=True
        )
    ) == ["bandit"]


def test_patch_with_invalid_overrides_changes_nothing(client_for, setup):
    configuration = ScanConfigurationFactory(project=setup["project"], name="Keep")
    ScanConfigurationToolFactory(
        configuration=configuration, tool=setup["semgrep"], overrides={"severity_threshold": "low"}
    )
    response = client_for(setup["roles"].owner).patch(
        url(setup["project"], configuration.id),
        {"name": "Changed", "tools": [{"tool": "semgrep", "overrides": {"severity_threshold": 1}}]},
    )
    assert response.status_code == 400
    assert list(fields_of(response)) == ["tools.0.overrides.severity_threshold"]
    configuration.refresh_from_db()
    assert configuration.name == "Keep"
    assert ScanConfigurationTool.objects.get(configuration=configuration).overrides == {
        "severity_threshold": "low"
    }


def test_delete_keeps_the_scans_of_the_configuration(client_for, setup):
    configuration = ScanConfigurationFactory(project=setup["project"])
    scan = ScanFactory(project=setup["project"], configuration=configuration)
    response = client_for(setup["roles"].member).delete(url(setup["project"], configuration.id))
    assert response.status_code == 204
    assert not ScanConfiguration.objects.filter(pk=configuration.pk).exists()
    assert Scan.objects.get(pk=scan.pk).configuration is None


def test_a_configuration_of_another_project_is_not_found_through_this_one(client_for, setup):
    foreign = ScanConfigurationFactory()
    client = client_for(setup["roles"].owner)
    assert client.get(url(setup["project"], foreign.id)).status_code == 404
    assert client.patch(url(setup["project"], foreign.id), {"name": "x"}).status_code == 404
    assert client.delete(url(setup["project"], foreign.id)).status_code == 404
    assert ScanConfiguration.objects.filter(pk=foreign.pk).exists()


# --- clone -----------------------------------------------------------------------------------


def test_clone_copies_everything_and_disables_the_schedule(client_for, setup):
    project = setup["project"]
    original = ScanConfigurationFactory(
        project=project,
        name="Nightly",
        description="desc",
        schedule_type="cron",
        schedule_cron="0 2 * * *",
        schedule_timezone="Europe/Berlin",
        schedule_enabled=True,
        webhook_enabled=True,
        webhook_token_hash="a" * 64,
        notify_on_completion=True,
        notify_on_failure=False,
        notify_min_severity="medium",
        notify_emails=["sec@example.com"],
        notify_webhook_url="https://hooks.example.com/x",
        tool_timeout_seconds=900,
    )
    original.targets.add(setup["target"])
    original.target_groups.add(setup["group"])
    ScanConfigurationToolFactory(
        configuration=original, tool=setup["semgrep"], overrides={"severity_threshold": "high"}
    )
    ScanConfigurationToolFactory(configuration=original, tool=setup["bandit"])

    client = client_for(setup["roles"].member)
    response = client.post(url(project, original.id, "clone/"), {})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id"] != original.id
    assert body["name"] == "Nightly (copy)"
    assert body["description"] == "desc"
    assert [t["id"] for t in body["targets"]] == [setup["target"].id]
    assert [g["id"] for g in body["target_groups"]] == [setup["group"].id]
    assert {t["tool"]["slug"]: t["overrides"] for t in body["tools"]} == {
        "semgrep": {"severity_threshold": "high"},
        "bandit": {},
    }
    assert (body["schedule_type"], body["schedule_cron"], body["schedule_timezone"]) == (
        "cron",
        "0 2 * * *",
        "Europe/Berlin",
    )
    assert body["schedule_enabled"] is False
    assert body["next_run_at"] is None
    assert body["webhook_enabled"] is False
    assert body["webhook_token"] is None
    assert body["notify_on_completion"] is True
    assert body["notify_on_failure"] is False
    assert body["notify_min_severity"] == "medium"
    assert body["notify_emails"] == ["sec@example.com"]
    assert body["notify_webhook_url"] == "https://hooks.example.com/x"
    assert body["tool_timeout_seconds"] == 900
    assert body["created_by"]["id"] == setup["roles"].member.id

    clone = ScanConfiguration.objects.get(pk=body["id"])
    assert clone.webhook_token_hash == ""
    original.refresh_from_db()
    assert original.schedule_enabled is True
    assert original.webhook_token_hash == "a" * 64
    assert ScanConfigurationTool.objects.filter(configuration=original).count() == 2

    again = client.post(url(project, original.id, "clone/"), {})
    assert again.json()["name"] == "Nightly (copy 2)"


def test_clone_with_a_name(client_for, setup):
    original = ScanConfigurationFactory(project=setup["project"], name="A")
    ScanConfigurationFactory(project=setup["project"], name="Taken")
    client = client_for(setup["roles"].owner)
    taken = client.post(url(setup["project"], original.id, "clone/"), {"name": "Taken"})
    assert taken.status_code == 400
    assert list(fields_of(taken)) == ["name"]
    named = client.post(url(setup["project"], original.id, "clone/"), {"name": "B"})
    assert named.status_code == 201
    assert named.json()["name"] == "B"


def test_clone_name_stays_within_the_length_limit(client_for, setup):
    original = ScanConfigurationFactory(project=setup["project"], name="x" * 150)
    response = client_for(setup["roles"].owner).post(
        url(setup["project"], original.id, "clone/"), {}
    )
    assert response.status_code == 201
    assert response.json()["name"] == "x" * 143 + " (copy)"


# --- list, filters and roles -----------------------------------------------------------------


def test_list_filters_search_and_ordering(client_for, setup):
    project = setup["project"]
    cron = ScanConfigurationFactory(
        project=project, name="Beta", schedule_type="cron", schedule_cron="0 1 * * *"
    )
    ScanConfigurationToolFactory(configuration=cron, tool=setup["semgrep"])
    ScanConfigurationFactory(project=project, name="Alpha", description="nightly web")
    ScanConfigurationFactory(name="Elsewhere")
    client = client_for(setup["roles"].auditor)
    names = lambda query="": [  # noqa: E731
        c["name"] for c in client.get(url(project) + query).json()["results"]
    ]
    assert names() == ["Alpha", "Beta"]
    assert names("?ordering=-name") == ["Beta", "Alpha"]
    assert names("?schedule_type=cron") == ["Beta"]
    assert names(f"?tool={setup['semgrep'].id}") == ["Beta"]
    assert names("?search=nightly") == ["Alpha"]


def test_list_queries_do_not_grow_with_configurations(
    client_for, setup, django_assert_max_num_queries
):
    for index in range(15):
        configuration = ScanConfigurationFactory(project=setup["project"], name=f"c{index}")
        configuration.targets.add(setup["target"])
        ScanConfigurationToolFactory(configuration=configuration, tool=setup["semgrep"])
    client = client_for(setup["roles"].owner)
    with django_assert_max_num_queries(10):
        response = client.get(url(setup["project"]))
    assert response.json()["count"] == 15


ROLE_MATRIX = [
    ("owner", True),
    ("member", True),
    ("auditor", False),
    ("outsider", None),
    ("staff", True),
]


def expected_write(allowed, ok):
    return ok if allowed else (403 if allowed is False else 404)


@pytest.mark.parametrize(("who", "allowed"), ROLE_MATRIX)
def test_role_matrix_for_reads(client_for, setup, who, allowed):
    configuration = ScanConfigurationFactory(project=setup["project"])
    client = client_for(getattr(setup["roles"], who))
    expected = 404 if allowed is None else 200
    listed = client.get(url(setup["project"]))
    detail = client.get(url(setup["project"], configuration.id))
    assert (listed.status_code, detail.status_code) == (expected, expected)
    if expected == 200:
        assert listed.json()["count"] == 1
        assert detail.json()["id"] == configuration.id
    else:
        assert detail.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("who", "allowed"), ROLE_MATRIX)
def test_role_matrix_for_writes(client_for, setup, who, allowed):
    project = setup["project"]
    configuration = ScanConfigurationFactory(project=project, name="Existing")
    client = client_for(getattr(setup["roles"], who))

    created = client.post(url(project), {"name": "New"})
    assert created.status_code == expected_write(allowed, 201)
    patched = client.patch(url(project, configuration.id), {"description": "changed"})
    assert patched.status_code == expected_write(allowed, 200)
    cloned = client.post(url(project, configuration.id, "clone/"), {})
    assert cloned.status_code == expected_write(allowed, 201)
    deleted = client.delete(url(project, configuration.id))
    assert deleted.status_code == expected_write(allowed, 204)

    if allowed:
        assert sorted(ScanConfiguration.objects.values_list("name", flat=True)) == [
            "Existing (copy)",
            "New",
        ]
    else:
        assert created.json()["error"]["status"] == created.status_code
        assert list(ScanConfiguration.objects.values_list("name", "description")) == [
            ("Existing", "")
        ]


def test_webhook_url_is_shown_without_its_secret_and_kept_when_sent_back(client_for, setup):
    project = setup["project"]
    secret_url = "https://hooks.chat.example/services/T000/B000/s3cr3tT0ken?key=abc"
    configuration = ScanConfigurationFactory(project=project, notify_webhook_url=secret_url)
    masked = "https://hooks.chat.example/services/…"

    for role in ("auditor", "member", "owner"):
        shown = client_for(getattr(setup["roles"], role)).get(url(project, configuration.id))
        assert shown.json()["notify_webhook_url"] == masked
        assert "s3cr3t" not in shown.content.decode()
        assert "key=abc" not in shown.content.decode()

    client = client_for(setup["roles"].member)
    kept = client.patch(
        url(project, configuration.id), {"name": "Renamed", "notify_webhook_url": masked}
    )
    assert kept.status_code == 200, kept.json()
    configuration.refresh_from_db()
    assert (configuration.name, configuration.notify_webhook_url) == ("Renamed", secret_url)

    client.patch(url(project, configuration.id), {"notify_webhook_url": "https://new.example/h"})
    configuration.refresh_from_db()
    assert configuration.notify_webhook_url == "https://new.example/h"
    client.patch(url(project, configuration.id), {"notify_webhook_url": ""})
    configuration.refresh_from_db()
    assert configuration.notify_webhook_url == ""


def test_a_webhook_url_is_encrypted_at_rest(client_for, setup):
    """Chat webhook URLs are credentials (Slack and Teams put the token in the path): the
    database holds only a Fernet token of them, which the model reads back as the URL."""
    from django.db import connection

    project = setup["project"]
    secret_url = "https://hooks.slack.com/services/T000/B000/s3cr3tT0ken"
    created = client_for(setup["roles"].member).post(
        url(project), {"name": "Chat", "notify_webhook_url": secret_url}
    )
    assert created.status_code == 201, created.json()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT notify_webhook_url FROM scans_scanconfiguration WHERE id = %s",
            [created.json()["id"]],
        )
        stored = cursor.fetchone()[0]
    assert "s3cr3t" not in stored and "hooks.slack.com" not in stored
    assert stored.startswith("v1:")
    assert ScanConfiguration.objects.get(pk=created.json()["id"]).notify_webhook_url == secret_url
