"""Bandit adapter: severity x confidence, JSON parsing, argv."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.tools.adapters.bandit import bandit, bandit_severity
from apps.tools.adapters.base import ToolOutputError
from apps.tools.tests.adapters.recorded import require_binary
from apps.tools.tests.adapters.sample_runs import (
    SampleRun,
    parse_report_text,
    parse_sample,
    run_tool,
    target_for,
    with_fake_executable,
)


def test_parses_one() -> None:
    [finding] = parse_sample(bandit, "one")
    assert finding.rule_id == "B307"
    assert finding.severity == "medium"  # MEDIUM severity x HIGH confidence
    assert finding.confidence == "high"
    assert finding.cwe == 78
    assert finding.file_path == "python/app.py"
    assert (finding.line_start, finding.line_end) == (5, 5)
    assert finding.snippet.splitlines()[1].strip() == "return eval(expression)"
    assert not any(line[:1].isdigit() for line in finding.snippet.splitlines())
    assert any("bandit.readthedocs.io" in ref for ref in finding.references)


def test_parses_many() -> None:
    findings = parse_sample(bandit, "many")
    assert len(findings) == 12
    by_rule = {f.rule_id: f for f in findings}
    assert by_rule["B602"].severity == "high"  # subprocess shell=True, HIGH x HIGH
    assert by_rule["B602"].line_start == 17
    assert by_rule["B105"].severity == "low"  # hard-coded password, LOW x MEDIUM
    assert by_rule["B105"].cwe == 259
    assert by_rule["B608"].cwe == 89
    assert by_rule["B501"].cwe == 295
    assert {f.file_path for f in findings} == {"python/app.py"}


def test_empty() -> None:
    assert parse_sample(bandit, "empty") == []


@pytest.mark.parametrize(
    ("severity", "confidence", "expected"),
    [
        ("HIGH", "HIGH", "high"),
        ("HIGH", "LOW", "medium"),
        ("MEDIUM", "MEDIUM", "medium"),
        ("MEDIUM", "LOW", "low"),
        ("LOW", "HIGH", "low"),
        ("LOW", "LOW", "informational"),
        ("UNDEFINED", "HIGH", "unknown"),
        ("HIGH", "UNDEFINED", "high"),
    ],
)
def test_severity_matrix(severity: str, confidence: str, expected: str) -> None:
    assert bandit_severity(severity, confidence) == expected


def test_argv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with_fake_executable(monkeypatch, bandit, "/opt/bandit/bin/bandit")
    command = bandit.build_command(
        target=target_for(tmp_path),
        config=bandit.config_with_defaults(
            {"skip_tests": ["B101", "B404"], "severity_level": "medium"}
        ),
        output_path=tmp_path / "out.json",
    )
    argv = list(command.argv)
    assert argv[:5] == ["/opt/bandit/bin/bandit", "-r", "-f", "json", "-q"]
    assert "--skip=B101,B404" in argv and "--severity-level=medium" in argv
    assert argv[-2:] == ["--", str(tmp_path)]
    with pytest.raises(ValueError):
        bandit.build_command(
            target=target_for(tmp_path),
            config=bandit.config_with_defaults({"skip_tests": ["-x /etc"]}),
            output_path=tmp_path / "out.json",
        )


@pytest.mark.parametrize(("code", "ok"), [(0, True), (1, True), (2, False)])
def test_exit_codes(tmp_path: Path, code: int, ok: bool) -> None:
    assert bandit.interpret_exit(exit_code=code, output_path=tmp_path, stderr="").ok is ok


@pytest.mark.parametrize(
    "content", ["", "Traceback (most recent call last):", '{"errors": []}', "[]"]
)
def test_garbage_output_raises(tmp_path: Path, content: str) -> None:
    with pytest.raises(ToolOutputError, match="Bandit"):
        parse_report_text(bandit, content, tmp_path)


def test_version_parsing() -> None:
    text = "bandit 1.9.4\n  python version = 3.11.7 (main, May  9 2026) [GCC 12.2.0]"
    assert bandit.parse_version(text) == "1.9.4"


@pytest.mark.scanner
def test_real_run(sample_run: SampleRun) -> None:
    root, run = sample_run(bandit)
    assert run.outcome.exit_code == 1 and run.verdict.ok, run.verdict.reason
    findings = run.findings(bandit, root)
    assert {"B602", "B301", "B506"} <= {f.rule_id for f in findings}
    assert all(f.file_path == "python/app.py" for f in findings)


MULTI_LINE = """import requests


def login(user, pwd="DefaultPassw0rd99"):
    return requests.post(
        "https://example.com/login",
        auth=(user, pwd),
        timeout=5,
    )


def connect():
    return login(user="admin",
                 password="Hunter2Hunter2xyz")
"""


@pytest.mark.scanner
def test_real_run_points_at_the_flagged_line_of_a_multi_line_statement(tmp_path: Path) -> None:
    """Bandit's `line_range` starts at the statement (or function) that holds the issue; its
    `line_number` is the flagged line, which is the one a finding must point at."""
    require_binary(bandit)
    root = tmp_path / "root"
    root.mkdir()
    (root / "client.py").write_text(MULTI_LINE)
    run = run_tool(bandit, root, tmp_path)
    assert run.verdict.ok, run.verdict.reason
    by_rule = {f.rule_id: f for f in run.findings(bandit, root)}
    lines = MULTI_LINE.splitlines()
    keyword_arg = lines.index('                 password="Hunter2Hunter2xyz")') + 1
    default_arg = lines.index('def login(user, pwd="DefaultPassw0rd99"):') + 1
    assert (by_rule["B106"].line_start, by_rule["B106"].line_end) == (keyword_arg,) * 2
    assert (by_rule["B107"].line_start, by_rule["B107"].line_end) == (default_arg,) * 2
    assert by_rule["B106"].evidence["line_range"] == [keyword_arg - 1, keyword_arg]
