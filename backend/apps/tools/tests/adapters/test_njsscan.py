"""njsscan adapter: JSON parsing, its own Semgrep on PATH, fatal vs per-file errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from apps.tools.adapters.base import ToolOutputError
from apps.tools.adapters.njsscan import njsscan
from apps.tools.adapters.tool_configs import TOOL_CONFIGS
from apps.tools.tests.adapters.sample_runs import (
    SampleRun,
    parse_report_text,
    parse_sample,
    target_for,
    with_fake_executable,
)


def test_parses_one() -> None:
    [finding] = parse_sample(njsscan, "one")
    assert finding.rule_id == "eval_nodejs"
    assert finding.severity == "high"
    assert finding.cwe == 95
    assert finding.file_path == "js/app.js"
    assert (finding.line_start, finding.line_end) == (7, 7)
    assert finding.snippet == "  eval(req.body.expr);"
    assert finding.evidence["owasp"] == "A1: Injection"


def test_parses_many() -> None:
    findings = parse_sample(njsscan, "many")
    assert len(findings) == 9
    rules = {f.rule_id for f in findings}
    assert {"eval_nodejs", "express_xss", "generic_os_command_exec", "regex_dos"} <= rules
    regex = next(f for f in findings if f.rule_id == "regex_dos")
    assert regex.severity == "medium"
    xss = [f for f in findings if f.rule_id == "express_xss"]
    assert any((f.line_start, f.line_end) == (22, 23) for f in xss)


def test_empty() -> None:
    assert parse_sample(njsscan, "empty") == []


def _write(tmp_path: Path, document: object) -> Path:
    output = tmp_path / "out.json"
    output.write_text(json.dumps(document))
    return output


def test_severity_and_secret_masking(tmp_path: Path) -> None:
    rule = {
        "files": [
            {"file_path": f"{tmp_path}/a.js", "match_lines": [1, 1], "match_string": "pw='x'"}
        ],
        "metadata": {"cwe": "CWE-798: creds", "severity": "INFO", "description": "Secret."},
    }
    output = _write(tmp_path, {"errors": [], "nodejs": {"node_secret": rule}, "templates": {}})
    [finding] = njsscan.parse(output_path=output, target=target_for(tmp_path))
    assert finding.severity == "low"
    assert finding.snippet == "********"
    assert finding.file_path == "a.js"


def test_string_errors_fail_but_per_file_errors_do_not(tmp_path: Path) -> None:
    fatal = _write(
        tmp_path,
        {"errors": ["semgrep not found. Install with: pip install semgrep"], "nodejs": {}},
    )
    with pytest.raises(ToolOutputError, match="semgrep not found"):
        list(njsscan.parse(output_path=fatal, target=target_for(tmp_path)))
    partial = _write(
        tmp_path, {"errors": [{"path": "x.js", "message": "parse"}], "nodejs": {}, "templates": {}}
    )
    assert list(njsscan.parse(output_path=partial, target=target_for(tmp_path))) == []


def test_argv_and_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with_fake_executable(monkeypatch, njsscan, "/opt/njsscan/bin/njsscan")
    command = njsscan.build_command(
        target=target_for(tmp_path), config={}, output_path=tmp_path / "work" / "out.json"
    )
    assert list(command.argv) == [
        "/opt/njsscan/bin/njsscan",
        "--json",
        "--config",
        str(TOOL_CONFIGS / "njsscan.yml"),  # never the tree's .njsscan
        "--",
        str(tmp_path),
    ]
    assert command.env["PATH"].split(os.pathsep)[0] == "/opt/njsscan/bin"
    assert command.env["SEMGREP_ENABLE_VERSION_CHECK"] == "0"


@pytest.mark.parametrize(("code", "ok"), [(0, True), (1, True), (2, False)])
def test_exit_codes(tmp_path: Path, code: int, ok: bool) -> None:
    assert njsscan.interpret_exit(exit_code=code, output_path=tmp_path, stderr="").ok is ok


@pytest.mark.parametrize(
    "content", ["", "njsscan: v1.0.2", "[]", '{"errors": []}', '{"nodejs": []}']
)
def test_garbage_output_raises(tmp_path: Path, content: str) -> None:
    with pytest.raises(ToolOutputError, match="njsscan"):
        parse_report_text(njsscan, content, tmp_path)


def test_version_parsing() -> None:
    text = "\x1b[34m\nnjsscan: v1.0.2 | Ajin Abraham | opensecurity.in\x1b[0m"
    assert njsscan.parse_version(text) == "1.0.2"


@pytest.mark.scanner
def test_real_run(sample_run: SampleRun) -> None:
    root, run = sample_run(njsscan)
    assert run.outcome.exit_code == 1 and run.verdict.ok, run.verdict.reason
    findings = run.findings(njsscan, root)
    assert {"eval_nodejs", "generic_os_command_exec"} <= {f.rule_id for f in findings}
    assert {f.file_path for f in findings} == {"js/server.js"}
