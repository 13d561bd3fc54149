"""ESLint adapter: SecuLite's config, absolute plugin/formatter paths, SARIF parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.tools.adapters.base import ToolOutputError
from apps.tools.adapters.eslint import CONFIG_FILE, FORMATTER, eslint
from apps.tools.tests.adapters.recorded import require_binary
from apps.tools.tests.adapters.sample_runs import (
    build_tree,
    parse_report_text,
    parse_sample,
    run_tool,
    target_for,
)


def test_parses_one() -> None:
    [finding] = parse_sample(eslint, "one")
    assert finding.rule_id == "security/detect-child-process"
    assert finding.severity == "medium"  # ESLint warning
    assert finding.cwe == 78  # filled in from RULE_CWE
    assert finding.file_path == "js/run.js"
    assert (finding.line_start, finding.line_end) == (5, 5)
    assert finding.description.startswith("Found child_process.exec()")
    assert finding.references[0].startswith("https://github.com/eslint-community/")


def test_parses_many() -> None:
    findings = parse_sample(eslint, "many")
    assert len(findings) == 7
    by_rule = {f.rule_id: f for f in findings}
    assert by_rule["no-eval"].severity == "high"  # ESLint error
    assert by_rule["no-eval"].cwe == 95
    assert by_rule["security/detect-unsafe-regex"].cwe == 1333
    assert by_rule["security/detect-object-injection"].file_path == "js/ui.js"
    assert all(not f.file_path.startswith(("/", "file:")) for f in findings)


def test_empty() -> None:
    assert parse_sample(eslint, "empty") == []


def _fake_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    modules = tmp_path / "install" / "node_modules"
    binary = modules / "eslint" / "bin" / "eslint.js"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/usr/bin/env node\n")
    (modules / "eslint-plugin-security").mkdir()
    (modules / "eslint-plugin-security" / "package.json").write_text("{}")
    (modules / FORMATTER).parent.mkdir(parents=True)
    (modules / FORMATTER).write_text("")
    monkeypatch.setattr(type(eslint), "executable", lambda self: str(binary))
    return modules


def test_argv_uses_our_config_and_absolute_formatter(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    modules = _fake_install(monkeypatch, tmp_path)
    tree = tmp_path / "tree"
    tree.mkdir()
    assert eslint.unavailable_reason() == ""
    command = eslint.build_command(
        target=target_for(tree),
        config=eslint.config_with_defaults(
            {"disabled_rules": ["security/detect-object-injection"]}
        ),
        output_path=tmp_path / "out.sarif",
    )
    argv = list(command.argv)
    assert argv[argv.index("--config") + 1] == str(CONFIG_FILE)
    assert argv[argv.index("--format") + 1] == str(modules / FORMATTER)
    rule = json.loads(argv[argv.index("--rule") + 1])
    assert rule == {"security/detect-object-injection": "off"}
    assert argv[-2:] == ["--", "."]
    assert command.cwd == tree
    assert command.env["SECULITE_ESLINT_NODE_MODULES"] == str(modules)
    assert CONFIG_FILE.is_file()


def test_missing_plugin_makes_it_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    modules = _fake_install(monkeypatch, tmp_path)
    (modules / "eslint-plugin-security" / "package.json").unlink()
    assert "eslint-plugin-security" in eslint.unavailable_reason()
    with pytest.raises(ValueError, match="eslint-plugin-security"):
        eslint.build_command(
            target=target_for(tmp_path), config=eslint.default_config, output_path=tmp_path / "o"
        )


def test_unknown_rule_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_install(monkeypatch, tmp_path)
    with pytest.raises(ValueError, match="unknown ESLint rule"):
        eslint.build_command(
            target=target_for(tmp_path),
            config=eslint.config_with_defaults({"disabled_rules": ["import/no-unresolved"]}),
            output_path=tmp_path / "o",
        )


@pytest.mark.parametrize(("code", "ok"), [(0, True), (1, True), (2, False)])
def test_exit_codes(tmp_path: Path, code: int, ok: bool) -> None:
    assert eslint.interpret_exit(exit_code=code, output_path=tmp_path, stderr="").ok is ok


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "no output"),
        ("Oops! Something went wrong! :(", "not valid JSON"),
        ('{"version": "2.1.0"}', "no 'runs'"),
        ('{"runs": {}}', "unexpected shape"),
    ],
)
def test_garbage_output_raises(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(ToolOutputError, match=message):
        parse_report_text(eslint, content, tmp_path, name="out.sarif")


def test_version_parsing() -> None:
    assert eslint.parse_version("v9.39.5\n") == "9.39.5"


@pytest.mark.scanner
def test_real_run(tmp_path: Path) -> None:
    require_binary(eslint)
    root = build_tree("eslint", "many", tmp_path)
    # A hostile project config and formatter in the tree must not be loaded.
    (root / "eslint.config.js").write_text("throw new Error('project config loaded');\n")
    formatter = root / "node_modules" / FORMATTER
    formatter.parent.mkdir(parents=True)
    formatter.write_text("throw new Error('project formatter loaded');\n")
    run = run_tool(eslint, root, tmp_path)
    assert run.outcome.exit_code == 1 and run.verdict.ok, run.verdict.reason
    findings = run.findings(eslint, root)
    assert {"no-eval", "security/detect-child-process"} <= {f.rule_id for f in findings}
    assert {f.file_path for f in findings} == {"js/server.js", "js/ui.js"}
