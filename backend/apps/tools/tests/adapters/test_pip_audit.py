"""pip-audit adapter: findings, the silent "nothing audited" case, argv, real runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.tools.adapters.base import ToolOutputError
from apps.tools.adapters.pip_audit import pip_audit
from apps.tools.tests.adapters import loopback
from apps.tools.tests.adapters.recorded import (
    fake_executable,
    parse,
    run_real,
    sample,
    tree_target,
)


def test_parses_one() -> None:
    [finding] = parse(pip_audit, "one")
    assert finding.rule_id == "PYSEC-2019-132"
    assert finding.cve == "CVE-2019-11324"
    assert (finding.package_name, finding.package_version, finding.fixed_version) == (
        "urllib3",
        "1.23",
        "1.24.2",
    )
    assert finding.severity == "unknown"  # pip-audit reports no severity
    assert finding.fingerprint_hint == "pypi:urllib3:1.23:PYSEC-2019-132"
    assert "CA certificates" in finding.description


def test_parses_many() -> None:
    findings = parse(pip_audit, "many")
    assert len(findings) == 3
    by_id = {f.rule_id: f for f in findings}
    assert by_id["PYSEC-2018-28"].cve == "CVE-2018-18074"  # CVE alias wins over the PYSEC id
    assert by_id["PYSEC-2018-28"].evidence["aliases"]
    assert by_id["CVE-2023-32681"].fixed_version == "2.31.0"
    assert {f.package_name for f in findings} == {"requests", "urllib3"}


def test_empty_is_a_clean_audit() -> None:
    assert parse(pip_audit, "empty") == []
    verdict = pip_audit.interpret_exit(
        exit_code=0, output_path=sample("pip_audit", "empty"), stderr=""
    )
    assert verdict.ok


def test_all_skipped_is_a_failure_not_a_clean_result() -> None:
    """Recorded without network: pip-audit printed "No known vulnerabilities found" and
    exited 0, yet every dependency carries a skip_reason."""
    path = sample("pip_audit", "failure_all_skipped")
    verdict = pip_audit.interpret_exit(
        exit_code=0, output_path=path, stderr="No known vulnerabilities found\n"
    )
    assert not verdict.ok
    assert "could not audit any of the 5 dependencies" in verdict.reason
    with pytest.raises(ToolOutputError, match="could not audit any"):
        list(pip_audit.parse(output_path=path, target=tree_target(Path("/scan/root"))))


def test_no_dependencies_is_a_failure(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    out.write_text(json.dumps({"dependencies": [], "fixes": []}))
    verdict = pip_audit.interpret_exit(exit_code=0, output_path=out, stderr="")
    assert not verdict.ok
    assert "no dependencies" in verdict.reason


def test_partly_skipped_still_counts(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    report = {
        "dependencies": [
            {"name": "private-lib", "skip_reason": "Dependency not found on PyPI"},
            {
                "name": "jinja2",
                "version": "3.1.3",
                "vulns": [
                    {
                        "id": "GHSA-h75v-3vvj-5mfj",
                        "fix_versions": ["3.1.4"],
                        "aliases": ["CVE-2024-34064"],
                        "description": "xmlattr filter",
                    }
                ],
            },
        ],
        "fixes": [],
    }
    out.write_text(json.dumps(report))
    assert pip_audit.interpret_exit(exit_code=1, output_path=out, stderr="").ok
    [finding] = pip_audit.parse(output_path=out, target=tree_target(tmp_path))
    assert finding.cve == "CVE-2024-34064"
    assert finding.rule_id == "GHSA-h75v-3vvj-5mfj"


def test_exit_codes(tmp_path: Path) -> None:
    many = sample("pip_audit", "many")
    assert pip_audit.interpret_exit(exit_code=1, output_path=many, stderr="Found 3").ok
    missing = tmp_path / "none.json"
    crashed = pip_audit.interpret_exit(
        exit_code=1, output_path=missing, stderr="requests.exceptions.ConnectionError: boom\n"
    )
    assert not crashed.ok
    assert "ConnectionError" in crashed.reason
    assert not pip_audit.interpret_exit(exit_code=2, output_path=many, stderr="").ok


@pytest.mark.parametrize("content", ["", "not json at all", "[1, 2]", '{"deps": []}'])
def test_garbage_raises(tmp_path: Path, content: str) -> None:
    out = tmp_path / "report.json"
    out.write_text(content)
    with pytest.raises(ToolOutputError):
        list(pip_audit.parse(output_path=out, target=tree_target(tmp_path)))


def test_argv_requirements_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_executable(monkeypatch, pip_audit, "/opt/pip-audit")
    (tmp_path / "requirements.txt").write_text("requests==2.19.0\n")
    out = tmp_path / "out" / "r.json"
    config = {"vulnerability_service": "osv", "osv_url": "http://127.0.0.1:9/v1/query"}
    command = pip_audit.build_command(target=tree_target(tmp_path), config=config, output_path=out)
    argv = list(command.argv)
    assert argv[0] == "/opt/pip-audit"
    assert argv[argv.index("--requirement") + 1] == str(tmp_path.resolve() / "requirements.txt")
    assert argv[argv.index("--format") + 1] == "json"
    assert "--osv-url=http://127.0.0.1:9/v1/query" in argv
    assert command.output_written_by_tool and command.output_path == out


@pytest.mark.parametrize("project_file", ["pyproject.toml", "setup.py", "setup.cfg"])
def test_argv_never_audits_the_project_itself(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, project_file: str
) -> None:
    """Auditing the project makes pip build it, which runs the scanned code (issue 10)."""
    fake_executable(monkeypatch, pip_audit, "/opt/pip-audit")
    (tmp_path / project_file).write_text("[project]\nname='x'\n")
    with pytest.raises(ValueError, match="nothing for pip-audit to audit"):
        pip_audit.build_command(
            target=tree_target(tmp_path), config={}, output_path=tmp_path / "o.json"
        )


def test_argv_default_never_runs_pip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """By default pinned requirements are read without pip: nothing is resolved or built."""
    fake_executable(monkeypatch, pip_audit, "/opt/pip-audit")
    (tmp_path / "requirements.txt").write_text("requests==2.19.0\n")
    command = pip_audit.build_command(
        target=tree_target(tmp_path), config={}, output_path=tmp_path / "o.json"
    )
    assert "--no-deps" in command.argv and "--disable-pip" in command.argv
    assert str(tmp_path.resolve()) not in command.argv  # never the project as a positional


def test_argv_resolution_never_builds_sdists(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_executable(monkeypatch, pip_audit, "/opt/pip-audit")
    (tmp_path / "requirements.txt").write_text("requests>=2\n")
    command = pip_audit.build_command(
        target=tree_target(tmp_path), config={"no_deps": False}, output_path=tmp_path / "o.json"
    )
    assert "--disable-pip" not in command.argv
    assert command.env["PIP_ONLY_BINARY"] == ":all:"


@pytest.mark.parametrize(
    "line",
    [
        ".",
        "./sub",
        "-e .",
        "--editable=.",
        "/abs/pkg",
        "file:///tmp/x",
        "pkg @ file:///x",
        "git+https://example.com/x.git",
        "--index-url http://127.0.0.1:6379/",
        "-i http://127.0.0.1/",
        "--extra-index-url=http://x",
        "--find-links /tmp",
        "--trusted-host x",
    ],
)
def test_argv_refuses_requirements_that_run_or_fetch_from_anywhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, line: str
) -> None:
    fake_executable(monkeypatch, pip_audit, "/opt/pip-audit")
    (tmp_path / "requirements.txt").write_text(f"idna==2.7\n{line}\n")
    with pytest.raises(ValueError, match=r"requirements\.txt line 2"):
        pip_audit.build_command(
            target=tree_target(tmp_path), config={}, output_path=tmp_path / "o.json"
        )


@pytest.mark.parametrize(
    "files", [["../etc/passwd"], ["-r/etc/passwd"], ["/etc/passwd"], ["--index-url=http://x"]]
)
def test_argv_rejects_unsafe_requirement_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, files: list[str]
) -> None:
    fake_executable(monkeypatch, pip_audit, "/opt/pip-audit")
    with pytest.raises(ValueError):
        pip_audit.build_command(
            target=tree_target(tmp_path),
            config={"requirement_files": files},
            output_path=tmp_path / "o.json",
        )


def test_argv_refuses_a_tree_with_nothing_to_audit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_executable(monkeypatch, pip_audit, "/opt/pip-audit")
    with pytest.raises(ValueError, match="nothing for pip-audit"):
        pip_audit.build_command(
            target=tree_target(tmp_path), config={}, output_path=tmp_path / "o.json"
        )


@pytest.mark.scanner
def test_real_run_against_loopback_osv(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "requirements.txt").write_text("requests==2.19.0\nurllib3==1.23\nidna==2.7\n")
    with loopback.FakeOsvApi() as osv:
        config = {"vulnerability_service": "osv", "osv_url": osv.query_url, "no_deps": True}
        run = run_real(pip_audit, tree_target(tree), tmp_path, config)
    assert run.outcome.exit_code == 1  # pip-audit exits 1 when it found vulnerabilities
    assert run.verdict.ok, run.verdict.reason
    findings = run.findings(pip_audit)
    assert {f.fingerprint_hint for f in findings} == {
        "pypi:requests:2.19.0:PYSEC-2018-28",
        "pypi:requests:2.19.0:CVE-2023-32681",
        "pypi:urllib3:1.23:PYSEC-2019-132",
    }


@pytest.mark.scanner
def test_real_run_with_unreachable_service_fails(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "requirements.txt").write_text("idna==2.7\n")
    closed = loopback.free_port()
    config = {
        "vulnerability_service": "osv",
        "osv_url": f"http://127.0.0.1:{closed}/v1/query",
        "no_deps": True,
        "request_timeout_seconds": 5,
    }
    run = run_real(pip_audit, tree_target(tree), tmp_path, config)
    assert not run.verdict.ok
    assert "pip-audit" in run.verdict.reason
