"""The vulnerable sample project's manifest still points at the lines it planted.

`testdata/vulnerable-project/` is the tree the scan engine's end-to-end test scans; its manifest
(beside it, so it is not scanned itself) lists each expected finding by file, line and the exact
text of that line. This check needs no scanner: it catches an edit to the tree that shifts lines
without the manifest being rebuilt.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from apps.tools.adapters.base import SEVERITIES
from seculite_api.env import BACKEND_DIR

TESTDATA = Path(BACKEND_DIR) / "testdata"
PROJECT = TESTDATA / "vulnerable-project"
MANIFEST_PATH = TESTDATA / "vulnerable-project.manifest.json"
TOOLS = {"bandit", "semgrep", "detect-secrets", "checkov", "shellcheck", "hadolint"}


def _manifest() -> dict[str, Any]:
    return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))


MANIFEST = _manifest()


def _lines(relative: str) -> list[str]:
    path = (PROJECT / relative).resolve()
    assert path.is_relative_to(PROJECT.resolve()), f"{relative} leaves the project tree"
    assert path.is_file(), f"{relative} does not exist"
    return path.read_text(encoding="utf-8").splitlines()


def _assert_line(relative: str, line: int, text: str) -> None:
    lines = _lines(relative)
    assert isinstance(line, int), f"{relative}: line {line!r} is not an int"
    assert 1 <= line <= len(lines), f"{relative}:{line} is outside 1..{len(lines)}"
    assert lines[line - 1] == text, f"{relative}:{line} is {lines[line - 1]!r}, not {text!r}"


def _label(entry: dict[str, Any]) -> str:
    return str(entry.get("id") or f"{entry['tool']}:{entry['rule_id']}@{entry['line']}")


def test_manifest_sits_outside_the_scanned_tree() -> None:
    assert MANIFEST["project"] == "vulnerable-project"
    assert not MANIFEST_PATH.resolve().is_relative_to(PROJECT.resolve())
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    assert "INTENTIONALLY VULNERABLE" in readme


@pytest.mark.parametrize("issue", MANIFEST["issues"], ids=_label)
def test_issue_points_at_its_line(issue: dict[str, Any]) -> None:
    assert issue["tool"] in TOOLS
    assert issue["rule_id"]
    assert issue["description"]
    assert issue["severity"] in SEVERITIES
    _assert_line(issue["file"], issue["line"], issue["removable"]["match"])
    if "line_end" in issue:
        assert issue["line"] <= issue["line_end"] <= len(_lines(issue["file"]))
    if "planted_line" in issue:
        _assert_line(issue["file"], issue["planted_line"]["line"], issue["planted_line"]["match"])


@pytest.mark.parametrize("finding", MANIFEST.get("incidental", []), ids=_label)
def test_incidental_finding_points_at_its_line(finding: dict[str, Any]) -> None:
    assert finding["tool"] in TOOLS
    assert finding["severity"] in SEVERITIES
    _assert_line(finding["file"], finding["line"], finding["match"])


@pytest.mark.parametrize(
    "missed", MANIFEST.get("not_detected", []), ids=lambda m: f"{m['planted']}/{m['tool']}"
)
def test_undetected_plant_points_at_its_line(missed: dict[str, Any]) -> None:
    assert missed["tool"] in TOOLS
    assert missed["note"]
    _assert_line(missed["file"], missed["line"], missed["match"])


def test_ids_are_unique() -> None:
    ids = [issue["id"] for issue in MANIFEST["issues"]]
    assert len(ids) == len(set(ids))


def test_every_file_of_the_tree_plants_something_or_documents_it() -> None:
    referenced = {issue["file"] for issue in MANIFEST["issues"]}
    referenced |= {m["file"] for m in MANIFEST.get("not_detected", [])}
    referenced |= {d["file"] for d in MANIFEST["dependencies"]}
    referenced |= {d["declared_in"] for d in MANIFEST["dependencies"] if "declared_in" in d}
    present = {
        path.relative_to(PROJECT).as_posix()
        for path in PROJECT.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert referenced <= present
    assert present - referenced <= {"README.md", "app/__init__.py"}


def test_one_mutation_target_that_survives_removal_and_moving() -> None:
    targets = [issue for issue in MANIFEST["issues"] if issue.get("e2e_mutation_target")]
    assert len(targets) == 1
    target = targets[0]
    assert target["tool"] == "bandit"
    assert target["file"].endswith(".py")
    lines = _lines(target["file"])
    index = target["line"] - 1
    others = [
        issue
        for issue in MANIFEST["issues"] + MANIFEST.get("incidental", [])
        if issue["file"] == target["file"] and issue is not target
    ]
    # No other finding in its file comes after it, so moving it shifts nobody else's line.
    assert all(other["line"] < target["line"] for other in others)
    removed = [*lines[:index], *lines[index + 1 :]]
    indent = re.match(r"\s*", lines[index]).group(0)  # type: ignore[union-attr]
    moved = [*lines[:index], *[f"{indent}#"] * 10, *lines[index:]]
    for variant in (removed, moved):
        compile("\n".join(variant) + "\n", target["file"], "exec")


def test_dependencies_are_pinned_where_the_manifest_says() -> None:
    lock = json.loads((PROJECT / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["lockfileVersion"] in (2, 3)
    declared = json.loads((PROJECT / "package.json").read_text(encoding="utf-8"))["dependencies"]
    assert lock["packages"][""]["dependencies"] == declared
    requirements = _lines("requirements.txt")
    for dep in MANIFEST["dependencies"]:
        if dep["ecosystem"] == "PyPI":
            assert f"{dep['package']}=={dep['version']}" in requirements
        else:
            assert dep["ecosystem"] == "npm"
            assert declared[dep["package"]] == dep["version"]
            assert lock["packages"][f"node_modules/{dep['package']}"]["version"] == dep["version"]
