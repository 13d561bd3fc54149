"""The real `seculite` command line against the plain-process stack (nginx, gunicorn, a Celery
worker, PostgreSQL, Redis): a CI key imports a default-branch Semgrep report and a pull
request's report with one more high finding; `seculite gate` fails on it and lists it in its
SARIF and Markdown; once the finding is triaged as a false positive, the gate passes."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from deploy_tests.conftest import BACKEND_DIR, Stack

pytestmark = [pytest.mark.deploy]

SEMGREP_SAMPLE = BACKEND_DIR / "apps" / "tools" / "tests" / "samples" / "semgrep" / "many.json"
PR_REF = "refs/pull/1/head"
NEW_RULE = "python.lang.security.audit.exec-detected.exec-detected"
PROJECT = "CLI gate"


def seculite_binary() -> Path:
    """The console script the backend's environment installed (cli/ as a path dependency)."""
    binary = Path(sys.executable).parent / "seculite"
    if not binary.is_file():
        pytest.fail(f"{binary} is missing: run `poetry install` in backend/ (it installs ../cli)")
    return binary


def seculite(stack: Stack, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SECULITE_")},
        "SECULITE_URL": stack.url,
        "SECULITE_TOKEN": token,
        "SECULITE_POLL_INTERVAL": "0.5",
        "COLUMNS": "200",
    }
    return subprocess.run(  # noqa: S603 - fixed argv built by the test
        [str(seculite_binary()), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def reports(tmp_path: Path) -> tuple[Path, Path, dict[str, Any]]:
    """The sample Semgrep report as the default branch's, and the same plus one high finding
    (a new rule on a new line) as the pull request's."""
    main = json.loads(SEMGREP_SAMPLE.read_text())
    pull = copy.deepcopy(main)
    planted = copy.deepcopy(next(r for r in main["results"] if r["extra"]["severity"] == "ERROR"))
    planted.update(
        check_id=NEW_RULE,
        start={"line": 77, "col": 5, "offset": 2000},
        end={"line": 77, "col": 30, "offset": 2025},
    )
    planted["extra"].update(message="exec() runs a string built from request data.")
    pull["results"].append(planted)
    main_path, pull_path = tmp_path / "semgrep-main.json", tmp_path / "semgrep-pr.json"
    main_path.write_text(json.dumps(main))
    pull_path.write_text(json.dumps(pull))
    return main_path, pull_path, planted


def test_gate_fails_on_a_new_high_finding_and_passes_once_it_is_triaged(
    stack: Stack, tmp_path: Path
) -> None:
    admin = stack.admin_client()
    project = admin.post("/api/v1/projects/", json_body={"name": PROJECT})
    assert project.status == 201, project.text
    project_id = project.json()["id"]
    key = admin.post(
        "/api/v1/api-keys/",
        json_body={"name": "ci", "project": project_id, "scopes": ["read", "import"]},
    )
    assert key.status == 201, key.text
    token = key.json()["key"]
    main_report, pull_report, planted = reports(tmp_path)
    target = (
        "--target",
        "app",
        "--target-type",
        "git_repository",
        "--target-identifier",
        "https://git.example.com/acme/app.git",
    )

    # The default branch, then the pull request: both processed by the worker.
    for report, ref, commit in ((main_report, "main", "a" * 40), (pull_report, PR_REF, "b" * 40)):
        imported = seculite(
            stack,
            token,
            "import",
            str(report),
            "--project",
            PROJECT,
            "--format",
            "semgrep",
            *target,
            "--ref",
            ref,
            "--commit",
            commit,
            "--tool-version",
            "1.99.0",
            "--wait",
        )
        assert imported.returncode == 0, (imported.stdout, imported.stderr, stack.logs())
        assert "completed" in imported.stdout

    sarif, markdown, junit = tmp_path / "gate.sarif", tmp_path / "gate.md", tmp_path / "junit.xml"
    gate_args = (
        "gate",
        "--project",
        PROJECT,
        "--ref",
        PR_REF,
        "--base",
        "main",
        "--fail-on",
        "high",
        "--sarif",
        str(sarif),
        "--markdown",
        str(markdown),
        "--junit",
        str(junit),
    )
    gate = seculite(stack, token, *gate_args)

    assert gate.returncode == 1, (gate.stdout, gate.stderr)
    log = json.loads(sarif.read_text())
    results = [result for run in log["runs"] for result in run["results"]]
    assert [result["ruleId"] for result in results] == [NEW_RULE], results
    (result,) = results
    assert result["level"] == "error"
    assert result["properties"]["severity"] == "high"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith(Path(planted["path"]).name)
    assert location["region"]["startLine"] == 77
    finding_id = result["properties"]["seculite_id"]
    comment = markdown.read_text()
    assert "SecuLite gate ❌ failed" in comment
    assert f"({stack.url}/findings/{finding_id})" in comment
    assert "| exec() runs a string built from request data. |" in comment
    assert 'failures="1"' in junit.read_text()
    assert f"{stack.url}/findings/{finding_id}" in gate.stdout

    # A person triages it as a false positive: the next gate of the same ref passes.
    triaged = admin.post(
        f"/api/v1/findings/{finding_id}/status/",
        json_body={"status": "false_positive", "reason": "exec() only sees a constant here."},
    )
    assert triaged.status == 200, triaged.text
    again = seculite(stack, token, *gate_args)

    assert again.returncode == 0, (again.stdout, again.stderr)
    assert "Gate passed." in again.stdout
    assert [r for run in json.loads(sarif.read_text())["runs"] for r in run["results"]] == []
    assert "SecuLite gate ✅ passed" in markdown.read_text()


def test_scan_runs_a_configuration_on_the_worker_and_waits_for_it(stack: Stack) -> None:
    admin = stack.admin_client()
    tools = admin.get("/api/v1/tools/?page_size=500").json()["results"]
    if not any(tool["slug"] == "bandit" and tool["available"] for tool in tools):
        pytest.fail("bandit is missing on the stack's worker (run scripts/install-scanners.sh)")
    project = admin.post("/api/v1/projects/", json_body={"name": "CLI scan"})
    assert project.status == 201, project.text
    project_id = project.json()["id"]
    target = admin.post(
        f"/api/v1/projects/{project_id}/targets/",
        json_body={"name": "sample", "asset_type": "codebase_path",
                   "identifier": str(stack.sample_dir)},
    )  # fmt: skip
    assert target.status == 201, target.text
    config = admin.post(
        f"/api/v1/projects/{project_id}/scan-configurations/",
        json_body={"name": "Bandit", "targets": [target.json()["id"]],
                   "tools": [{"tool": "bandit"}]},
    )  # fmt: skip
    assert config.status == 201, config.text
    key = admin.post("/api/v1/api-keys/", json_body={"name": "cli scan"})
    assert key.status == 201, key.text

    result = seculite(stack, key.json()["key"], "scan", "--project", "CLI scan",
                      "--configuration", "Bandit", "--wait")  # fmt: skip

    assert result.returncode == 0, (result.stdout, result.stderr, stack.logs())
    scan_id = int(result.stdout.split("Started scan ", 1)[1].split()[0])
    assert f"Scan {scan_id} completed:" in result.stdout
    assert "Bandit on sample: completed" in result.stderr
    scan = admin.get(f"/api/v1/scans/{scan_id}/").json()
    assert (scan["status"], scan["trigger"]) == ("completed", "api")


def test_errors_exit_2_with_one_line(stack: Stack) -> None:
    wrong = seculite(stack, "sl_not_a_key", "gate", "--project", PROJECT, "--ref", PR_REF)

    assert wrong.returncode == 2
    assert wrong.stderr.startswith("seculite: error: authentication failed (HTTP 401")
    assert len(wrong.stderr.strip().splitlines()) == 1
    assert "sl_not_a_key" not in wrong.stderr + wrong.stdout
