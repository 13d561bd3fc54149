"""tool_overrides_validate: JSON-schema errors as dotted field paths, no database needed."""

import pytest
from rest_framework.exceptions import ValidationError

from apps.tools.models import ToolDefinition
from apps.tools.overrides import tool_overrides_validate

SCHEMA = {
    "type": "object",
    "properties": {
        "severity_threshold": {"type": "string", "enum": ["low", "medium", "high"]},
        "paths": {"type": "array", "items": {"type": "string"}},
        "timeout": {"type": "integer", "minimum": 1},
        "rules": {
            "type": "object",
            "properties": {"mode": {"type": "string"}},
            "required": ["mode"],
            "additionalProperties": False,
        },
    },
    "patternProperties": {"^x-": {}},
    "additionalProperties": False,
}


def make_tool(schema: object = SCHEMA) -> ToolDefinition:
    return ToolDefinition(slug="semgrep", name="Semgrep", category="sast", config_schema=schema)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"severity_threshold": "high"},
        {"paths": ["src", "lib"], "timeout": 30},
        {"rules": {"mode": "strict"}},
        {"x-vendor": 1},  # allowed by patternProperties
    ],
)
def test_valid_overrides_have_no_errors(overrides):
    assert tool_overrides_validate(tool=make_tool(), overrides=overrides) == {}


@pytest.mark.parametrize(
    ("overrides", "expected_paths"),
    [
        ({"severity_threshold": "extreme"}, ["severity_threshold"]),
        ({"paths": ["ok", 3]}, ["paths.1"]),
        ({"timeout": 0}, ["timeout"]),
        ({"unknown": True}, ["unknown"]),
        ({"rules": {}}, ["rules.mode"]),
        ({"rules": {"mode": "x", "extra": 1}}, ["rules.extra"]),
        ({"severity_threshold": 5, "other": 1}, ["other", "severity_threshold"]),
    ],
)
def test_each_error_is_keyed_by_its_json_path(overrides, expected_paths):
    errors = tool_overrides_validate(tool=make_tool(), overrides=overrides)
    assert sorted(errors) == expected_paths
    assert all(
        messages and all(isinstance(m, str) for m in messages) for messages in errors.values()
    )


def test_unknown_and_missing_options_get_readable_messages():
    errors = tool_overrides_validate(tool=make_tool(), overrides={"nope": 1, "rules": {}})
    assert errors == {
        "nope": ["Unknown option for this tool."],
        "rules.mode": ["This option is required."],
    }


def test_enum_error_names_the_allowed_values():
    errors = tool_overrides_validate(tool=make_tool(), overrides={"severity_threshold": "x"})
    assert "'low'" in errors["severity_threshold"][0]


def test_prefix_puts_paths_under_the_api_field():
    errors = tool_overrides_validate(
        tool=make_tool(),
        overrides={"severity_threshold": "extreme", "paths": [1]},
        prefix="tools.0.overrides",
    )
    assert sorted(errors) == ["tools.0.overrides.paths.0", "tools.0.overrides.severity_threshold"]


@pytest.mark.parametrize(
    ("prefix", "key"), [("", "non_field_errors"), ("tools.2.overrides", "tools.2.overrides")]
)
def test_an_error_about_the_whole_object_lands_on_the_prefix(prefix, key):
    errors = tool_overrides_validate(
        tool=make_tool(), overrides=["not", "an", "object"], prefix=prefix
    )
    assert errors == {key: ["Overrides must be a JSON object."]}


def test_an_empty_schema_accepts_anything():
    assert tool_overrides_validate(tool=make_tool({}), overrides={"anything": [1, 2]}) == {}


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        ({"type": "nonsense"}, "is broken"),
        ({"properties": {"a": {"minimum": "three"}}}, "is broken"),
        ({"$ref": "#/$defs/missing"}, "unresolvable $ref"),
        ({"$ref": "https://example.invalid/schema.json"}, "unresolvable $ref"),
        (["not", "a", "schema"], "is broken"),
    ],
)
def test_a_broken_schema_is_reported_not_raised(schema, fragment):
    errors = tool_overrides_validate(
        tool=make_tool(schema), overrides={"a": 1}, prefix="tools.0.overrides"
    )
    assert list(errors) == ["tools.0.overrides"]
    assert fragment in errors["tools.0.overrides"][0]
    assert "Semgrep" in errors["tools.0.overrides"][0]


def test_raise_exception_gives_a_drf_validation_error_with_field_paths():
    with pytest.raises(ValidationError) as caught:
        tool_overrides_validate(
            tool=make_tool(),
            overrides={"severity_threshold": "extreme"},
            prefix="tools.0.overrides",
            raise_exception=True,
        )
    assert list(caught.value.detail) == ["tools.0.overrides.severity_threshold"]


def test_raise_exception_returns_quietly_when_valid():
    assert (
        tool_overrides_validate(
            tool=make_tool(), overrides={"severity_threshold": "low"}, raise_exception=True
        )
        == {}
    )


def test_the_overrides_are_not_modified():
    overrides = {"paths": ["a"], "severity_threshold": "low"}
    tool_overrides_validate(tool=make_tool(), overrides=overrides)
    assert overrides == {"paths": ["a"], "severity_threshold": "low"}
