"""SSLyze adapter: findings derived from the JSON report, unreachable servers, argv, real runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.tools.adapters.base import PreparedTarget, ToolOutputError
from apps.tools.adapters.sslyze import sslyze
from apps.tools.tests.adapters import loopback
from apps.tools.tests.adapters.recorded import (
    domain_target,
    fake_executable,
    parse,
    run_real,
    sample,
    url_target,
)


def test_parses_one() -> None:
    [finding] = parse(sslyze, "one")
    assert finding.rule_id == "sslyze.protocol.tlsv1_1"
    assert finding.severity == "medium"
    assert (finding.host, finding.port) == ("127.0.0.1", 18444)
    assert finding.fingerprint_hint == "sslyze:sslyze.protocol.tlsv1_1:127.0.0.1:18444"


def test_parses_many() -> None:
    findings = {f.rule_id: f for f in parse(sslyze, "many")}
    assert set(findings) == {
        "sslyze.protocol.tlsv1_0",
        "sslyze.protocol.tlsv1_1",
        "sslyze.cipher.anonymous",
        "sslyze.dh.weak",
        "sslyze.cert.untrusted",
        "sslyze.cert.expiring",
        "sslyze.no_hsts",
    }
    assert findings["sslyze.cipher.anonymous"].severity == "critical"
    assert (
        "TLS_DH_anon_WITH_AES_128_CBC_SHA"
        in findings["sslyze.cipher.anonymous"].evidence["cipher_suites"]
    )
    assert findings["sslyze.cert.untrusted"].cwe == 295
    assert findings["sslyze.cert.untrusted"].severity == "high"
    assert findings["sslyze.dh.weak"].evidence["cipher_suites"]


def test_empty() -> None:
    assert parse(sslyze, "empty") == []


def test_known_attacks_map_to_cves(tmp_path: Path) -> None:
    report = json.loads(sample("sslyze", "empty").read_text())
    results = report["server_scan_results"][0]["scan_result"]
    results["heartbleed"]["result"]["is_vulnerable_to_heartbleed"] = True
    results["robot"]["result"]["robot_result"] = "VULNERABLE_WEAK_ORACLE"
    results["tls_compression"]["result"]["supports_compression"] = True
    results["ssl_3_0_cipher_suites"]["result"]["is_tls_version_supported"] = True
    out = tmp_path / "r.json"
    out.write_text(json.dumps(report))
    found = {f.rule_id: f for f in sslyze.parse(output_path=out, target=url_target("https://x/"))}
    assert (found["sslyze.heartbleed"].severity, found["sslyze.heartbleed"].cve) == (
        "critical",
        "CVE-2014-0160",
    )
    assert (found["sslyze.robot"].severity, found["sslyze.robot"].cve) == (
        "medium",
        "CVE-2017-13099",
    )
    assert found["sslyze.compression"].cve == "CVE-2012-4929"
    assert found["sslyze.protocol.sslv3"].severity == "high"


def _unreachable_report(tmp_path: Path) -> Path:
    report = json.loads(sample("sslyze", "empty").read_text())
    server = report["server_scan_results"][0]
    server.update(
        connectivity_status="ERROR",
        scan_status="ERROR_NO_CONNECTIVITY",
        scan_result=None,
        connectivity_error_trace='Traceback ...\nServerRejectedConnection: "rejected"\n',
    )
    out = tmp_path / "r.json"
    out.write_text(json.dumps(report))
    return out


def test_unreachable_server_fails_despite_exit_0(tmp_path: Path) -> None:
    out = _unreachable_report(tmp_path)
    verdict = sslyze.interpret_exit(exit_code=0, output_path=out, stderr="")
    assert not verdict.ok
    assert "could not scan any server" in verdict.reason and "rejected" in verdict.reason
    with pytest.raises(ToolOutputError):
        list(sslyze.parse(output_path=out, target=url_target("https://x/")))
    assert sslyze.interpret_exit(exit_code=0, output_path=sample("sslyze", "many"), stderr="").ok


@pytest.mark.parametrize("content", ["", "garbage", "[]", '{"server_scan_results": []}'])
def test_garbage_raises(tmp_path: Path, content: str) -> None:
    out = tmp_path / "r.json"
    out.write_text(content)
    with pytest.raises(ToolOutputError):
        list(sslyze.parse(output_path=out, target=url_target("https://x/")))


def test_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_executable(monkeypatch, sslyze, "/opt/sslyze")
    out = Path("/work/out.json")
    command = sslyze.build_command(
        target=url_target("https://shop.example.test:8443/login"), config={}, output_path=out
    )
    assert command.argv[-2:] == ("--", "shop.example.test:8443")
    assert "--mozilla_config=disable" in command.argv
    assert f"--json_out={out}" in command.argv
    assert "--certinfo" in command.argv and "--http_headers" in command.argv
    domain = sslyze.build_command(
        target=domain_target("example.test"), config={"port": 993}, output_path=out
    )
    assert domain.argv[-1] == "example.test:993"
    v6 = sslyze.build_command(target=url_target("https://[::1]/"), config={}, output_path=out)
    assert v6.argv[-1] == "[::1]:443"


@pytest.mark.parametrize(
    "target",
    [
        PreparedTarget(asset_type="domain", identifier="-oX/tmp/x", host="-oX/tmp/x"),
        PreparedTarget(asset_type="domain", identifier="x", host="--targets_in=/etc/passwd"),
        PreparedTarget(asset_type="url", identifier="-u", url="--json_out=/tmp/x"),
        PreparedTarget(asset_type="domain", identifier="a b", host="a b"),
        PreparedTarget(asset_type="ip_range", identifier="10.0.0.0/24", host="10.0.0.0/24"),
    ],
)
def test_argv_rejects_unsafe_targets(
    monkeypatch: pytest.MonkeyPatch, target: PreparedTarget
) -> None:
    fake_executable(monkeypatch, sslyze, "/opt/sslyze")
    with pytest.raises(ValueError):
        sslyze.build_command(target=target, config={}, output_path=Path("/o.json"))


@pytest.mark.scanner
def test_real_scan_of_a_weak_loopback_server(tmp_path: Path) -> None:
    with loopback.tls_server(tmp_path / "tls", extra_args=loopback.WEAK_TLS) as port:
        run = run_real(sslyze, url_target(f"https://127.0.0.1:{port}/"), tmp_path, timeout=300)
    assert run.verdict.ok, run.verdict.reason
    rules = {f.rule_id for f in run.findings(sslyze)}
    assert {"sslyze.protocol.tlsv1_0", "sslyze.cipher.anonymous", "sslyze.cert.untrusted"} <= rules


@pytest.mark.scanner
def test_real_scan_of_a_closed_port_fails(tmp_path: Path) -> None:
    port = loopback.free_port()
    run = run_real(sslyze, url_target(f"https://127.0.0.1:{port}/"), tmp_path, timeout=120)
    assert run.outcome.exit_code == 0
    assert not run.verdict.ok
    assert "could not scan any server" in run.verdict.reason


def test_version_command_uses_the_scripts_interpreter(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import sys

    script = tmp_path / "sslyze"
    script.write_text(f"#!{sys.executable}\nprint('hi')\n")
    fake_executable(monkeypatch, sslyze, str(script))
    argv = sslyze.version_command()
    assert argv is not None and argv[0] == sys.executable
    assert sslyze.parse_version("sslyze 6.3.1") == "6.3.1"
