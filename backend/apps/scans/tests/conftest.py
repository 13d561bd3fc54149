"""Fixtures of the scan tests."""

from __future__ import annotations

import pytest

from apps.tools import sync
from apps.tools.adapters.registry import ADAPTERS
from apps.tools.models import ToolDefinition


@pytest.fixture(scope="session")
def _tool_probes() -> dict[str, sync.ToolProbe]:
    """This machine's scanners probed once per test process: the twenty version commands
    cost about ten seconds of CPU (Checkov, Semgrep, Wapiti and testssl.sh take one or two
    each), and nothing installs or removes a scanner while the tests run."""
    return sync.tools_probe(ADAPTERS)


@pytest.fixture
def synced_tools(_tool_probes, monkeypatch) -> list[ToolDefinition]:
    """`tools_sync()` as a worker runs it, on the probes taken once for the session."""
    monkeypatch.setattr(
        sync,
        "tools_probe",
        lambda adapters: {tool_id: _tool_probes[tool_id] for tool_id in adapters},
    )
    return sync.tools_sync()
