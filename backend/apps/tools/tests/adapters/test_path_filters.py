"""Every code tool honours a target's include/exclude paths: the real binary, run through its
adapter on the tree preparation hands it, reports nothing from excluded or not-included files.

The tree holds each tool's "many" fixtures three times: under `app/` (included), under
`app/legacy/` (included, then excluded) and under `other/` (never included). Only the `app/`
copy may produce findings.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from apps.targets.preparation import prepare_target
from apps.tools.adapters.registry import ADAPTERS
from apps.tools.tests.adapters.recorded import require_binary
from apps.tools.tests.adapters.sample_runs import FIXTURES, PLAN, run_tool

CODE_TOOLS = (
    "semgrep",
    "bandit",
    "eslint",
    "njsscan",
    "detect-secrets",
    "checkov",
    "shellcheck",
    "hadolint",
)
COPIES = ("app", "app/legacy", "other")
METADATA = {"include_paths": ["app/**"], "exclude_paths": ["legacy"]}


def build_copies(tool_id: str, root: Path) -> Path:
    for prefix in COPIES:
        for fixture in PLAN[tool_id]["many"]:
            dest = root / prefix / fixture.split("/")[0]
            shutil.copytree(FIXTURES / fixture, dest, dirs_exist_ok=True)
    return root


@pytest.mark.scanner
@pytest.mark.parametrize("tool_id", CODE_TOOLS)
def test_excluded_and_not_included_files_yield_no_findings(
    tool_id: str, tmp_path: Path, settings
) -> None:
    adapter = ADAPTERS[tool_id]
    require_binary(adapter)
    source = build_copies(tool_id, tmp_path / "code")
    settings.SECULITE_ALLOWED_PATHS = [str(source)]
    target = SimpleNamespace(
        asset_type="codebase_path", identifier=str(source), metadata=METADATA, upload=None
    )

    prepared = prepare_target(target, workdir=tmp_path / "work")
    assert prepared.path is not None
    run = run_tool(adapter, prepared.path, tmp_path)

    assert run.verdict.ok and not run.outcome.timed_out, run.verdict.reason
    paths = {finding.file_path for finding in run.findings(adapter, prepared.path)}
    assert paths, f"{tool_id} found nothing in the included files"
    assert all(path.startswith("app/") for path in paths), sorted(paths)
    assert not any("legacy/" in path for path in paths), sorted(paths)
