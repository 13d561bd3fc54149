"""Semgrep adapter: shipped rules, offline argv, JSON parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.tools.adapters.base import ToolOutputError
from apps.tools.adapters.semgrep import RULES_DIR, RULESETS, ruleset_path, semgrep
from apps.tools.tests.adapters.sample_runs import (
    PLACEHOLDER_ROOT,
    SampleRun,
    parse_report_text,
    parse_sample,
    sample_path,
    target_for,
    with_fake_executable,
)


def test_parses_one_finding_with_mapped_fields() -> None:
    [finding] = parse_sample(semgrep, "one")
    assert finding.rule_id == "python-eval-exec"
    assert finding.severity == "high"
    assert finding.cwe == 95
    assert finding.confidence == "medium"
    assert finding.file_path == "python/app.py"
    assert (finding.line_start, finding.line_end) == (5, 5)
    assert finding.title == "Dynamic code execution with eval() or exec()."
    assert finding.fingerprint_hint == ""  # Semgrep OSS only says "requires login"
    assert finding.snippet == ""  # redacted by Semgrep and the placeholder tree is absent


def test_parses_many_across_languages() -> None:
    findings = parse_sample(semgrep, "many")
    assert len(findings) == 22
    rules = {f.rule_id for f in findings}
    assert {
        "python-subprocess-shell-true",
        "python-yaml-unsafe-load",
        "python-sql-string-formatting",
        "python-requests-verify-false",
        "python-flask-debug",
        "js-eval",
        "js-innerhtml",
        "js-child-process-exec",
        "js-new-function",
        "dockerfile-from-latest",
        "dockerfile-user-root",
        "dockerfile-curl-pipe-shell",
        "dockerfile-add-remote-url",
        "secrets-aws-access-key-id",
        "secrets-private-key-block",
        "secrets-generic-api-key",
    } <= rules
    by_rule = {f.rule_id: f for f in findings}
    assert by_rule["js-innerhtml"].severity == "medium"
    assert by_rule["js-innerhtml"].cwe == 79
    assert by_rule["dockerfile-curl-pipe-shell"].file_path == "docker/Dockerfile"
    assert by_rule["python-sql-string-formatting"].cwe == 89
    assert all(not f.file_path.startswith("/") for f in findings)


def test_empty_sample_has_no_findings() -> None:
    assert parse_sample(semgrep, "empty") == []


def test_snippet_read_from_tree_but_never_for_secret_rules(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\nresult = eval(data)\n")
    (tmp_path / "keys.py").write_text('KEY = "AKIAIOSFODNN7EXAMPLE"\n')
    output = tmp_path / "out.json"
    output.write_text(
        '{"results": ['
        f'{{"check_id": "python-eval-exec", "path": "{tmp_path}/app.py",'
        ' "start": {"line": 2, "col": 10}, "end": {"line": 2, "col": 20},'
        ' "extra": {"message": "m", "severity": "ERROR", "lines": "requires login",'
        ' "metadata": {"cwe": ["CWE-95: eval"]}}},'
        f'{{"check_id": "secrets-aws-access-key-id", "path": "{tmp_path}/keys.py",'
        ' "start": {"line": 1}, "end": {"line": 1},'
        ' "extra": {"message": "m", "severity": "ERROR", "lines": "KEY = AKIA...",'
        ' "metadata": {"cwe": "CWE-798: creds"}}}'
        '], "errors": []}'
    )
    first, secret = semgrep.parse(output_path=output, target=target_for(tmp_path))
    assert first.snippet == "result = eval(data)"
    assert first.file_path == "app.py"
    assert secret.cwe == 798
    assert secret.snippet == ""


def test_argv_is_offline_list_with_double_dash(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with_fake_executable(monkeypatch, semgrep, "/opt/scanners/semgrep/bin/semgrep")
    command = semgrep.build_command(
        target=target_for(tmp_path),
        config=semgrep.config_with_defaults({"exclude": ["vendor/**"]}),
        output_path=tmp_path / "out.json",
    )
    argv = list(command.argv)
    assert argv[0] == "/opt/scanners/semgrep/bin/semgrep"
    assert all(isinstance(arg, str) for arg in argv)
    assert "--metrics=off" in argv and "--disable-version-check" in argv
    assert argv[-2:] == ["--", str(tmp_path)]
    assert "--exclude=vendor/**" in argv
    configs = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--config"]
    assert configs == [str(RULES_DIR / f"{name}.yml") for name in RULESETS]
    assert command.env["SEMGREP_ENABLE_VERSION_CHECK"] == "0"


def test_rulesets_are_restricted_to_shipped_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with_fake_executable(monkeypatch, semgrep, "/bin/semgrep")
    command = semgrep.build_command(
        target=target_for(tmp_path),
        config=semgrep.config_with_defaults({"rulesets": ["secrets"]}),
        output_path=tmp_path / "out.json",
    )
    assert str(RULES_DIR / "secrets.yml") in command.argv
    assert str(RULES_DIR / "python.yml") not in command.argv
    for bad in ("/etc/passwd", "../python", "p/ci", "auto"):
        with pytest.raises(ValueError):
            ruleset_path(bad)
        with pytest.raises(ValueError):
            semgrep.build_command(
                target=target_for(tmp_path),
                config=semgrep.config_with_defaults({"rulesets": [bad]}),
                output_path=tmp_path / "out.json",
            )
    for name in RULESETS:
        assert ruleset_path(name).is_file()


def test_needs_a_prepared_tree(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from apps.tools.adapters.base import PreparedTarget

    with_fake_executable(monkeypatch, semgrep, "/bin/semgrep")
    with pytest.raises(ValueError, match="no prepared path"):
        semgrep.build_command(
            target=PreparedTarget(asset_type="url", identifier="https://x"),
            config=semgrep.default_config,
            output_path=tmp_path / "o",
        )


@pytest.mark.parametrize(("code", "ok"), [(0, True), (1, True), (2, False), (7, False)])
def test_exit_codes(tmp_path: Path, code: int, ok: bool) -> None:
    verdict = semgrep.interpret_exit(exit_code=code, output_path=tmp_path / "o", stderr="boom")
    assert verdict.ok is ok
    if not ok:
        assert "boom" in verdict.reason


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty report"),
        ("<html>oops</html>", "not valid JSON"),
        ("[1, 2]", "does not look like Semgrep JSON"),
        ('{"errors": []}', "does not look like Semgrep JSON"),
        ('{"results": [1]}', "unexpected shape"),
    ],
)
def test_garbage_output_raises(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(ToolOutputError, match=message):
        parse_report_text(semgrep, content, tmp_path)


@pytest.mark.parametrize("name", ["empty.json", "one.json", "many.json", "partial.json"])
def test_one_pass_reads_what_parse_and_coverage_read(name: str) -> None:
    report = sample_path("semgrep", name.removesuffix(".json"))
    target = target_for(PLACEHOLDER_ROOT)
    findings, coverage = semgrep.parse_with_coverage(output_path=report, target=target)
    assert coverage() is None  # not known before the findings are read
    assert list(findings) == list(semgrep.parse(output_path=report, target=target))
    assert coverage() == semgrep.coverage(output_path=report, target=target, stderr="")


def test_one_pass_without_paths_tells_no_coverage(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text('{"results": [], "errors": [{"path": "a.py", "type": "Timeout"}]}')
    findings, coverage = semgrep.parse_with_coverage(
        output_path=report, target=target_for(tmp_path)
    )
    assert list(findings) == [] and coverage() is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty report"),
        ("<html>oops</html>", "not valid JSON"),
        ("[1, 2]", "does not look like Semgrep JSON"),
        ('{"errors": []}', "does not look like Semgrep JSON"),
        ('{"results": [1]}', "unexpected shape"),
    ],
)
def test_one_pass_refuses_garbage(tmp_path: Path, content: str, message: str) -> None:
    report = tmp_path / "report.json"
    report.write_text(content)
    findings, _ = semgrep.parse_with_coverage(output_path=report, target=target_for(tmp_path))
    with pytest.raises(ToolOutputError, match=message):
        list(findings)


def test_version_parsing() -> None:
    assert semgrep.parse_version("1.185.0\n") == "1.185.0"
    assert "--disable-version-check" in semgrep.version_args


@pytest.mark.scanner
def test_real_run(sample_run: SampleRun) -> None:
    root, run = sample_run(semgrep)
    assert run.verdict.ok, run.verdict.reason
    findings = run.findings(semgrep, root)
    assert len(findings) >= 20
    assert {"python-eval-exec", "js-eval", "dockerfile-user-root"} <= {f.rule_id for f in findings}
    shell = next(f for f in findings if f.rule_id == "python-subprocess-shell-true")
    assert "shell=True" in shell.snippet  # read from the tree since Semgrep redacts it
