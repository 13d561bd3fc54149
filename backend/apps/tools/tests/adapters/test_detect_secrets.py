"""detect-secrets adapter: secrets are never stored, only masked."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from apps.tools.adapters.base import ToolOutputError
from apps.tools.adapters.detect_secrets import detect_secrets, masked_line
from apps.tools.tests.adapters.sample_runs import (
    FIXTURES,
    SampleRun,
    build_tree,
    parse_report_text,
    parse_sample,
    sample_path,
    target_for,
    with_fake_executable,
)

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _sha1(value: str) -> str:
    return hashlib.sha1(value.encode(), usedforsecurity=False).hexdigest()


def test_parses_one() -> None:
    [finding] = parse_sample(detect_secrets, "one")
    assert finding.rule_id == "aws-access-key"
    assert finding.severity == "high"
    assert finding.cwe == 798
    assert finding.file_path == "secrets/config.py"
    assert finding.line_start == 1
    assert finding.fingerprint_hint == f"aws-access-key:secrets/config.py:{_sha1(AWS_KEY)}"
    assert AWS_KEY not in repr(finding)


def test_parses_many_without_any_secret_value() -> None:
    findings = parse_sample(detect_secrets, "many")
    assert len(findings) == 8
    assert {f.rule_id for f in findings} == {
        "aws-access-key",
        "base64-high-entropy-string",
        "secret-keyword",
        "hex-high-entropy-string",
        "basic-auth-credentials",
        "private-key",
    }
    assert {f.severity for f in findings} == {"high"}
    text = repr(findings)
    for secret in (AWS_KEY, AWS_SECRET, "s3cr3tP4ssw0rd", "9f2c1b7e4d8a6f3e0c5b1a7d9e2f4c6b"):
        assert secret not in text


def test_snippets_are_masked_when_the_tree_is_there(tmp_path: Path) -> None:
    root = build_tree("detect-secrets", "many", tmp_path)
    findings = list(
        detect_secrets.parse(
            output_path=sample_path("detect-secrets", "many"), target=target_for(root)
        )
    )
    text = repr(findings)
    for secret in (AWS_KEY, AWS_SECRET, "s3cr3tP4ssw0rd", "9f2c1b7e4d8a6f3e0c5b1a7d9e2f4c6b"):
        assert secret not in text
    snippets = {f.line_start: f.snippet for f in findings if f.file_path == "secrets/config.py"}
    assert snippets[2] == 'AWS_ACCESS_KEY_ID = "AKIA********"'
    assert snippets[3] == 'AWS_SECRET_ACCESS_KEY = "wJal********"'
    assert snippets[5] == 'DATABASE_URL = "postgres://admin:********@db.internal:5432/app"'
    aws = next(f for f in findings if f.line_start == 2)
    assert aws.evidence["masked_secret"] == "AKIA********"


def test_unlocatable_secret_gives_no_snippet() -> None:
    assert masked_line('token = "abc"', {_sha1("something else")}) == ("", "")
    assert masked_line(f'k = "{AWS_KEY}"', {_sha1(AWS_KEY)})[0] == 'k = "AKIA********"'
    assert masked_line('pw = "short"', {_sha1("short")})[0] == 'pw = "********"'


def test_empty() -> None:
    assert parse_sample(detect_secrets, "empty") == []


def test_argv_runs_from_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with_fake_executable(monkeypatch, detect_secrets, "/opt/ds/bin/detect-secrets")
    command = detect_secrets.build_command(
        target=target_for(tmp_path),
        config=detect_secrets.config_with_defaults({"exclude_files": r"\.lock$"}),
        output_path=tmp_path / "out.json",
    )
    argv = list(command.argv)
    assert argv[:3] == ["/opt/ds/bin/detect-secrets", "scan", "--all-files"]
    assert argv[-2:] == ["--", "."]
    assert r"--exclude-files=\.lock$" in argv
    assert command.cwd == tmp_path
    with pytest.raises(ValueError, match="regular expression"):
        detect_secrets.build_command(
            target=target_for(tmp_path),
            config=detect_secrets.config_with_defaults({"exclude_files": "(unclosed"}),
            output_path=tmp_path / "out.json",
        )


@pytest.mark.parametrize(("code", "ok"), [(0, True), (1, False), (2, False)])
def test_exit_codes(tmp_path: Path, code: int, ok: bool) -> None:
    assert detect_secrets.interpret_exit(exit_code=code, output_path=tmp_path, stderr="").ok is ok


@pytest.mark.parametrize(
    "content", ["", "not json", '{"version": "1.5.0"}', '{"results": []}', '{"results": {"a": {}}}']
)
def test_garbage_output_raises(tmp_path: Path, content: str) -> None:
    with pytest.raises(ToolOutputError, match="detect-secrets"):
        parse_report_text(detect_secrets, content, tmp_path)


def test_fixture_secrets_are_fake() -> None:
    # The fixtures use AWS's documented example key and made-up values only.
    text = (FIXTURES / "secrets" / "many" / "config.py").read_text()
    assert "EXAMPLE" in text


@pytest.mark.scanner
def test_real_run(sample_run: SampleRun) -> None:
    root, run = sample_run(detect_secrets)
    assert run.verdict.ok, run.verdict.reason
    assert AWS_KEY not in json.dumps(json.loads(run.output_path.read_text()))
    findings = run.findings(detect_secrets, root)
    assert {"aws-access-key", "private-key"} <= {f.rule_id for f in findings}
    assert AWS_KEY not in repr(findings) and AWS_SECRET not in repr(findings)
