"""`seculite gate`: the judged scan, the verdict and exit code, the printed table and the
SARIF, Markdown and JUnit files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import URL, Cli, finding

SARIF_SCHEMA = Path(__file__).parent / "schemas" / "sarif-2.1.0-rtm.5.json"

HIGH = finding(345, "high", "SQL injection in raw query", path="app/db.py", line=40)
LOW = finding(
    346,
    "low",
    "Debug mode | enabled",
    path="settings.py",
    line=3,
    rule="python.django.debug",
    cwe=None,
)
DEPENDENCY = finding(
    347,
    "medium",
    "CVE-2024-1234 in requests",
    path="",
    line=0,
    tool="trivy",
    rule="CVE-2024-1234",
    package_name="requests",
    package_version="2.0.0",
    line_start=None,
    line_end=None,
)


def compare_answer(*new: dict[str, Any], base_scan: bool = True, **extra: Any) -> dict[str, Any]:
    return {
        "scan": {
            "id": 11,
            "ref": "refs/pull/1/head",
            "commit_sha": "abc1234",
            "status": "completed",
            "finished_at": "2026-01-01T00:00:00Z",
        },
        "base_scan": {
            "id": 10,
            "ref": "main",
            "commit_sha": "def5678",
            "status": "completed",
            "finished_at": "2026-01-01T00:00:00Z",
        }
        if base_scan
        else None,
        "counts": {"new": len(new), "fixed": 2, "unchanged": 41},
        "new": list(new),
        "fixed": [],
        "truncated": False,
        **extra,
    }


@pytest.fixture
def pr(cli: Cli) -> Cli:
    """A default-branch scan 10 and a pull-request scan 11 with one new high and one low."""
    cli.server.add_scan(10, ref="main")
    cli.server.add_scan(11, ref="refs/pull/1/head")
    cli.server.compares[11] = compare_answer(LOW, HIGH)
    return cli


@cache
def sarif_validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text()))


def assert_valid_sarif(log: dict[str, Any]) -> None:
    errors = sorted(sarif_validator().iter_errors(log), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors]


def test_a_new_high_finding_fails_the_gate_and_lands_in_every_report(
    pr: Cli, tmp_path: Path
) -> None:
    sarif, markdown, junit = tmp_path / "gate.sarif", tmp_path / "gate.md", tmp_path / "junit.xml"

    result = pr(
        "gate",
        "--project",
        "web",
        "--ref",
        "refs/pull/1/head",
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

    assert result.exit_code == 1, result.output
    (compare,) = pr.server.sent("GET", "/api/v1/scans/11/compare/")
    assert compare.url.params["base"] == "main"
    (listing,) = pr.server.sent("GET", "/api/v1/projects/1/scans/")
    assert listing.url.params["ref"] == "refs/pull/1/head"
    # The table: worst first, with the finding's location and link.
    out = result.stdout
    assert out.index("SQL injection in raw query") < out.index("Debug mode | enabled")
    assert "app/db.py:40-42" in out
    assert f"{URL}/findings/345" in out
    assert "2 new findings (1 high, 1 low), 1 at or above high; 2 fixed; 41 unchanged" in out
    assert "Gate failed: 1 new finding(s) at or above high." in out

    log = json.loads(sarif.read_text())
    assert_valid_sarif(log)
    (run,) = log["runs"]
    assert run["tool"]["driver"]["name"] == "Semgrep"
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert rules["python.django.security.injection.sql"]["properties"]["security-severity"] == "8.0"
    assert rules["python.django.debug"]["properties"]["security-severity"] == "2.0"
    high = next(r for r in run["results"] if r["ruleId"] == "python.django.security.injection.sql")
    assert high["level"] == "error"
    assert run["tool"]["driver"]["rules"][high["ruleIndex"]]["id"] == high["ruleId"]
    assert high["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "app/db.py"},
        "region": {"startLine": 40, "endLine": 42},
    }
    assert high["partialFingerprints"] == {"seculiteFindingId/v1": "345"}
    assert high["properties"]["seculite_url"] == f"{URL}/findings/345"

    comment = markdown.read_text()
    assert "### SecuLite gate ❌ failed" in comment
    assert (
        "**2 new findings (1 high, 1 low), 1 at or above high; 2 fixed; 41 unchanged.**" in comment
    )
    assert (
        "| 🟠 High | SQL injection in raw query | `app/db.py:40-42` | Semgrep "
        f"| [#345]({URL}/findings/345) |" in comment
    )
    assert "Debug mode \\| enabled" in comment  # a pipe in a title does not break the table
    assert (
        f"[scan 11]({URL}/scans/11) of `refs/pull/1/head` with [scan 10]({URL}/scans/10) of `main`"
        in comment
    )

    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("1", "1")
    (case,) = suite.findall("testcase")
    assert case.get("name") == "[high] SQL injection in raw query at app/db.py:40-42"
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "high"
    assert f"{URL}/findings/345" in (failure.text or "")


@pytest.mark.parametrize(
    ("fail_on", "exit_code"),
    [
        ("critical", 0),
        ("high", 1),
        ("medium", 1),
        ("low", 1),
        ("informational", 1),
        ("none", 0),
        ("HIGH", 1),
    ],
)
def test_threshold(pr: Cli, fail_on: str, exit_code: int) -> None:
    result = pr(
        "gate", "-p", "web", "--ref", "refs/pull/1/head", "--base", "main", "--fail-on", fail_on
    )

    assert result.exit_code == exit_code, result.output


def test_only_findings_at_the_threshold_are_junit_failures(pr: Cli, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"

    result = pr(
        "gate", "-p", "web", "--ref", "refs/pull/1/head", "--fail-on", "low", "--junit", str(junit)
    )

    assert result.exit_code == 1
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    names = [case.get("name") for case in suite.findall("testcase")]
    assert names == [
        "[high] SQL injection in raw query at app/db.py:40-42",
        "[low] Debug mode | enabled at settings.py:3-5",
    ]


def test_no_new_findings_passes_with_an_empty_sarif_run(pr: Cli, tmp_path: Path) -> None:
    pr.server.compares[11] = compare_answer()
    sarif, markdown, junit = tmp_path / "g.sarif", tmp_path / "g.md", tmp_path / "j.xml"

    result = pr(
        "gate",
        "-p",
        "web",
        "--ref",
        "refs/pull/1/head",
        "--base",
        "main",
        "--sarif",
        str(sarif),
        "--markdown",
        str(markdown),
        "--junit",
        str(junit),
    )

    assert result.exit_code == 0, result.output
    assert "Gate passed." in result.stdout
    log = json.loads(sarif.read_text())
    assert_valid_sarif(log)
    assert [run["results"] for run in log["runs"]] == [[]]
    assert "### SecuLite gate ✅ passed" in markdown.read_text()
    assert "| Severity |" not in markdown.read_text()
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("1", "0")
    assert [c.get("name") for c in suite.findall("testcase")] == [
        "no new findings at high or above"
    ]


def test_sarif_has_one_run_per_tool_and_package_locations(pr: Cli, tmp_path: Path) -> None:
    pr.server.compares[11] = compare_answer(HIGH, DEPENDENCY)
    sarif = tmp_path / "g.sarif"

    result = pr("gate", "-p", "web", "--scan", "11", "--sarif", str(sarif))

    assert result.exit_code == 1
    log = json.loads(sarif.read_text())
    assert_valid_sarif(log)
    assert [run["tool"]["driver"]["name"] for run in log["runs"]] == ["Semgrep", "Trivy"]
    (dependency,) = log["runs"][1]["results"]
    assert dependency["level"] == "warning"
    assert dependency["locations"] == [
        {"logicalLocations": [{"fullyQualifiedName": "requests@2.0.0", "kind": "module"}]}
    ]
    assert "requests@2.0.0" in result.stdout


def test_no_base_scan_says_everything_is_new(pr: Cli, tmp_path: Path) -> None:
    pr.server.compares[11] = compare_answer(HIGH, base_scan=False)
    markdown = tmp_path / "g.md"

    result = pr(
        "gate",
        "-p",
        "web",
        "--ref",
        "refs/pull/1/head",
        "--base",
        "release",
        "--markdown",
        str(markdown),
    )

    assert result.exit_code == 1
    assert "no finished scan of 'release' (every finding is new)" in result.stdout
    assert "no finished scan of `release` to compare with" in markdown.read_text()


def test_without_base_the_server_picks_the_default_branch(pr: Cli) -> None:
    result = pr("gate", "-p", "web", "--scan", "11")

    assert result.exit_code == 1
    (compare,) = pr.server.sent("GET", "/api/v1/scans/11/compare/")
    assert "base" not in compare.url.params


def test_ref_takes_the_latest_scan_of_that_ref_even_if_the_server_ignores_the_filter(
    pr: Cli,
) -> None:
    pr.server.filter_scans_by_ref = False
    pr.server.add_scan(12, ref="refs/pull/2/head")  # newer, another ref
    pr.server.add_scan(9, ref="refs/pull/1/head")  # older, same ref

    result = pr("gate", "-p", "web", "--ref", "refs/pull/1/head")

    assert result.exit_code == 1, result.output
    assert pr.server.sent("GET", "/api/v1/scans/11/compare/")


def test_waits_for_a_running_scan_of_the_ref(pr: Cli) -> None:
    pr.server.scans[11]["status"] = "running"
    pr.server.statuses[11] = ["running", "completed"]

    result = pr("gate", "-p", "web", "--ref", "refs/pull/1/head")

    assert result.exit_code == 1, result.output
    assert "Waiting for scan 11 (running) to end" in result.stderr
    assert len(pr.server.sent("GET", "/api/v1/scans/11/status/")) == 2


@pytest.mark.parametrize("end_state", ["failed", "error", "cancelled"])
def test_a_scan_that_did_not_complete_cannot_be_judged(pr: Cli, end_state: str) -> None:
    pr.server.scans[11].update(status=end_state, error_message="semgrep crashed")

    result = pr("gate", "-p", "web", "--ref", "refs/pull/1/head")

    assert result.exit_code == 2
    assert f"scan 11 ended {end_state}: semgrep crashed; the gate cannot judge it" in result.stderr
    assert pr.server.sent("GET", "/api/v1/scans/11/compare/") == []


def test_no_scan_of_the_ref(pr: Cli) -> None:
    result = pr("gate", "-p", "web", "--ref", "refs/pull/9/head")

    assert result.exit_code == 2
    assert "no scan of ref 'refs/pull/9/head' in project 'web'" in result.stderr


def test_a_scan_of_another_project_is_refused(pr: Cli) -> None:
    pr.server.add_scan(20, project=2, ref="main")

    result = pr("gate", "-p", "web", "--scan", "20")

    assert result.exit_code == 2
    assert "scan 20 is not a scan of project 'web'" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["gate", "-p", "web"],  # neither --scan nor --ref
        ["gate", "-p", "web", "--scan", "11", "--ref", "main"],  # both
        ["gate", "--ref", "main"],  # --ref without --project
        ["gate", "-p", "web", "--scan", "11", "--fail-on", "severe"],
        ["gate", "-p", "web", "--scan", "eleven"],
    ],
)
def test_usage_errors_exit_2_before_any_request(pr: Cli, args: list[str]) -> None:
    result = pr(*args)

    assert result.exit_code == 2, result.output
    assert pr.server.requests == []


def test_an_unwritable_report_path_is_a_one_line_error(pr: Cli, tmp_path: Path) -> None:
    result = pr("gate", "-p", "web", "--scan", "11", "--sarif", str(tmp_path / "no" / "x.sarif"))

    assert result.exit_code == 2
    assert result.stderr.strip().startswith("seculite: error: No such file or directory")
    assert "Traceback" not in result.output
