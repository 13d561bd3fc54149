"""npm audit adapter: v2 report parsing, offline/error outputs as failures, argv, real runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from apps.tools.adapters.base import ToolOutputError
from apps.tools.adapters.npm_audit import npm_audit
from apps.tools.tests.adapters import loopback
from apps.tools.tests.adapters.recorded import (
    SAMPLES,
    fake_executable,
    parse,
    run_real,
    sample,
    tree_target,
)

TREES = SAMPLES / "npm_audit" / "trees"


def test_parses_one_with_lockfile_versions() -> None:
    [finding] = parse(npm_audit, "one", tree_target(TREES / "one"))
    assert finding.rule_id == "GHSA-xvch-5gv4-984h"
    assert finding.cve == "GHSA-xvch-5gv4-984h"  # npm reports no CVE ids
    assert finding.severity == "critical"
    assert finding.cwe == 1321
    assert (finding.package_name, finding.package_version, finding.fixed_version) == (
        "minimist",
        "1.2.5",
        "1.2.8",
    )
    assert finding.file_path == "package-lock.json"
    assert finding.fingerprint_hint == "npm:minimist:1.2.5:GHSA-xvch-5gv4-984h"
    assert finding.references == ("https://github.com/advisories/GHSA-xvch-5gv4-984h",)


def test_parses_many() -> None:
    findings = parse(npm_audit, "many", tree_target(TREES / "many"))
    assert len(findings) == 3
    by_id = {f.rule_id: f for f in findings}
    assert by_id["GHSA-29mw-wpgm-hmr9"].severity == "medium"  # npm's "moderate"
    assert by_id["GHSA-35jh-r3h4-6jhm"].severity == "high"
    assert by_id["GHSA-35jh-r3h4-6jhm"].cwe == 77
    assert by_id["GHSA-35jh-r3h4-6jhm"].package_version == "4.17.20"
    assert by_id["GHSA-35jh-r3h4-6jhm"].fixed_version == "4.17.21"
    assert by_id["GHSA-35jh-r3h4-6jhm"].evidence["cvss"]["score"] == 7.2


def test_without_lockfile_the_affected_range_stands_in_for_the_version(tmp_path: Path) -> None:
    findings = parse(npm_audit, "many", tree_target(tmp_path))
    assert {f.package_version for f in findings if f.package_name == "lodash"} == {"<=4.17.20"}
    assert all(f.file_path == "" for f in findings)


def test_empty() -> None:
    assert parse(npm_audit, "empty", tree_target(TREES / "empty")) == []
    assert npm_audit.interpret_exit(
        exit_code=0, output_path=sample("npm_audit", "empty"), stderr=""
    ).ok


def test_vulnerabilities_exit_code_1_is_success() -> None:
    assert npm_audit.interpret_exit(
        exit_code=1, output_path=sample("npm_audit", "many"), stderr=""
    ).ok


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("failure_offline", "unreachable"),
        ("failure_enolock", "ENOLOCK"),
        ("failure_http405", "405 Method Not Allowed"),
    ],
)
def test_error_outputs_are_failures(name: str, expected: str) -> None:
    path = sample("npm_audit", name)
    verdict = npm_audit.interpret_exit(exit_code=1, output_path=path, stderr="npm error audit")
    assert not verdict.ok
    assert expected in verdict.reason
    with pytest.raises(ToolOutputError, match=re.escape(expected)):
        list(npm_audit.parse(output_path=path, target=tree_target(TREES / "one")))


@pytest.mark.parametrize("code", ["ENOTFOUND", "EAI_AGAIN"])
def test_dns_failures_are_failures(tmp_path: Path, code: str) -> None:
    out = tmp_path / "out.json"
    out.write_text(
        json.dumps(
            {
                "message": "request to https://registry.npmjs.org/-/npm/v1/security/advisories"
                f"/bulk failed, reason: getaddrinfo {code} registry.npmjs.org",
                "error": {"summary": "", "detail": ""},
            }
        )
    )
    verdict = npm_audit.interpret_exit(exit_code=1, output_path=out, stderr="")
    assert not verdict.ok
    assert code in verdict.reason and "unreachable" in verdict.reason


def test_zero_dependencies_is_a_failure(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text(
        json.dumps(
            {
                "auditReportVersion": 2,
                "vulnerabilities": {},
                "metadata": {"vulnerabilities": {"total": 0}, "dependencies": {"total": 0}},
            }
        )
    )
    verdict = npm_audit.interpret_exit(exit_code=0, output_path=out, stderr="")
    assert not verdict.ok
    assert "no dependencies" in verdict.reason


@pytest.mark.parametrize(
    "content", ["", "npm ERR! oops", "[]", '{"advisories": {}}', '{"something": 1}']
)
def test_garbage_raises(tmp_path: Path, content: str) -> None:
    out = tmp_path / "out.json"
    out.write_text(content)
    with pytest.raises(ToolOutputError):
        list(npm_audit.parse(output_path=out, target=tree_target(tmp_path)))
    assert not npm_audit.interpret_exit(exit_code=1, output_path=out, stderr="").ok


def test_argv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_executable(monkeypatch, npm_audit, "/usr/bin/npm")
    command = npm_audit.build_command(
        target=tree_target(TREES / "many"), config={"omit_dev": True}, output_path=tmp_path / "x"
    )
    assert command.argv[:4] == ("/usr/bin/npm", "audit", "--json", "--package-lock-only")
    assert "--registry=https://registry.npmjs.org/" in command.argv
    assert "--omit=dev" in command.argv
    # A folder of ours holding only the manifest and lock: the tree's .npmrc is never read.
    assert command.cwd == tmp_path / "npm-audit-project"
    assert sorted(p.name for p in command.cwd.iterdir()) == sorted(
        p.name for p in (TREES / "many").iterdir() if p.name.startswith("package")
    )
    assert not command.output_written_by_tool  # the JSON is npm's stdout


def test_argv_needs_a_lockfile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_executable(monkeypatch, npm_audit, "/usr/bin/npm")
    with pytest.raises(ValueError, match=r"package-lock\.json"):
        npm_audit.build_command(target=tree_target(tmp_path), config={}, output_path=tmp_path / "o")


@pytest.mark.parametrize("registry", ["-x", "file:///etc", "--userconfig=/tmp/x"])
def test_argv_rejects_odd_registries(monkeypatch: pytest.MonkeyPatch, registry: str) -> None:
    fake_executable(monkeypatch, npm_audit, "/usr/bin/npm")
    with pytest.raises(ValueError):
        npm_audit.build_command(
            target=tree_target(TREES / "one"), config={"registry": registry}, output_path=Path("/o")
        )


@pytest.mark.scanner
def test_real_run_against_loopback_registry(tmp_path: Path) -> None:
    with loopback.FakeNpmRegistry() as registry:
        run = run_real(npm_audit, tree_target(TREES / "many"), tmp_path, {"registry": registry.url})
    assert run.verdict.ok, run.verdict.reason
    assert run.outcome.exit_code == 1
    assert {f.fingerprint_hint for f in run.findings(npm_audit)} == {
        "npm:lodash:4.17.20:GHSA-35jh-r3h4-6jhm",
        "npm:lodash:4.17.20:GHSA-29mw-wpgm-hmr9",
        "npm:minimist:1.2.5:GHSA-xvch-5gv4-984h",
    }


@pytest.mark.scanner
def test_real_run_offline_is_a_failed_result(tmp_path: Path) -> None:
    closed = loopback.free_port()
    run = run_real(
        npm_audit, tree_target(TREES / "one"), tmp_path, {"registry": f"http://127.0.0.1:{closed}/"}
    )
    assert not run.verdict.ok
    assert "ECONNREFUSED" in run.verdict.reason
