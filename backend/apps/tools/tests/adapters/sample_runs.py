"""Run the real scanners on the fixtures: shared by the `scanner`-marked tests and by the
script that (re)generates the saved sample outputs.

Regenerate every sample (after changing a fixture, a rule file or a scanner version):

    cd backend && .venv/bin/python -m apps.tools.tests.adapters.sample_runs [TOOL_ID ...]
    (add --variant=partial to re-record only the trees with unparseable files)

Each variant's fixture directories are copied into a fresh temporary tree, the adapter's own
command runs on it through `runner.run_process`, and the temporary root in the output is
replaced by PLACEHOLDER_ROOT, so the saved samples are real outputs with stable paths.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apps.tools.adapters.base import ExitVerdict, NormalizedFinding, PreparedTarget, ToolAdapter
from apps.tools.adapters.common import inputs_record_path
from apps.tools.adapters.runner import RunOutcome, run_process
from apps.tools.sandbox import sandbox_for

TESTS_DIR = Path(__file__).resolve().parents[1]
FIXTURES = TESTS_DIR / "fixtures"
SAMPLES = TESTS_DIR / "samples"
PLACEHOLDER_ROOT = Path("/scan/root")
VARIANTS = ("empty", "one", "many")
RUN_TIMEOUT_SECONDS = 600

# tool id → variant → fixture directories (relative to FIXTURES) merged into the tree; each is
# copied to <root>/<its first path component>, e.g. python/many → <root>/python/.
PLAN: dict[str, dict[str, tuple[str, ...]]] = {
    "semgrep": {
        "empty": ("python/clean", "js/clean", "docker/clean", "secrets/clean"),
        "one": ("python/one",),
        "many": ("python/many", "js/many", "docker/many", "secrets/many"),
    },
    "bandit": {"empty": ("python/clean",), "one": ("python/one",), "many": ("python/many",)},
    "detect-secrets": {
        "empty": ("secrets/clean",),
        "one": ("secrets/one",),
        "many": ("secrets/many",),
    },
    "checkov": {"empty": ("iac/clean",), "one": ("iac/one",), "many": ("iac/many", "docker/many")},
    "shellcheck": {"empty": ("shell/clean",), "one": ("shell/one",), "many": ("shell/many",)},
    "hadolint": {"empty": ("docker/clean",), "one": ("docker/one",), "many": ("docker/many",)},
    "eslint": {"empty": ("js/clean",), "one": ("js/one_eslint",), "many": ("js/many",)},
    "njsscan": {"empty": ("js/clean",), "one": ("js/one",), "many": ("js/many",)},
}
# The "partial" variant: a tree where some files cannot be parsed, so the run is partial.
PARTIAL_PLAN: dict[str, tuple[str, ...]] = {
    "semgrep": ("broken/python", "broken/js"),
    "bandit": ("broken/python",),
    "njsscan": ("broken/js",),
    "eslint": ("broken/js",),
    "checkov": ("broken/iac",),
    "hadolint": ("broken/docker",),
    "shellcheck": ("broken/shell",),
}
for _tool, _fixtures in PARTIAL_PLAN.items():
    PLAN[_tool]["partial"] = _fixtures
SUFFIX: dict[str, str] = {"eslint": ".sarif"}


def sample_path(tool_id: str, variant: str) -> Path:
    return SAMPLES / tool_id / f"{variant}{SUFFIX.get(tool_id, '.json')}"


def target_for(root: Path) -> PreparedTarget:
    return PreparedTarget(asset_type="codebase_path", identifier=str(root), path=root)


def parse_sample(adapter: ToolAdapter, variant: str) -> list[NormalizedFinding]:
    """The findings of a saved sample, parsed against the placeholder root."""
    return list(
        adapter.parse(
            output_path=sample_path(adapter.tool_id, variant),
            target=target_for(PLACEHOLDER_ROOT),
        )
    )


def with_fake_executable(monkeypatch: Any, adapter: ToolAdapter, path: str) -> None:
    """Make `adapter` find its binary at `path` without it being installed."""
    monkeypatch.setattr(type(adapter), "executable", lambda self: path)


def build_tree(tool_id: str, variant: str, dest: Path) -> Path:
    """A fresh tree at dest/root holding the fixtures of this tool's variant."""
    root = dest / "root"
    root.mkdir(parents=True)
    for fixture in PLAN[tool_id][variant]:
        shutil.copytree(FIXTURES / fixture, root / fixture.split("/")[0], dirs_exist_ok=True)
    return root


@dataclass(frozen=True)
class ToolRun:
    outcome: RunOutcome
    verdict: ExitVerdict
    output_path: Path
    argv: tuple[str, ...]

    def findings(self, adapter: ToolAdapter, root: Path) -> list[NormalizedFinding]:
        return list(adapter.parse(output_path=self.output_path, target=target_for(root)))


# The `sample_run` fixture (conftest.py): an adapter → its tree and its run, shared.
SampleRun = Callable[[ToolAdapter], tuple[Path, ToolRun]]


def run_tool(
    adapter: ToolAdapter, root: Path, workdir: Path, config: Mapping[str, Any] | None = None
) -> ToolRun:
    """Run the adapter's real command on `root`, as the scan worker does."""
    merged = {**adapter.default_config, **(config or {})}
    command = adapter.build_command(
        target=target_for(root), config=merged, output_path=workdir / f"{adapter.tool_id}.out"
    )
    outcome = run_process(
        command.argv,
        timeout_seconds=RUN_TIMEOUT_SECONDS,
        stdout_path=None if command.output_written_by_tool else command.output_path,
        cwd=command.cwd,
        env=command.env,
        sandbox=sandbox_for(adapter, command, target_for(root).path),
    )
    verdict = adapter.interpret_exit(
        exit_code=outcome.exit_code if outcome.exit_code is not None else -1,
        output_path=command.output_path,
        stderr=outcome.stderr_tail,
    )
    return ToolRun(outcome, verdict, command.output_path, command.argv)


def regenerate(tool_ids: Sequence[str], variants: Sequence[str] = ()) -> int:
    """Re-record the samples of `tool_ids` (every variant of their plan, or only `variants`)."""
    from apps.tools.adapters.registry import ADAPTERS

    failures = 0
    for tool_id in tool_ids:
        adapter = ADAPTERS[tool_id]
        reason = adapter.unavailable_reason()
        if reason:
            print(f"{tool_id}: skipped, {reason}")
            failures += 1
            continue
        for variant in variants or PLAN[tool_id]:
            if variant not in PLAN[tool_id]:
                continue
            with tempfile.TemporaryDirectory(prefix="seculite-sample-") as tmp:
                workdir = Path(tmp)
                root = build_tree(tool_id, variant, workdir)
                run = run_tool(adapter, root, workdir)
                if not run.verdict.ok or run.outcome.timed_out:
                    print(f"{tool_id}/{variant}: FAILED {run.verdict.reason} {run.outcome}")
                    failures += 1
                    continue
                text = run.output_path.read_text("utf-8")
                text = text.replace(str(root.resolve()), str(PLACEHOLDER_ROOT))
                text = text.replace(str(root), str(PLACEHOLDER_ROOT))
                text = text.replace(str(workdir), "/scan/work")
                # The file list a per-file tool was handed (its coverage reads it).
                inputs = inputs_record_path(run.output_path)
                keep = variant == "partial" and inputs.exists()
                listed = inputs.read_text("utf-8") if keep else ""
            out = sample_path(tool_id, variant)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text if text.endswith("\n") else text + "\n", "utf-8")
            if listed:
                inputs_record_path(out).write_text(listed, "utf-8")
            count = len(list(adapter.parse(output_path=out, target=target_for(PLACEHOLDER_ROOT))))
            print(f"{tool_id}/{variant}: exit {run.outcome.exit_code}, {count} findings → {out}")
    return 1 if failures else 0


if __name__ == "__main__":
    # `--variant=partial` re-records only that variant.
    chosen = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--variant=")]
    tools = [a for a in sys.argv[1:] if not a.startswith("--variant=")]
    sys.exit(regenerate(tools or list(PLAN), chosen))


def parse_report_text(
    adapter: ToolAdapter, text: str, workdir: Path, *, name: str = "out.json"
) -> list[NormalizedFinding]:
    """Parse `text` as if the tool had written it (the garbage-output tests)."""
    output = workdir / name
    output.write_text(text)
    return list(adapter.parse(output_path=output, target=target_for(workdir)))
