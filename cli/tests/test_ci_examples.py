"""The ready-to-copy pipelines in docs/ci/ call the CLI with options it has, and pass user
input to scripts only through the environment."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from seculite_cli.main import app

DOCS_CI = Path(__file__).resolve().parents[2] / "docs" / "ci"
GITHUB = DOCS_CI / "github-actions.yml"
GITLAB = DOCS_CI / "gitlab-ci.yml"


def command_options() -> dict[str, set[str]]:
    group = typer.main.get_command(app)
    commands = group.commands  # type: ignore[attr-defined]
    return {
        name: {opt for param in command.params for opt in param.opts if opt.startswith("-")}
        for name, command in commands.items()
    }


def scripts(document: Any) -> list[str]:
    """Every shell script of a workflow (`run:`) or job (`script:` items and the like)."""
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "run" and isinstance(value, str):
                found.append(value)
            elif key in ("script", "before_script", "after_script") and isinstance(value, list):
                found.extend(str(item) for item in value)
            else:
                found.extend(scripts(value))
    elif isinstance(document, list):
        for item in document:
            found.extend(scripts(item))
    return found


def seculite_calls(script: str) -> list[tuple[str, list[str]]]:
    """(command, options) of each `seculite …` call; a call ends at a line end that is not
    continued, or at `||` / `&&`; command substitutions are values."""
    joined = re.sub(r"\$\([^)]*\)", "VALUE", re.sub(r"\\\n", " ", script))
    calls = []
    for match in re.finditer(r"\bseculite (import|scan|gate)\b([^\n|&]*)", joined):
        calls.append((match[1], re.findall(r"(?<!\S)(--?[a-z][a-z-]*)", match[2])))
    return calls


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=lambda p: p.name)
def test_every_seculite_call_uses_existing_options(path: Path) -> None:
    options = command_options()
    calls = [
        call
        for script in scripts(yaml.safe_load(path.read_text()))
        for call in seculite_calls(script)
    ]

    assert {command for command, _ in calls} == {"import", "gate"}
    for command, used in calls:
        assert set(used) <= options[command], (command, set(used) - options[command])


def test_github_scripts_never_expand_expressions_inline() -> None:
    workflow = yaml.safe_load(GITHUB.read_text())
    for script in scripts(workflow):
        assert "${{" not in script, script


def test_pull_request_refs_are_the_forges_own() -> None:
    assert "refs/pull/$PR_NUMBER/head" in GITHUB.read_text()
    assert "refs/merge-requests/$CI_MERGE_REQUEST_IID/head" in GITLAB.read_text()
    upload = next(
        step
        for step in yaml.safe_load(GITHUB.read_text())["jobs"]["seculite"]["steps"]
        if str(step.get("uses", "")).startswith("github/codeql-action/upload-sarif")
    )
    assert upload["with"]["sarif_file"] == "seculite.sarif"
    job = yaml.safe_load(GITLAB.read_text())["seculite"]
    assert job["artifacts"]["reports"]["junit"] == "seculite-junit.xml"
    assert job["artifacts"]["when"] == "always"
