"""Every JSON adapter streams its report: none of them may read the document whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from apps.tools.adapters.registry import ADAPTERS
from apps.tools.tests.adapters.sample_runs import PLACEHOLDER_ROOT, SAMPLES, target_for

STREAMING = (
    "bandit", "checkov", "detect-secrets", "eslint", "gitleaks", "grype", "hadolint",
    "njsscan", "npm_audit", "osv_scanner", "pip_audit", "semgrep", "shellcheck", "sslyze",
    "testssl", "trivy_fs", "trivy_image", "wapiti", "zap_baseline",
)  # fmt: skip


def sample_file(tool_id: str, variant: str) -> Path:
    [path] = sorted((SAMPLES / tool_id).glob(f"{variant}.*"))
    return path


@pytest.fixture
def no_whole_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the report was read whole")

    monkeypatch.setattr(json, "load", refuse)
    monkeypatch.setattr(json, "loads", refuse)


@pytest.mark.usefixtures("no_whole_loads")
@pytest.mark.parametrize("tool_id", STREAMING)
def test_parses_and_judges_the_many_sample_without_reading_it_whole(tool_id: str) -> None:
    adapter = ADAPTERS[tool_id]
    path = sample_file(tool_id, "many")
    assert adapter.interpret_exit(exit_code=0, output_path=path, stderr="") is not None
    findings = list(adapter.parse(output_path=path, target=target_for(PLACEHOLDER_ROOT)))
    assert len(findings) >= 2


def test_every_json_adapter_is_listed() -> None:
    json_tools = {
        tool_id
        for tool_id in ADAPTERS
        if sample_file(tool_id, "many").suffix in (".json", ".sarif")
    }
    assert json_tools == set(STREAMING)
