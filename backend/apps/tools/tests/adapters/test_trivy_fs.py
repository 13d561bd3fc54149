"""Trivy filesystem adapter: vulnerabilities, misconfigurations and secrets; argv."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.tools.adapters.base import ToolOutputError
from apps.tools.adapters.trivy_fs import trivy_fs
from apps.tools.tests.adapters.recorded import (
    fake_executable,
    parse,
    require_binary,
    run_real,
    tree_target,
)


def test_parses_one() -> None:
    [finding] = parse(trivy_fs, "one")
    assert (finding.rule_id, finding.cve, finding.severity, finding.cwe) == (
        "CVE-2021-23337",
        "CVE-2021-23337",
        "high",
        94,
    )
    assert (finding.package_name, finding.package_version, finding.fixed_version) == (
        "lodash",
        "4.17.20",
        "4.17.21",
    )
    assert finding.file_path == "package-lock.json"
    assert finding.fingerprint_hint == "npm:lodash:4.17.20:CVE-2021-23337"
    assert "https://avd.aquasec.com/nvd/cve-2021-23337" in finding.references


def test_parses_many() -> None:
    findings = parse(trivy_fs, "many")
    assert len(findings) == 6  # the PASS misconfiguration is not a finding
    by_id = {f.rule_id: f for f in findings}
    assert by_id["GHSA-9wx4-h78v-vm56"].cve == "GHSA-9wx4-h78v-vm56"  # no CVE id in the report
    assert by_id["GHSA-9wx4-h78v-vm56"].fingerprint_hint.startswith("pip:requests:2.31.0:")
    sg = by_id["AVD-AWS-0107"]
    assert (sg.severity, sg.file_path, sg.line_start) == ("critical", "deploy/main.tf", 14)
    assert "0.0.0.0/0" in sg.snippet
    assert by_id["DS002"].remediation.startswith("Add 'USER")
    secret = by_id["github-pat"]
    assert (secret.severity, secret.cwe, secret.line_start) == ("critical", 798, 8)
    assert "ghp_" not in secret.snippet


def test_empty() -> None:
    assert parse(trivy_fs, "empty") == []


@pytest.mark.parametrize(
    "content",
    ["", "2024-05-02T10:14:31Z INFO Need to update DB", "[]", '{"Foo": []}', '{"Results": [1]}'],
)
def test_garbage_raises(tmp_path: Path, content: str) -> None:
    out = tmp_path / "r.json"
    out.write_text(content)
    with pytest.raises(ToolOutputError):
        list(trivy_fs.parse(output_path=out, target=tree_target(tmp_path)))


def test_argv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_executable(monkeypatch, trivy_fs, "/opt/trivy")
    out = tmp_path / "t.json"
    command = trivy_fs.build_command(
        target=tree_target(tmp_path), config={"skip_db_update": True}, output_path=out
    )
    argv = list(command.argv)
    assert argv[:2] == ["/opt/trivy", "fs"]
    assert argv[-2:] == ["--", str(tmp_path.resolve())]
    assert argv[argv.index("--scanners") + 1] == "vuln,misconfig,secret"
    assert argv[argv.index("--exit-code") + 1] == "0"
    assert "--skip-db-update" in argv
    assert command.output_written_by_tool


def test_argv_rejects_unknown_scanners(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_executable(monkeypatch, trivy_fs, "/opt/trivy")
    with pytest.raises(ValueError):
        trivy_fs.build_command(
            target=tree_target(tmp_path),
            config={"scanners": ["vuln,license"]},
            output_path=tmp_path,
        )


def test_unavailable_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_executable(monkeypatch, trivy_fs, None)  # type: ignore[arg-type]
    assert "'trivy' is not installed" in trivy_fs.unavailable_reason()
    assert "Docker worker image" in trivy_fs.unavailable_reason()


@pytest.mark.scanner
def test_real_run(tmp_path: Path) -> None:
    require_binary(trivy_fs)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "Dockerfile").write_text("FROM alpine:3.19\nRUN apk add curl\n")
    run = run_real(trivy_fs, tree_target(tree), tmp_path, {"scanners": ["misconfig"]})
    assert run.verdict.ok, run.verdict.reason
    assert any(f.file_path == "Dockerfile" for f in run.findings(trivy_fs))
