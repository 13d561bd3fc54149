"""Hadolint adapter: Dockerfiles found by the adapter, passed after `--`."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.tools.adapters.base import ToolOutputError
from apps.tools.adapters.hadolint import hadolint, is_dockerfile
from apps.tools.adapters.tool_configs import TOOL_CONFIGS
from apps.tools.tests.adapters.sample_runs import (
    SampleRun,
    parse_report_text,
    parse_sample,
    target_for,
    with_fake_executable,
)


def test_parses_one() -> None:
    [finding] = parse_sample(hadolint, "one")
    assert finding.rule_id == "DL3007"
    assert finding.severity == "low"
    assert finding.cwe == 1357
    assert finding.file_path == "docker/Dockerfile"
    assert finding.line_start == 1
    assert finding.references == ("https://github.com/hadolint/hadolint/wiki/DL3007",)


def test_parses_many_with_level_mapping() -> None:
    findings = parse_sample(hadolint, "many")
    assert len(findings) == 14
    by_rule = {f.rule_id: f for f in findings}
    assert by_rule["DL4000"].severity == "medium"  # error
    assert by_rule["DL3002"].severity == "low"  # warning
    assert by_rule["DL3002"].cwe == 250
    assert by_rule["DL3009"].severity == "informational"  # info
    assert by_rule["DL3006"].file_path == "docker/worker/Dockerfile"


def test_empty() -> None:
    assert parse_sample(hadolint, "empty") == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Dockerfile", True),
        ("Containerfile", True),
        ("Dockerfile.prod", True),
        ("api.dockerfile", True),
        ("dockerfile-notes.md", False),
        ("docker-compose.yml", False),
    ],
)
def test_dockerfile_names(name: str, expected: bool) -> None:
    assert is_dockerfile(Path(name)) is expected


def test_argv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with_fake_executable(monkeypatch, hadolint, "/opt/hadolint/bin/hadolint")
    (tmp_path / "svc").mkdir()
    (tmp_path / "Dockerfile").write_text("FROM debian:12\n")
    (tmp_path / "svc" / "Dockerfile.dev").write_text("FROM debian:12\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "Dockerfile").write_text("FROM x\n")
    command = hadolint.build_command(
        target=target_for(tmp_path),
        config=hadolint.config_with_defaults({"ignore": ["DL3008"]}),
        output_path=tmp_path / "out.json",
    )
    assert list(command.argv) == [
        "/opt/hadolint/bin/hadolint",
        f"--config={TOOL_CONFIGS / 'hadolint.yaml'}",  # never the tree's .hadolint.yaml
        "--format=json",
        "--no-color",
        "--ignore=DL3008",
        "--",
        "Dockerfile",
        "svc/Dockerfile.dev",
    ]
    assert command.cwd == tmp_path
    with pytest.raises(ValueError):
        hadolint.build_command(
            target=target_for(tmp_path),
            config=hadolint.config_with_defaults({"ignore": ["--config=/etc/x"]}),
            output_path=tmp_path / "out.json",
        )


def test_argv_without_dockerfiles_reads_empty_stdin(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with_fake_executable(monkeypatch, hadolint, "/opt/hadolint/bin/hadolint")
    command = hadolint.build_command(
        target=target_for(tmp_path), config=hadolint.default_config, output_path=tmp_path / "o"
    )
    assert command.argv[-1] == "-"


@pytest.mark.parametrize(("code", "ok"), [(0, True), (1, True), (2, False)])
def test_exit_codes(tmp_path: Path, code: int, ok: bool) -> None:
    assert hadolint.interpret_exit(exit_code=code, output_path=tmp_path, stderr="").ok is ok


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "no output"),
        ("hadolint: Dockerfile: withBinaryFile: does not exist", "not valid JSON"),
        ('{"code": "DL3007"}', "unexpected shape"),
        ('["DL3007"]', "unexpected shape"),
    ],
)
def test_garbage_output_raises(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(ToolOutputError, match=message):
        parse_report_text(hadolint, content, tmp_path)


def test_version_parsing() -> None:
    assert hadolint.parse_version("Haskell Dockerfile Linter 2.15.1\n") == "2.15.1"


@pytest.mark.scanner
def test_real_run(sample_run: SampleRun) -> None:
    root, run = sample_run(hadolint)
    assert run.outcome.exit_code == 1 and run.verdict.ok, run.verdict.reason
    findings = run.findings(hadolint, root)
    assert {"DL3007", "DL3002", "DL4000"} <= {f.rule_id for f in findings}
    latest = next(f for f in findings if f.rule_id == "DL3007")
    assert latest.snippet == "FROM python:latest"
