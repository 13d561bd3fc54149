"""ShellCheck adapter: the adapter finds the scripts, passes them after `--`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from apps.tools.adapters.base import ToolOutputError
from apps.tools.adapters.shellcheck import is_shell_script, shellcheck
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
    [finding] = parse_sample(shellcheck, "one")
    assert finding.rule_id == "SC2086"
    assert finding.severity == "informational"
    assert finding.cwe == 88
    assert finding.file_path == "shell/greet.sh"
    assert finding.line_start == 3
    assert finding.references == ("https://www.shellcheck.net/wiki/SC2086",)


def test_parses_many_with_level_mapping() -> None:
    findings = parse_sample(shellcheck, "many")
    assert len(findings) == 11
    by_rule = {f.rule_id: f for f in findings}
    assert by_rule["SC2045"].severity == "medium"  # error
    assert by_rule["SC2164"].severity == "low"  # warning
    assert by_rule["SC2006"].severity == "informational"  # style
    assert {f.file_path for f in findings} == {"shell/deploy.sh", "shell/run-tool"}


def test_empty() -> None:
    assert parse_sample(shellcheck, "empty") == []


def test_finds_scripts_by_suffix_and_shebang(tmp_path: Path) -> None:
    cases = {
        "a.sh": ("echo hi\n", True),
        "tool": ("#!/usr/bin/env bash\necho hi\n", True),
        "dash-tool": ("#!/bin/dash -e\necho hi\n", True),
        "py": ("#!/usr/bin/env python3\nprint(1)\n", False),
        "zsh-tool": ("#!/bin/zsh\necho hi\n", False),
        "notes.txt": ("see #!/bin/sh\n", False),
    }
    for name, (content, expected) in cases.items():
        (tmp_path / name).write_text(content)
        assert is_shell_script(tmp_path / name) is expected, name


def test_argv_lists_files_after_double_dash(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with_fake_executable(monkeypatch, shellcheck, "/usr/bin/shellcheck")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "-rf.sh").write_text("echo hi\n")
    (tmp_path / "b.bash").write_text("echo hi\n")
    (tmp_path / "tool").write_text("#!/bin/sh\necho hi\n")
    (tmp_path / "readme.md").write_text("# hi\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "hook.sh").write_text("echo\n")
    os.symlink("/etc/profile", tmp_path / "outside.sh")
    command = shellcheck.build_command(
        target=target_for(tmp_path),
        config=shellcheck.config_with_defaults({"exclude": ["SC2034"]}),
        output_path=tmp_path / "out.json",
    )
    argv = list(command.argv)
    dash = argv.index("--")
    assert argv[:dash] == [
        "/usr/bin/shellcheck",
        "--norc",  # never the tree's .shellcheckrc
        "--format=json1",
        "--severity=style",
        "--exclude=SC2034",
    ]
    assert argv[dash + 1 :] == ["b.bash", "tool", "sub/-rf.sh"]
    assert command.cwd == tmp_path


def test_argv_without_scripts_reads_empty_stdin(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with_fake_executable(monkeypatch, shellcheck, "/usr/bin/shellcheck")
    command = shellcheck.build_command(
        target=target_for(tmp_path), config=shellcheck.default_config, output_path=tmp_path / "o"
    )
    assert command.argv[-1] == "-"


def test_exit_codes(tmp_path: Path) -> None:
    output = tmp_path / "out.json"
    assert shellcheck.interpret_exit(exit_code=0, output_path=output, stderr="").ok
    assert shellcheck.interpret_exit(exit_code=1, output_path=output, stderr="").ok
    assert not shellcheck.interpret_exit(exit_code=2, output_path=output, stderr="").ok
    output.write_text('{"comments": []}')
    assert shellcheck.interpret_exit(exit_code=2, output_path=output, stderr="").ok
    assert not shellcheck.interpret_exit(exit_code=3, output_path=output, stderr="bad").ok
    assert not shellcheck.interpret_exit(exit_code=4, output_path=output, stderr="bad").ok


@pytest.mark.parametrize("content", ["", "In x.sh line 1:", "[]", '{"comments": {}}'])
def test_garbage_output_raises(tmp_path: Path, content: str) -> None:
    with pytest.raises(ToolOutputError, match="ShellCheck"):
        parse_report_text(shellcheck, content, tmp_path)


def test_version_parsing() -> None:
    text = "ShellCheck - shell script analysis tool\nversion: 0.9.0\nlicense: GNU GPL v3"
    assert shellcheck.parse_version(text) == "0.9.0"


@pytest.mark.scanner
def test_real_run(sample_run: SampleRun) -> None:
    root, run = sample_run(shellcheck)
    assert run.outcome.exit_code == 1 and run.verdict.ok, run.verdict.reason
    findings = run.findings(shellcheck, root)
    assert {"SC2045", "SC2086", "SC2162"} <= {f.rule_id for f in findings}
    deploy = next(f for f in findings if f.rule_id == "SC2045")
    assert deploy.snippet.startswith("for f in $(ls")


@pytest.mark.scanner
def test_real_run_on_a_tree_without_scripts(tmp_path: Path) -> None:
    require_binary(shellcheck)
    root = tmp_path / "root"
    root.mkdir()
    run = run_tool(shellcheck, root, tmp_path)
    assert run.verdict.ok and run.findings(shellcheck, root) == []
