"""testssl.sh adapter: flat JSON parsing, exit codes that are not findings, argv, real runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.tools.adapters.base import PreparedTarget, ToolOutputError
from apps.tools.adapters.testssl import testssl
from apps.tools.tests.adapters import loopback
from apps.tools.tests.adapters.recorded import (
    domain_target,
    fake_executable,
    parse,
    run_real,
    sample,
    url_target,
)

FATAL = [
    {
        "id": "scanProblem",
        "ip": "127.0.0.1/127.0.0.1",
        "port": "1",
        "severity": "FATAL",
        "finding": "Can't connect to '127.0.0.1:1' Make sure a firewall is not between you "
        "and your scanning target!",
    },
    {
        "id": "scanTime",
        "ip": "127.0.0.1/127.0.0.1",
        "port": "1",
        "severity": "WARN",
        "finding": "Scan interrupted",
    },
]


def test_parses_one() -> None:
    [finding] = parse(testssl, "one")
    assert (finding.rule_id, finding.severity) == ("TLS1_1", "low")
    assert finding.title == "TLS1_1: offered (deprecated)"
    assert (finding.host, finding.port) == ("127.0.0.1", 18444)
    assert finding.fingerprint_hint == "testssl:TLS1_1:127.0.0.1:18444"


def test_parses_many() -> None:
    findings = {f.rule_id: f for f in parse(testssl, "many")}
    assert len(findings) == 16
    assert findings["cipherlist_aNULL"].severity == "critical"
    assert findings["cipherlist_aNULL"].cwe == 327
    assert findings["cert_chain_of_trust"].severity == "critical"
    assert findings["security_headers"].severity == "medium"
    assert (findings["BEAST"].cve, findings["BEAST"].cwe) == ("CVE-2011-3389", 20)
    assert findings["LUCKY13"].cve == "CVE-2013-0169"
    assert findings["TLS1"].severity == "low"


def test_empty() -> None:
    assert parse(testssl, "empty") == []


def test_severity_mapping_incl_info_and_warn(tmp_path: Path) -> None:
    entries = [
        {"id": "a", "ip": "h.test/192.0.2.1", "port": "443", "severity": sev, "finding": sev}
        for sev in ("OK", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL", "WARN", "DEBUG")
    ]
    out = tmp_path / "r.json"
    out.write_text(json.dumps(entries))
    found = [f.severity for f in testssl.parse(output_path=out, target=domain_target("h.test"))]
    assert found == ["informational", "low", "medium", "high", "critical", "unknown"]


def test_warnings_about_the_local_openssl_are_not_findings(tmp_path: Path) -> None:
    entries = [
        {"id": "engine_problem", "ip": "/", "port": "443", "severity": "WARN",
         "finding": "No engine or GOST support via engine with your /usr/bin/openssl"},
        {"id": "TLS1_1", "ip": "h.test/192.0.2.1", "port": "443", "severity": "LOW",
         "finding": "offered (deprecated)"},
    ]  # fmt: skip
    out = tmp_path / "r.json"
    out.write_text(json.dumps(entries))
    found = [f.rule_id for f in testssl.parse(output_path=out, target=domain_target("h.test"))]
    assert found == ["TLS1_1"]


def test_exit_code_is_not_a_findings_signal() -> None:
    many = sample("testssl", "many")
    for code in (0, 1, 3, 17, 200):
        assert testssl.interpret_exit(exit_code=code, output_path=many, stderr="").ok


def test_fatal_exit_codes_and_fatal_entries_fail(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    out.write_text(json.dumps(FATAL))
    refused = testssl.interpret_exit(exit_code=246, output_path=out, stderr="Fatal error")
    assert not refused.ok
    assert "could not connect" in refused.reason and "Can't connect" in refused.reason
    # A FATAL entry fails the run whatever the exit code says.
    assert not testssl.interpret_exit(exit_code=0, output_path=out, stderr="").ok
    with pytest.raises(ToolOutputError, match="Can't connect"):
        list(testssl.parse(output_path=out, target=domain_target("127.0.0.1")))
    assert not testssl.interpret_exit(
        exit_code=254, output_path=sample("testssl", "many"), stderr=""
    ).ok


@pytest.mark.parametrize("content", ["", "garbage", '{"id": "x"}', '[{"finding": "no id"}]'])
def test_garbage_raises(tmp_path: Path, content: str) -> None:
    out = tmp_path / "r.json"
    out.write_text(content)
    with pytest.raises(ToolOutputError):
        list(testssl.parse(output_path=out, target=domain_target("127.0.0.1")))


def test_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_executable(monkeypatch, testssl, "/usr/bin/testssl")
    out = Path("/work/t.json")
    command = testssl.build_command(
        target=url_target("https://127.0.0.1:8443/"),
        config={"checks": ["protocols"]},
        output_path=out,
    )
    argv = list(command.argv)
    assert argv[-2:] == ["--", "127.0.0.1:8443"]
    assert argv[argv.index("--jsonfile") + 1] == str(out)
    assert argv[argv.index("--nodns") + 1] == "none"  # an IP needs no DNS at all
    assert argv[argv.index("--severity") + 1] == "LOW"
    assert {"--quiet", "--protocols"} <= set(argv)
    assert argv[argv.index("--warnings") + 1] == "batch"
    named = testssl.build_command(
        target=domain_target("shop.example.test"), config={"include_info": True}, output_path=out
    )
    assert named.argv[-1] == "shop.example.test:443"
    assert "min" in named.argv and "--severity" not in named.argv
    assert named.argv[named.argv.index("--ip") + 1] == "one"


@pytest.mark.parametrize("host", ["-oX/tmp/x", "--file=/etc/passwd", "--ip=proxy", "a;b"])
def test_argv_rejects_option_like_targets(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    fake_executable(monkeypatch, testssl, "/usr/bin/testssl")
    with pytest.raises(ValueError):
        testssl.build_command(
            target=PreparedTarget(asset_type="domain", identifier=host, host=host),
            config={},
            output_path=Path("/o.json"),
        )


def test_version_parsing() -> None:
    banner = "\x1b[1m\n####\n    testssl       3.0.8 from \x1b[m\x1b[1mhttps://testssl.sh/\x1b[m\n"
    assert testssl.parse_version(banner + ' Using "OpenSSL 3.0.19"') == "3.0.8"


@pytest.mark.scanner
def test_real_run_protocols(tmp_path: Path) -> None:
    with loopback.tls_server(tmp_path / "tls", extra_args=loopback.TLS11_ONLY_GOOD_CIPHERS) as port:
        run = run_real(
            testssl,
            url_target(f"https://127.0.0.1:{port}/"),
            tmp_path,
            {"checks": ["protocols"]},
            timeout=300,
        )
    assert run.verdict.ok, run.verdict.reason
    [finding] = run.findings(testssl)
    assert (finding.rule_id, finding.severity, finding.port) == ("TLS1_1", "low", port)


@pytest.mark.scanner
def test_real_run_against_a_closed_port_fails(tmp_path: Path) -> None:
    port = loopback.free_port()
    run = run_real(
        testssl, url_target(f"https://127.0.0.1:{port}/"), tmp_path, {"checks": ["protocols"]}
    )
    assert run.outcome.exit_code == 246
    assert not run.verdict.ok
    assert "could not connect" in run.verdict.reason
