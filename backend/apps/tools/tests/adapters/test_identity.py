"""Finding identity, adapter by adapter: a finding that moves keeps its fingerprint, the same
code in another file is another finding, and an entry a report repeats is one finding.

Every registered adapter is in exactly one group below, so a new tool cannot skip this:
- RERUN: the tools that run here; the real binary runs on the fixture tree, on the same tree
  shifted down SHIFT lines, and on the tree with a copy of every directory;
- SHIFTED_REPORT: code/secret findings of tools that do not run here; the saved sample report
  is rewritten with every line number moved down SHIFT lines, or one entry moved to a copy
  of its file;
- UNLOCATED: dependency, web and network findings, which carry no line; identity is package +
  version + advisory (whatever manifest lists it), URL path + parameter, or host + port.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from apps.findings.fingerprints import SourceReader, fingerprints_for
from apps.tools.adapters.base import NormalizedFinding, PreparedTarget, ToolAdapter
from apps.tools.adapters.registry import ADAPTERS
from apps.tools.tests.adapters.sample_runs import (
    PLACEHOLDER_ROOT,
    PLAN,
    SAMPLES,
    SampleRun,
    run_tool,
    target_for,
)

SHIFT = 7
RERUN = tuple(sorted(PLAN))
# tool → the report keys holding line numbers, and how to move one entry to another file.
SHIFTED_REPORT: dict[str, tuple[str, ...]] = {
    "gitleaks": ("StartLine", "EndLine"),
    "trivy_fs": ("StartLine", "EndLine", "Number"),
    "trivy_image": ("StartLine", "EndLine", "Number"),
}
UNLOCATED = (
    "grype", "npm_audit", "osv_scanner", "pip_audit",  # dependencies
    "nuclei", "wapiti", "zap_baseline",  # web
    "nmap", "sslyze", "testssl",  # network and TLS
)  # fmt: skip


def identities(
    adapter: ToolAdapter, findings: Iterable[NormalizedFinding], root: Path | None
) -> list[str]:
    """The fingerprint ingest would give each finding (same target for all)."""
    return [
        fingerprint
        for fingerprint, _ in fingerprints_for(
            findings, tool_id=adapter.tool_id, target_key="target:1", reader=SourceReader(root)
        )
    ]


def parse_sample(adapter: ToolAdapter, variant: str) -> list[NormalizedFinding]:
    [path] = (SAMPLES / adapter.tool_id).glob(f"{variant}.*")
    return list(adapter.parse(output_path=path, target=target_for(PLACEHOLDER_ROOT)))


def test_every_adapter_has_an_identity_test() -> None:
    groups = [*RERUN, *SHIFTED_REPORT, *UNLOCATED]
    assert sorted(groups) == sorted(ADAPTERS), "each adapter belongs to exactly one group"


# --- every adapter: an entry repeated in one report is one finding -------------------------


@pytest.mark.parametrize("tool_id", sorted(ADAPTERS))
def test_an_entry_repeated_in_one_report_is_one_finding(tool_id: str) -> None:
    adapter = ADAPTERS[tool_id]
    findings = parse_sample(adapter, "many") or parse_sample(adapter, "one")
    once = identities(adapter, findings, None)
    twice = identities(adapter, [*findings, *findings], None)
    assert set(twice) == set(once), f"{tool_id}: a repeated entry became another finding"


# --- tools that run here: real runs on moved and copied trees -------------------------------


def _shift_file(path: Path, lines: int) -> None:
    """`lines` blank lines inserted at the top (after a `#!` line, which must stay first)."""
    text = path.read_text("utf-8")
    head, sep, rest = text.partition("\n")
    if head.startswith("#!"):
        path.write_text(head + sep + "\n" * lines + rest, "utf-8")
    else:
        path.write_text("\n" * lines + text, "utf-8")


def _run(adapter: ToolAdapter, root: Path, workdir: Path) -> list[NormalizedFinding]:
    workdir.mkdir(parents=True, exist_ok=True)
    run = run_tool(adapter, root, workdir)
    assert run.verdict.ok, run.verdict.reason
    return run.findings(adapter, root)


def _located(findings: Iterable[NormalizedFinding]) -> list[tuple[str, str, int | None]]:
    return sorted((f.rule_id, f.file_path, f.line_start) for f in findings)


def _original(sample_run: SampleRun, adapter: ToolAdapter) -> tuple[Path, list[NormalizedFinding]]:
    """The tool's fixture tree and its findings there (one real run, shared; never changed)."""
    root, run = sample_run(adapter)
    assert run.verdict.ok, run.verdict.reason
    return root, run.findings(adapter, root)


@pytest.mark.scanner
@pytest.mark.parametrize("tool_id", RERUN)
def test_a_finding_moved_down_keeps_its_fingerprint(
    tool_id: str, sample_run: SampleRun, tmp_path: Path
) -> None:
    adapter = ADAPTERS[tool_id]
    root, before = _original(sample_run, adapter)
    assert before, f"{adapter.tool_id} found nothing in its fixtures"
    moved = tmp_path / "moved" / "root"
    shutil.copytree(root, moved)
    for path in moved.rglob("*"):
        if path.is_file():
            _shift_file(path, SHIFT)
    after = _run(adapter, moved, tmp_path / "run-2")
    # Whole-file findings (no HEALTHCHECK, FROM at the file's start) stay on line 1.
    assert [(r, f) for r, f, _ in _located(after)] == [(r, f) for r, f, _ in _located(before)]
    lines = {(r, f, line) for r, f, line in _located(before)}
    assert any((r, f, line - SHIFT) in lines for r, f, line in _located(after) if line), (
        "no finding moved"
    )
    assert sorted(identities(adapter, after, moved)) == sorted(identities(adapter, before, root)), (
        f"{adapter.tool_id}: moving code down {SHIFT} lines changed fingerprints"
    )


@pytest.mark.scanner
@pytest.mark.parametrize("tool_id", RERUN)
def test_the_same_code_in_another_file_is_another_finding(
    tool_id: str, sample_run: SampleRun, tmp_path: Path
) -> None:
    adapter = ADAPTERS[tool_id]
    shared_root, before = _original(sample_run, adapter)
    original = set(identities(adapter, before, shared_root))
    root = tmp_path / "copied" / "root"
    shutil.copytree(shared_root, root)
    for directory in [p for p in root.iterdir() if p.is_dir()]:
        shutil.copytree(directory, root / f"{directory.name}_copy")
    after = _run(adapter, root, tmp_path / "run-2")
    copies = [f for f in after if "_copy/" in f.file_path]
    assert len(copies) == len(before), "the tool did not report the copies like the originals"
    fingerprints = identities(adapter, after, root)
    assert original <= set(fingerprints), "copying files changed the originals' fingerprints"
    assert len(set(fingerprints)) == 2 * len(original), (
        f"{adapter.tool_id}: a finding in a copied file shares a fingerprint with the original"
    )
    # Once the originals are gone, the copies keep their own identity (they do not take over
    # the originals' fingerprints, which would resolve or re-point the wrong findings).
    in_full_report = {fp for fp, f in zip(fingerprints, after, strict=True) if f in copies}
    alone = set(identities(adapter, copies, root))
    assert alone == in_full_report
    assert alone.isdisjoint(original)


# --- code findings of tools that do not run here: rewritten sample reports -----------------


def _sample_report(tool_id: str) -> Any:
    return json.loads((Path(__file__).parents[1] / "samples" / tool_id / "many.json").read_text())


def _shift_lines(value: Any, keys: tuple[str, ...], lines: int) -> Any:
    if isinstance(value, dict):
        return {
            k: (v + lines if k in keys and isinstance(v, int) else _shift_lines(v, keys, lines))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_shift_lines(item, keys, lines) for item in value]
    return value


def _parse_report(adapter: ToolAdapter, report: Any, tmp_path: Path, name: str) -> Any:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(report))
    target = (
        PreparedTarget(asset_type="container_image", identifier="example/web:1.4.2",
                       image="example/web:1.4.2")
        if adapter.tool_id == "trivy_image"
        else PreparedTarget(asset_type="codebase_path", identifier="/scan/root",
                            path=PLACEHOLDER_ROOT)
    )  # fmt: skip
    return list(adapter.parse(output_path=path, target=target))


def _line_bearing(findings: list[NormalizedFinding]) -> list[int]:
    return [i for i, f in enumerate(findings) if f.line_start]


@pytest.mark.parametrize("tool_id", sorted(SHIFTED_REPORT))
def test_a_moved_finding_in_a_sample_report_keeps_its_fingerprint(
    tool_id: str, tmp_path: Path
) -> None:
    adapter = ADAPTERS[tool_id]
    report = _sample_report(tool_id)
    before = _parse_report(adapter, report, tmp_path, "before")
    moved = _shift_lines(report, SHIFTED_REPORT[tool_id], SHIFT)
    after = _parse_report(adapter, moved, tmp_path, "after")
    assert _line_bearing(before), f"{tool_id}'s sample has no finding with a line"
    for i in _line_bearing(before):
        assert after[i].line_start == before[i].line_start + SHIFT  # type: ignore[operator]
    assert identities(adapter, after, None) == identities(adapter, before, None)


def _move_to_copy(tool_id: str, report: Any) -> tuple[Any, Callable[[str], bool]]:
    """The report with a second copy of its line-bearing entries, in a copied file."""
    if tool_id == "gitleaks":
        copies = [dict(leak, File=f"{leak['File']}.copy") for leak in report if leak["StartLine"]]
        return [*report, *copies], lambda path: path.endswith(".copy")
    results = report["Results"]
    copies = [
        dict(result, Target=f"copy/{result['Target']}")
        for result in results
        if result.get("Secrets") or result.get("Misconfigurations")
    ]
    return dict(report, Results=[*results, *copies]), lambda path: path.startswith("copy/")


@pytest.mark.parametrize("tool_id", sorted(SHIFTED_REPORT))
def test_the_same_secret_in_a_copied_file_is_another_finding(tool_id: str, tmp_path: Path) -> None:
    adapter = ADAPTERS[tool_id]
    report = _sample_report(tool_id)
    before = _parse_report(adapter, report, tmp_path, "before")
    doubled, is_copy = _move_to_copy(tool_id, report)
    after = _parse_report(adapter, doubled, tmp_path, "after")
    copies = [f for f in after if is_copy(f.file_path)]
    assert copies
    original = identities(adapter, before, None)
    assert set(identities(adapter, copies, None)).isdisjoint(original)


# --- dependency, web and network findings ---------------------------------------------------


@pytest.mark.parametrize("tool_id", UNLOCATED)
def test_unlocated_findings_are_one_per_package_version_and_advisory(tool_id: str) -> None:
    adapter = ADAPTERS[tool_id]
    findings = parse_sample(adapter, "many")
    assert findings
    assert not any(f.line_start for f in findings), f"{tool_id} reports lines: move it to a group"
    fingerprints = identities(adapter, findings, None)
    if any(f.package_name for f in findings):
        # One package version with one advisory is one finding, whichever manifest lists it.
        keys = [(f.package_name, f.package_version, f.rule_id, f.image) for f in findings]
        same_key = {(a, b) for a, b in zip(keys, fingerprints, strict=True)}
        assert len(same_key) == len(set(keys)) == len(set(fingerprints))
    else:
        assert len(set(fingerprints)) == len(fingerprints), "distinct reports were merged"
