"""Config files in the scanned tree never change what a tool does (issue 10): the real tools
run on a fixture tree, once clean and once with a hostile config file of their own kind that
would hide every finding, load code or send traffic elsewhere; the findings must not change,
no planted code may run, and nothing may reach the hostile address (loopback only)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from apps.tools.adapters.bandit import bandit
from apps.tools.adapters.base import ToolAdapter
from apps.tools.adapters.checkov import checkov
from apps.tools.adapters.eslint import eslint
from apps.tools.adapters.hadolint import hadolint
from apps.tools.adapters.njsscan import njsscan
from apps.tools.adapters.npm_audit import npm_audit
from apps.tools.adapters.shellcheck import shellcheck
from apps.tools.tests.adapters import loopback
from apps.tools.tests.adapters.recorded import SAMPLES, run_real, tree_target
from apps.tools.tests.adapters.sample_runs import SampleRun, build_tree, run_tool, target_for
from apps.tools.tests.test_sandbox import Listener

pytestmark = pytest.mark.scanner


def _bandit(out: Path) -> dict[str, str]:
    skips = ",".join(f"B{n}" for n in range(101, 704))
    return {".bandit": f"[bandit]\nskips: {skips}\nexclude: ./\n"}


def _hadolint(out: Path) -> dict[str, str]:
    codes = [f"DL{n}" for n in [*range(3000, 3070), *range(4000, 4010)]]
    return {".hadolint.yaml": "ignored:\n" + "".join(f"  - {c}\n" for c in codes)}


def _shellcheck(out: Path) -> dict[str, str]:
    return {".shellcheckrc": "disable=all\n"}


def _njsscan(out: Path) -> dict[str, str]:
    return {
        ".njsscan": "---\nignore-paths:\n  - js\n  - node_modules\nseverity-filter:\n  - INFO\n"
    }


def _checkov(out: Path) -> dict[str, str]:
    evil = f"open({str(out / 'evidence-checkov')!r}, 'w').write('external check ran')\n"
    return {
        ".checkov.yaml": (
            "check: CKV_NOT_A_CHECK\nexternal-checks-dir:\n  - evil\nsoft-fail: true\n"
        ),
        "evil/__init__.py": evil,
        "evil/check.py": evil,
    }


def _eslint(out: Path) -> dict[str, str]:
    plant = (
        f"require('fs').writeFileSync({str(out / 'evidence-eslint')!r}, 'config ran');\n"
        "module.exports = [];\n"
    )
    return {
        "eslint.config.js": plant,
        "eslint.config.mjs": plant.replace("module.exports = ", "export default ").replace(
            "require('fs')", "(await import('fs'))"
        ),
    }


CASES: dict[str, tuple[ToolAdapter, Callable[[Path], dict[str, str]]]] = {
    "bandit": (bandit, _bandit),
    "hadolint": (hadolint, _hadolint),
    "shellcheck": (shellcheck, _shellcheck),
    "njsscan": (njsscan, _njsscan),
    "checkov": (checkov, _checkov),
    "eslint": (eslint, _eslint),
}


def _keys(adapter: ToolAdapter, output: Path, root: Path) -> set[tuple[str, str, int | None]]:
    return {
        (f.rule_id, f.file_path, f.line_start)
        for f in adapter.parse(output_path=output, target=target_for(root))
    }


@pytest.mark.parametrize("tool_id", sorted(CASES))
def test_a_config_file_in_the_tree_changes_nothing(
    tmp_path: Path, tool_id: str, sample_run: SampleRun
) -> None:
    adapter, hostile = CASES[tool_id]
    clean_root, clean = sample_run(adapter)
    assert clean.verdict.ok, clean.verdict.reason
    expected = _keys(adapter, clean.output_path, clean_root)
    assert expected, "the fixture must give findings for the comparison to mean something"

    work = tmp_path / "hostile"
    root = build_tree(tool_id, "many", work)
    for name, text in hostile(work).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    run = run_tool(adapter, root, work)
    assert run.verdict.ok, run.verdict.reason
    found = _keys(adapter, run.output_path, root)
    # Files the config itself adds may be findings of their own; nothing may disappear.
    assert expected <= found
    assert not list(work.glob("evidence-*")), "code from the scanned tree ran"


def test_a_hostile_npmrc_sends_nothing_to_its_proxy_or_registry(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(SAMPLES / "npm_audit" / "trees" / "many", tree)
    with Listener() as hostile, loopback.FakeNpmRegistry() as registry:
        evil = f"http://127.0.0.1:{hostile.port}/"
        (tree / ".npmrc").write_text(
            f"registry={evil}\nproxy={evil}\nhttps-proxy={evil}\n"
            f"@evil:registry={evil}\nnoproxy=\nstrict-ssl=false\naudit-level=critical\n"
            "omit=dev\nomit=prod\n"
        )
        run = run_real(npm_audit, tree_target(tree), tmp_path, {"registry": registry.url})
        assert hostile.accepted == 0, "npm followed the scanned tree's .npmrc"
    assert run.verdict.ok, run.verdict.reason
    assert {f.fingerprint_hint for f in run.findings(npm_audit)} == {
        "npm:lodash:4.17.20:GHSA-35jh-r3h4-6jhm",
        "npm:lodash:4.17.20:GHSA-29mw-wpgm-hmr9",
        "npm:minimist:1.2.5:GHSA-xvch-5gv4-984h",
    }
