"""OSV-Scanner adapter: alias groups, severity from database_specific or CVSS; exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.tools.adapters.base import ToolOutputError
from apps.tools.adapters.osv_scanner import osv_scanner
from apps.tools.adapters.toolkit import cvss3_base_score
from apps.tools.tests.adapters.recorded import (
    fake_executable,
    parse,
    require_binary,
    run_real,
    sample,
    tree_target,
)


def test_parses_one() -> None:
    [finding] = parse(osv_scanner, "one")
    assert (finding.rule_id, finding.cve, finding.severity, finding.cwe) == (
        "GHSA-35jh-r3h4-6jhm",
        "CVE-2021-23337",
        "high",
        77,
    )
    assert (finding.package_name, finding.package_version, finding.fixed_version) == (
        "lodash",
        "4.17.20",
        "4.17.21",
    )
    assert finding.file_path == "package-lock.json"
    assert finding.fingerprint_hint == "npm:lodash:4.17.20:GHSA-35jh-r3h4-6jhm"


def test_parses_many_one_finding_per_alias_group() -> None:
    findings = {f.package_name: f for f in parse(osv_scanner, "many")}
    assert len(findings) == 3
    jinja = findings["jinja2"]  # GHSA + PYSEC entries for one flaw → one finding
    assert jinja.rule_id == "GHSA-h75v-3vvj-5mfj"
    assert jinja.severity == "medium"  # GHSA "MODERATE"
    assert set(jinja.evidence["ids"]) == {"GHSA-h75v-3vvj-5mfj", "PYSEC-2024-54"}
    assert jinja.file_path == "api/requirements.txt"
    assert jinja.fingerprint_hint == "pypi:jinja2:3.1.3:GHSA-h75v-3vvj-5mfj"
    urllib3 = findings["urllib3"]  # no database_specific severity: from the CVSS vector
    assert urllib3.severity == "medium"
    assert (urllib3.cve, urllib3.fixed_version) == ("CVE-2023-43804", "1.26.17")


def test_empty() -> None:
    assert parse(osv_scanner, "empty") == []


def test_cvss3_scores() -> None:
    assert cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") == 9.8
    assert cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H") == 7.2
    assert cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N") == 6.1
    assert cvss3_base_score("CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:N/A:N") == 4.4
    assert cvss3_base_score("CVSS:4.0/AV:N") is None
    assert cvss3_base_score("garbage") is None


def test_group_score_is_the_last_resort(tmp_path: Path) -> None:
    report = json.loads(sample("osv_scanner", "one").read_text())
    vuln = report["results"][0]["packages"][0]["vulnerabilities"][0]
    del vuln["database_specific"]["severity"]
    vuln["severity"] = []
    out = tmp_path / "r.json"
    out.write_text(json.dumps(report))
    [finding] = osv_scanner.parse(output_path=out, target=tree_target(Path("/scan/root")))
    assert finding.severity == "high"  # max_severity 7.2


def test_exit_codes(tmp_path: Path) -> None:
    assert osv_scanner.interpret_exit(exit_code=0, output_path=tmp_path, stderr="").ok
    assert osv_scanner.interpret_exit(exit_code=1, output_path=tmp_path, stderr="").ok
    nothing = osv_scanner.interpret_exit(
        exit_code=128, output_path=tmp_path, stderr="No package sources found"
    )
    assert not nothing.ok and "nothing was scanned" in nothing.reason
    assert not osv_scanner.interpret_exit(exit_code=127, output_path=tmp_path, stderr="x").ok


@pytest.mark.parametrize("content", ["", "Scanning dir .", "[]", '{"packages": []}'])
def test_garbage_raises(tmp_path: Path, content: str) -> None:
    out = tmp_path / "r.json"
    out.write_text(content)
    with pytest.raises(ToolOutputError):
        list(osv_scanner.parse(output_path=out, target=tree_target(tmp_path)))


def test_argv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_executable(monkeypatch, osv_scanner, "/opt/osv-scanner")
    command = osv_scanner.build_command(
        target=tree_target(tmp_path), config={}, output_path=tmp_path / "o.json"
    )
    assert command.argv == (
        "/opt/osv-scanner",
        "--format",
        "json",
        "--recursive",
        "--no-ignore",
        "--",
        str(tmp_path.resolve()),
    )
    assert not command.output_written_by_tool  # JSON on stdout


@pytest.mark.scanner
def test_real_run(tmp_path: Path) -> None:
    require_binary(osv_scanner)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "requirements.txt").write_text("jinja2==3.1.3\n")
    run = run_real(osv_scanner, tree_target(tree), tmp_path)
    assert run.verdict.ok, run.verdict.reason
    run.findings(osv_scanner)
