"""Gitleaks adapter: JSON report parsing with masked secrets, exit codes, argv."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.tools.adapters.base import ToolOutputError
from apps.tools.adapters.gitleaks import gitleaks, mask_secret
from apps.tools.tests.adapters.recorded import (
    SAMPLES,
    fake_executable,
    parse,
    require_binary,
    run_real,
    sample,
    tree_target,
)


def test_parses_one_and_masks_the_secret() -> None:
    [finding] = parse(gitleaks, "one")
    assert finding.rule_id == "generic-api-key"
    assert finding.severity == "high" and finding.cwe == 798
    assert finding.file_path == "config/settings.py"  # relative to the scanned tree
    assert (finding.line_start, finding.line_end) == (3, 3)
    secret = "k3yEXAMPLEnotREALxq9TzPm27vLw0sD4"
    assert secret not in finding.snippet and secret not in repr(finding)
    assert finding.snippet.startswith('API_KEY = "k3yE****')
    assert finding.evidence["secret_masked"].startswith("k3yE")
    # No hint without a commit: the service fingerprints file + masked line, not the line.
    assert finding.fingerprint_hint == ""


def test_parses_many() -> None:
    findings = {f.rule_id: f for f in parse(gitleaks, "many")}
    assert set(findings) == {"generic-api-key", "aws-access-token", "private-key"}
    assert findings["aws-access-token"].snippet == "aws_access_key_id = REDACTED"
    key = findings["private-key"]
    assert "MIIEXAMPLEONLY" not in key.snippet
    assert key.evidence["commit"].startswith("4f2a9c1e")
    assert ":4f2a9c1e8d7b6a5f4e3d2c1b0a9f8e7d6c5b4a39:" in key.fingerprint_hint
    assert "MIIEXAMPLEONLY" not in key.fingerprint_hint


def test_empty() -> None:
    assert parse(gitleaks, "empty") == []


def test_mask_secret() -> None:
    assert mask_secret("abcd") == "****"
    assert mask_secret("abcdefghijkl") == "abcd********"
    assert mask_secret("REDACTED") == "REDACTED"


def test_exit_codes() -> None:
    many = sample("gitleaks", "many")
    assert gitleaks.interpret_exit(exit_code=0, output_path=many, stderr="").ok
    assert gitleaks.interpret_exit(exit_code=2, output_path=many, stderr="leaks found").ok
    failed = gitleaks.interpret_exit(exit_code=1, output_path=many, stderr="FTL bad config")
    assert not failed.ok and "FTL bad config" in failed.reason


@pytest.mark.parametrize("content", ["", "oops", "{}", '[{"File": "x"}]'])
def test_garbage_raises(tmp_path: Path, content: str) -> None:
    out = tmp_path / "r.json"
    out.write_text(content)
    with pytest.raises(ToolOutputError):
        list(gitleaks.parse(output_path=out, target=tree_target(tmp_path)))


def test_argv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_executable(monkeypatch, gitleaks, "/opt/gitleaks")
    out = tmp_path / "leaks.json"
    command = gitleaks.build_command(target=tree_target(tmp_path), config={}, output_path=out)
    assert command.argv[:2] == ("/opt/gitleaks", "detect")
    assert f"--source={tmp_path.resolve()}" in command.argv
    assert f"--report-path={out}" in command.argv
    assert {"--redact", "--no-git", "--exit-code=2"} <= set(command.argv)
    history = gitleaks.build_command(
        target=tree_target(tmp_path), config={"scan_git_history": True}, output_path=out
    )
    assert "--no-git" not in history.argv


def test_unavailable_reason_names_the_worker_image(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_executable(monkeypatch, gitleaks, None)  # type: ignore[arg-type]
    assert "Docker worker image" in gitleaks.unavailable_reason()


@pytest.mark.scanner
def test_real_run(tmp_path: Path) -> None:
    require_binary(gitleaks)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "settings.py").write_text('GITHUB_TOKEN = "ghp_' + "A1b2C3d4E5f6G7h8I9j0" * 2 + '"\n')
    run = run_real(gitleaks, tree_target(tree), tmp_path)
    assert run.verdict.ok, run.verdict.reason
    assert [f.file_path for f in run.findings(gitleaks)] == ["settings.py"]
    assert SAMPLES.exists()
