"""Helpers for the dependency/image/DAST/TLS/network adapter tests: reading samples and
running a real scanner through its adapter (as the worker does) against loopback fixtures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from apps.tools.adapters.base import (
    BaseAdapter,
    ExitVerdict,
    NormalizedFinding,
    PreparedTarget,
    ToolAdapter,
)
from apps.tools.adapters.runner import RunOutcome, run_process
from apps.tools.adapters.toolkit import UnavailableInThisWorkerMixin
from apps.tools.sandbox import sandbox_for

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SAMPLE_ROOT = Path("/scan/root")


def url_target(url: str) -> PreparedTarget:
    from urllib.parse import urlsplit

    return PreparedTarget(
        asset_type="url", identifier=url, url=url, host=urlsplit(url).hostname or ""
    )


def domain_target(host: str) -> PreparedTarget:
    return PreparedTarget(asset_type="domain", identifier=host, host=host)


def tree_target(path: Path) -> PreparedTarget:
    return PreparedTarget(asset_type="codebase_path", identifier=str(path), path=path)


def image_target(image: str) -> PreparedTarget:
    return PreparedTarget(asset_type="container_image", identifier=image, image=image)


def sample(tool_id: str, name: str) -> Path:
    matches = sorted((SAMPLES / tool_id).glob(f"{name}.*"))
    assert matches, f"no sample {tool_id}/{name}.*"
    return matches[0]


def parse(
    adapter: ToolAdapter, name: str, target: PreparedTarget | None = None
) -> list[NormalizedFinding]:
    return list(
        adapter.parse(
            output_path=sample(adapter.tool_id, name), target=target or tree_target(SAMPLE_ROOT)
        )
    )


def fake_executable(monkeypatch: pytest.MonkeyPatch, adapter: ToolAdapter, path: str) -> None:
    monkeypatch.setattr(type(adapter), "executable", lambda self: path)


def require_binary(adapter: ToolAdapter) -> None:
    """Skip only for a tool this machine cannot have (UnavailableInThisWorkerMixin: the Docker
    worker image carries it); a scanner scripts/install-scanners.sh installs must be there,
    so its absence fails the test instead of hiding it."""
    reason = adapter.unavailable_reason()
    if not reason:
        return
    if isinstance(adapter, UnavailableInThisWorkerMixin):
        pytest.skip(f"{adapter.tool_id} cannot be installed here: {reason}")
    pytest.fail(
        f"{adapter.tool_id} should be installed but is not: {reason} (run "
        "scripts/install-scanners.sh, or point SECULITE_SCANNERS_DIR at its folder)"
    )


@dataclass(frozen=True)
class RealRun:
    outcome: RunOutcome
    verdict: ExitVerdict
    output_path: Path
    argv: tuple[str, ...]
    target: PreparedTarget

    def findings(self, adapter: ToolAdapter) -> list[NormalizedFinding]:
        return list(adapter.parse(output_path=self.output_path, target=self.target))


def run_real(
    adapter: ToolAdapter,
    target: PreparedTarget,
    workdir: Path,
    config: Mapping[str, Any] | None = None,
    *,
    timeout: float = 600,
    extra_before_target: tuple[str, ...] = (),
) -> RealRun:
    """Build the adapter's command and run it with runner.run_process, as the worker does."""
    require_binary(adapter)
    merged = (
        adapter.config_with_defaults(config or {})
        if isinstance(adapter, BaseAdapter)
        else dict(config or {})
    )
    output = workdir / f"{adapter.tool_id}.out"
    command = adapter.build_command(target=target, config=merged, output_path=output)
    argv = list(command.argv)
    if extra_before_target:
        cut = argv.index("--") if "--" in argv else len(argv)
        argv[cut:cut] = extra_before_target
    outcome = run_process(
        argv,
        timeout_seconds=timeout,
        stdout_path=None if command.output_written_by_tool else command.output_path,
        cwd=command.cwd,
        env=command.env,
        sandbox=sandbox_for(adapter, command, target.path),
    )
    assert not outcome.timed_out, f"{adapter.tool_id} timed out"
    verdict = adapter.interpret_exit(
        exit_code=outcome.exit_code if outcome.exit_code is not None else -1,
        output_path=command.output_path,
        stderr=outcome.stderr_tail,
    )
    return RealRun(outcome, verdict, command.output_path, tuple(argv), target)
