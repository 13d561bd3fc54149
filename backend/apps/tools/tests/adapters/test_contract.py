"""The contract every registered adapter keeps: samples, protocol, schema, `one` → one."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from apps.targets.models import AssetType
from apps.tools.adapters.base import SEVERITIES, NormalizedFinding, ToolAdapter
from apps.tools.adapters.coverage import UNITS
from apps.tools.adapters.registry import ADAPTERS
from apps.tools.models import ToolCategory
from apps.tools.tests.adapters.sample_runs import PLACEHOLDER_ROOT, SAMPLES, VARIANTS, target_for

# The model's choices, so an adapter cannot declare a value the database would refuse.
CATEGORIES = set(ToolCategory.values)
ASSET_TYPES = set(AssetType.values)

ADAPTER_IDS = sorted(ADAPTERS)


def _sample(tool_id: str, variant: str) -> Path:
    matches = sorted((SAMPLES / tool_id).glob(f"{variant}.*"))
    assert matches, f"{tool_id} has no samples/{tool_id}/{variant}.* output"
    assert len(matches) == 1, f"{tool_id} has several {variant}.* samples: {matches}"
    return matches[0]


def _parse(adapter: ToolAdapter, variant: str) -> list[NormalizedFinding]:
    path = _sample(adapter.tool_id, variant)
    return list(adapter.parse(output_path=path, target=target_for(PLACEHOLDER_ROOT)))


def test_registry_is_not_empty() -> None:
    assert ADAPTERS


@pytest.mark.parametrize("tool_id", ADAPTER_IDS)
def test_keeps_the_protocol(tool_id: str) -> None:
    adapter = ADAPTERS[tool_id]
    assert isinstance(adapter, ToolAdapter)
    assert adapter.tool_id == tool_id
    assert adapter.name and adapter.description
    assert adapter.category in CATEGORIES, (
        f"{tool_id}: category {adapter.category!r} is not one of {sorted(CATEGORIES)}"
    )
    assert adapter.supported_asset_types
    unknown = set(adapter.supported_asset_types) - ASSET_TYPES
    assert not unknown, f"{tool_id}: unknown asset types {sorted(unknown)}"
    assert isinstance(adapter.unavailable_reason(), str)
    assert isinstance(adapter.parse_version(""), str)


@pytest.mark.parametrize("tool_id", ADAPTER_IDS)
def test_config_schema_is_valid_and_accepts_the_defaults(tool_id: str) -> None:
    adapter = ADAPTERS[tool_id]
    schema = dict(adapter.config_schema)
    Draft202012Validator.check_schema(schema)
    assert schema.get("type") == "object"
    assert schema.get("additionalProperties") is False
    validator = Draft202012Validator(schema)
    errors = [e.message for e in validator.iter_errors(dict(adapter.default_config))]
    assert not errors, f"{tool_id} default_config breaks its own schema: {errors}"
    assert list(validator.iter_errors({"no_such_option": 1})), "unknown options must be refused"


@pytest.mark.parametrize("tool_id", ADAPTER_IDS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_has_samples(tool_id: str, variant: str) -> None:
    sample = _sample(tool_id, variant)
    # A line-per-finding format (JSONL) reports no findings as an empty file.
    assert sample.stat().st_size > 0 or (variant == "empty" and sample.suffix == ".jsonl")


@pytest.mark.parametrize("tool_id", ADAPTER_IDS)
def test_samples_parse_to_the_right_counts(tool_id: str) -> None:
    adapter = ADAPTERS[tool_id]
    assert _parse(adapter, "empty") == []
    one = _parse(adapter, "one")
    assert len(one) == 1, f"{tool_id}: the 'one' sample parsed to {len(one)} findings"
    many = _parse(adapter, "many")
    assert len(many) >= 2, f"{tool_id}: the 'many' sample parsed to {len(many)} findings"
    for finding in [*one, *many]:
        assert isinstance(finding, NormalizedFinding)
        assert finding.severity in SEVERITIES
        assert finding.rule_id
        assert not finding.file_path.startswith(str(PLACEHOLDER_ROOT))


@pytest.mark.parametrize("tool_id", ADAPTER_IDS)
def test_coverage_of_the_many_sample_has_the_stored_shape(tool_id: str) -> None:
    """Every adapter reports coverage in the one JSON shape results store (auto-resolve reads
    it); a run that found many findings analysed something, or does not say."""
    adapter = ADAPTERS[tool_id]
    target = target_for(PLACEHOLDER_ROOT)
    stored = adapter.coverage(
        output_path=_sample(tool_id, "many"), target=target, stderr=""
    ).as_json()
    assert set(stored) == {"unit", "analysed", "unanalysed", "unanalysed_count", "summary"}
    assert stored["unit"] in UNITS
    assert stored["analysed"] is None or stored["analysed"] >= 1
    assert stored["unanalysed_count"] >= len(stored["unanalysed"])
    assert stored["summary"].endswith(".")
    assert isinstance(
        adapter.not_applicable_reason(target=target, config=adapter.default_config), str
    )
