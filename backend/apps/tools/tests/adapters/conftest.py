"""Fixtures of the adapter tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.tools.adapters.base import ToolAdapter
from apps.tools.tests.adapters.recorded import require_binary
from apps.tools.tests.adapters.sample_runs import SampleRun, ToolRun, build_tree, run_tool


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> SampleRun:
    """The real run of a tool on a fresh tree of its "many" fixtures, once per test process:
    the real-run, identity and repository-config tests all start from it, and one njsscan run
    takes about ten seconds. Callers read the tree and the output, never change them. Skips
    (or fails) like `require_binary` when the scanner is missing."""
    runs: dict[str, tuple[Path, ToolRun]] = {}

    def run(adapter: ToolAdapter) -> tuple[Path, ToolRun]:
        require_binary(adapter)
        if adapter.tool_id not in runs:
            workdir = tmp_path_factory.mktemp(f"sample-run-{adapter.tool_id}")
            root = build_tree(adapter.tool_id, "many", workdir)
            runs[adapter.tool_id] = (root, run_tool(adapter, root, workdir))
        return runs[adapter.tool_id]

    return run
