"""Coverage and applicability: what each tool really analysed (from its own output) and
whether it has anything to look at in a target, decided before it runs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from apps.tools.adapters.base import PreparedTarget
from apps.tools.adapters.coverage import MAX_UNANALYSED, coverage_of
from apps.tools.adapters.registry import ADAPTERS
from apps.tools.tests.adapters.recorded import domain_target, require_binary, sample, url_target
from apps.tools.tests.adapters.sample_runs import (
    FIXTURES,
    PLACEHOLDER_ROOT,
    PLAN,
    SAMPLES,
    build_tree,
    run_tool,
    target_for,
)

SHAPE = {"unit", "analysed", "unanalysed", "unanalysed_count", "summary"}
CODE_TOOLS = sorted(PLAN)


def coverage_of_sample(tool_id: str, path: Path, target: PreparedTarget | None = None):
    adapter = ADAPTERS[tool_id]
    return adapter.coverage(
        output_path=path, target=target or target_for(PLACEHOLDER_ROOT), stderr=""
    )


# --- partial runs: real outputs of the tools on a tree with files they cannot parse -------

# tool → (analysed as the tool reports it, the file it could not analyse)
PARTIAL = {
    "semgrep": (2, "broken/half.py"),
    "bandit": (1, "broken/half.py"),
    "njsscan": (None, "broken/bad.js"),
    "eslint": (1, "broken/bad.js"),
    "checkov": (None, "broken/broken.tf"),
    "hadolint": (1, "broken/Dockerfile"),
    "shellcheck": (1, "broken/broken.sh"),
}


@pytest.mark.parametrize("tool_id", sorted(PARTIAL))
def test_files_a_tool_could_not_parse_are_listed_as_unanalysed(tool_id: str) -> None:
    outputs = (SAMPLES / tool_id).glob("partial.*")
    output = next(p for p in outputs if not p.name.endswith(".inputs.json"))
    coverage = coverage_of_sample(tool_id, output)
    as_json = coverage.as_json()
    assert set(as_json) == SHAPE
    analysed, path = PARTIAL[tool_id]
    assert as_json["unit"] == "files"
    assert as_json["analysed"] == analysed
    assert path in [item["path"] for item in as_json["unanalysed"]]
    assert all(set(item) == {"path", "reason"} and item["reason"] for item in as_json["unanalysed"])
    assert as_json["unanalysed_count"] == len(as_json["unanalysed"]) >= 1
    assert coverage.partial
    assert "could not be analysed" in as_json["summary"]


def test_semgrep_names_why_each_file_was_not_fully_analysed() -> None:
    coverage = coverage_of_sample("semgrep", SAMPLES / "semgrep" / "partial.json")
    assert dict(coverage.unanalysed) == {
        "broken/bad.js": "partly parsed (syntax error)",
        "broken/half.py": "partly parsed (syntax error)",
    }


def test_bandit_keeps_its_own_reason() -> None:
    coverage = coverage_of_sample("bandit", SAMPLES / "bandit" / "partial.json")
    assert coverage.unanalysed == (("broken/half.py", "syntax error while parsing AST from file"),)


@pytest.mark.parametrize("tool_id", ["semgrep", "bandit", "eslint"])
def test_a_clean_run_analysed_every_file_it_read(tool_id: str) -> None:
    output = next((SAMPLES / tool_id).glob("many.*"))
    coverage = coverage_of_sample(tool_id, output)
    assert coverage.analysed and coverage.analysed >= 1
    assert coverage.unanalysed_count == 0 and not coverage.partial


def test_the_unanalysed_list_is_capped_but_counted() -> None:
    coverage = coverage_of("files", 3, [(f"f{n}.py", "timed out") for n in range(250)])
    assert len(coverage.as_json()["unanalysed"]) == MAX_UNANALYSED
    assert coverage.unanalysed_count == 250
    assert coverage.summary == "3 files analysed; 250 files could not be analysed."


# --- other units --------------------------------------------------------------------------


def test_nmap_with_no_host_up_analysed_nothing() -> None:
    # Recorded with the adapter's argv (host discovery on) inside `unshare -rn` with loopback
    # up and 127.0.0.66 dropped by iptables: no packet left the namespace.
    coverage = ADAPTERS["nmap"].coverage(
        output_path=sample("nmap", "failure_no_host_up"),
        target=domain_target("127.0.0.66"),
        stderr="",
    )
    assert coverage.unit == "hosts"
    assert coverage.analysed == 0
    assert coverage.unanalysed_count == 1
    assert coverage.unanalysed[0][0] == "127.0.0.66"
    assert "No host was up" in coverage.summary


def test_nmap_counts_hosts_up() -> None:
    coverage = ADAPTERS["nmap"].coverage(
        output_path=sample("nmap", "many"), target=domain_target("127.0.0.1"), stderr=""
    )
    assert (coverage.analysed, coverage.unanalysed_count) == (1, 0)
    assert coverage.summary == "1 of 1 host up."


def test_pip_audit_counts_dependencies_and_lists_the_skipped() -> None:
    target = target_for(PLACEHOLDER_ROOT)
    many = ADAPTERS["pip_audit"].coverage(
        output_path=sample("pip_audit", "many"), target=target, stderr=""
    )
    assert (many.unit, many.analysed, many.unanalysed_count) == ("dependencies", 5, 0)
    skipped = ADAPTERS["pip_audit"].coverage(
        output_path=sample("pip_audit", "failure_all_skipped"), target=target, stderr=""
    )
    assert skipped.analysed == 0
    assert skipped.unanalysed_count >= 1
    assert all(reason for _, reason in skipped.unanalysed)


def test_npm_audit_counts_the_dependencies_it_checked() -> None:
    coverage = ADAPTERS["npm_audit"].coverage(
        output_path=sample("npm_audit", "many"), target=target_for(PLACEHOLDER_ROOT), stderr=""
    )
    assert (coverage.unit, coverage.analysed) == ("dependencies", 2)
    assert coverage.summary == "2 dependencies analysed."


def test_wapiti_counts_crawled_urls_and_tls_tools_servers() -> None:
    target = url_target("https://127.0.0.1:18443/")
    wapiti = ADAPTERS["wapiti"].coverage(
        output_path=sample("wapiti", "many"), target=target, stderr=""
    )
    assert (wapiti.unit, wapiti.analysed) == ("urls", 6)
    for tool_id in ("sslyze", "testssl"):
        servers = ADAPTERS[tool_id].coverage(
            output_path=sample(tool_id, "many"), target=target, stderr=""
        )
        assert (servers.unit, servers.analysed) == ("servers", 1)


def test_a_tool_that_does_not_say_reports_unknown() -> None:
    coverage = ADAPTERS["detect-secrets"].coverage(
        output_path=sample("detect-secrets", "many"),
        target=target_for(PLACEHOLDER_ROOT),
        stderr="",
    )
    assert coverage.analysed is None
    assert coverage.summary == "detect-secrets does not report how many files it analysed."


# --- applicability ------------------------------------------------------------------------

NOT_APPLICABLE = {
    "npm_audit": "no package-lock.json or npm-shrinkwrap.json",
    "pip_audit": "no requirements.txt at the top of the tree",
    "hadolint": "no Dockerfiles",
    "bandit": "no Python files",
    "shellcheck": "no shell scripts",
    "eslint": "no JavaScript files",
    "njsscan": "no JavaScript/TypeScript files",
    "checkov": "no infrastructure-as-code files",
    "semgrep": "no Python/JavaScript/TypeScript/Docker files",
}


@pytest.mark.parametrize("tool_id", sorted(NOT_APPLICABLE))
def test_a_tool_with_nothing_to_look_at_says_why(tool_id: str, tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("Only documentation here.\n")
    adapter = ADAPTERS[tool_id]
    config = {**adapter.default_config}
    if tool_id == "semgrep":
        config["rulesets"] = ["python", "javascript", "dockerfile"]
    reason = adapter.not_applicable_reason(target=target_for(tmp_path), config=config)
    assert reason.startswith("Not applicable: ")
    assert NOT_APPLICABLE[tool_id] in reason


@pytest.mark.parametrize("tool_id", CODE_TOOLS)
def test_a_tool_with_its_inputs_applies(tool_id: str, tmp_path: Path) -> None:
    root = build_tree(tool_id, "many", tmp_path)
    adapter = ADAPTERS[tool_id]
    assert (
        adapter.not_applicable_reason(target=target_for(root), config=adapter.default_config) == ""
    )
    assert adapter.input_files(target=target_for(root), config=adapter.default_config)


def test_dependency_tools_apply_with_their_manifest(tmp_path: Path) -> None:
    (tmp_path / "package-lock.json").write_text("{}")
    (tmp_path / "requirements.txt").write_text("requests==2.0.0\n")
    for tool_id in ("npm_audit", "pip_audit"):
        adapter = ADAPTERS[tool_id]
        target = target_for(tmp_path)
        assert adapter.not_applicable_reason(target=target, config=adapter.default_config) == ""


def test_pip_audit_never_builds_a_project_to_find_its_dependencies(tmp_path: Path) -> None:
    """A pyproject.toml alone would need the project built (its code run): not applicable."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    pip_audit = ADAPTERS["pip_audit"]
    reason = pip_audit.not_applicable_reason(
        target=target_for(tmp_path), config=pip_audit.default_config
    )
    assert "never builds the project" in reason


def test_semgrep_secrets_rules_apply_to_any_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    semgrep = ADAPTERS["semgrep"]
    assert semgrep.not_applicable_reason(target=target_for(tmp_path), config={}) == ""
    empty = tmp_path / "empty"
    empty.mkdir()
    assert semgrep.not_applicable_reason(target=target_for(empty), config={})


def test_network_tools_always_have_their_target() -> None:
    for tool_id in ("nmap", "wapiti", "sslyze", "testssl"):
        adapter = ADAPTERS[tool_id]
        target = url_target("https://127.0.0.1:18443/")
        assert adapter.not_applicable_reason(target=target, config=adapter.default_config) == ""


# --- a codebase path inside a git-ignored folder of a repository ---------------------------


def ignored_checkout(tmp_path: Path, tool_id: str) -> Path:
    """The tool's "many" tree at <repo>/var/code/project/tests/, in a repository that
    git-ignores var/ (as the README's first command sets up var/code); `tests/` is also in
    Semgrep's default ignore list."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git = shutil.which("git")
    assert git
    subprocess.run([git, "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text("var/\n")
    subprocess.run(
        [git, "-C", str(repo), "-c", "user.email=t@example.test", "-c", "user.name=t",
         "commit", "-q", "--allow-empty", "-m", "init"],
        check=True,
    )  # fmt: skip
    project = repo / "var" / "code" / "project"
    tests = project / "tests"
    tests.mkdir(parents=True)
    for fixture in PLAN[tool_id]["many"]:
        shutil.copytree(FIXTURES / fixture, tests / fixture.split("/")[0], dirs_exist_ok=True)
    return project


@pytest.mark.scanner
@pytest.mark.parametrize("tool_id", CODE_TOOLS)
def test_a_tree_in_a_git_ignored_folder_is_analysed_as_it_is(tool_id: str, tmp_path: Path) -> None:
    adapter = ADAPTERS[tool_id]
    require_binary(adapter)
    project = ignored_checkout(tmp_path, tool_id)
    run = run_tool(adapter, project, tmp_path)
    assert run.verdict.ok, run.verdict.reason
    findings = run.findings(adapter, project)
    assert findings, f"{tool_id} found nothing in a git-ignored folder"
    assert all(f.file_path.startswith("tests/") for f in findings)
    coverage = adapter.coverage(
        output_path=run.output_path, target=target_for(project), stderr=run.outcome.stderr_tail
    )
    assert coverage.analysed is None or coverage.analysed >= 1


def test_osv_scanner_ignores_git_rules_by_default(tmp_path: Path, monkeypatch) -> None:
    """OSV-Scanner honours .gitignore up to the repository root unless told not to."""
    osv = ADAPTERS["osv_scanner"]
    monkeypatch.setattr(type(osv), "executable", lambda self: "/usr/bin/osv-scanner")
    command = osv.build_command(
        target=target_for(tmp_path), config=osv.default_config, output_path=tmp_path / "o"
    )
    assert "--no-ignore" in command.argv
