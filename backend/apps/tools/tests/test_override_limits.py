"""Overrides that can never run are refused when the configuration is saved, for every
adapter's real schema: control characters, a `$` that let "B101\\n" through, ports past
65535, and URLs a tool would send requests to that the target network policy refuses."""

from __future__ import annotations

from typing import Any

import pytest

from apps.tools.adapters.registry import ADAPTERS
from apps.tools.models import ToolDefinition
from apps.tools.overrides import tool_overrides_validate


def tool(slug: str) -> ToolDefinition:
    adapter = ADAPTERS[slug]
    return ToolDefinition(
        slug=slug, name=adapter.name, category="sast", config_schema=dict(adapter.config_schema)
    )


def errors(slug: str, overrides: dict[str, Any]) -> dict[str, list[str]]:
    return tool_overrides_validate(tool=tool(slug), overrides=overrides)


def _string_options(schema: dict, path: str = "") -> list[str]:
    out = []
    for name, prop in schema.get("properties", {}).items():
        if prop.get("type") == "string":
            out.append(f"{path}{name}")
        elif prop.get("type") == "array" and prop.get("items", {}).get("type") == "string":
            out.append(f"{path}{name}.0")
    return out


STRING_OPTIONS = [
    (slug, option)
    for slug, adapter in sorted(ADAPTERS.items())
    for option in _string_options(dict(adapter.config_schema))
]


@pytest.mark.parametrize(
    ("slug", "option", "value"),
    [
        ("bandit", "skip_tests", "B101\n"),
        ("hadolint", "ignore", "DL3008\n"),
        ("shellcheck", "exclude", "SC2086\n"),
        ("checkov", "skip_checks", "CKV_AWS_1\n"),
        ("nuclei", "tags", "cve\n"),
    ],
)
def test_a_rule_id_with_a_trailing_line_break_is_refused(slug, option, value):
    assert f"{option}.0" in errors(slug, {option: [value]})
    assert errors(slug, {option: [value.rstrip()]}) == {}


@pytest.mark.parametrize(("slug", "option"), STRING_OPTIONS)
def test_no_string_option_of_any_tool_takes_a_control_character(slug, option):
    name, _, index = option.partition(".")
    value: Any = ["ok\x00"] if index else "ok\x07"
    found = errors(slug, {name: value})
    assert option in found, found


@pytest.mark.parametrize("ports", ["99999", "0", "22,65536", "8100-8000", "80-90-100"])
def test_nmap_ports_out_of_range_are_refused(ports):
    assert "ports" in errors("nmap", {"ports": ports})


@pytest.mark.parametrize("ports", ["", "22", "22,80,443", "8000-8100", "1-65535"])
def test_nmap_ports_in_range_are_accepted(ports):
    assert errors("nmap", {"ports": ports}) == {}


URL_OPTIONS = [("npm_audit", "registry"), ("pip_audit", "osv_url")]


@pytest.mark.parametrize(("slug", "option"), URL_OPTIONS)
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5432/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5:6379/",
        "http://[::1]:8000/",
        "http://100.100.100.200/",
        "https://user:secret@8.8.8.8/",
        "http://8.8.8.8:99999/",
    ],
)
def test_url_overrides_must_pass_the_target_network_policy(settings, slug, option, url):
    settings.SECULITE_TARGET_ALLOW, settings.SECULITE_TARGET_DENY = [], ["100.64.0.0/10"]
    found = errors(slug, {option: url})
    assert option in found, found
    # The message never says what a name resolved to.
    assert "resolves" not in " ".join(found[option])


@pytest.mark.parametrize(("slug", "option"), URL_OPTIONS)
def test_a_public_or_explicitly_allowed_url_is_accepted(settings, slug, option):
    settings.SECULITE_TARGET_ALLOW, settings.SECULITE_TARGET_DENY = ["127.0.0.1"], []
    assert errors(slug, {option: "https://8.8.8.8/v1/query"}) == {}
    assert errors(slug, {option: "http://127.0.0.1:4873/"}) == {}
