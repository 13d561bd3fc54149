"""Nmap adapter: streamed XML parsing (defusedxml), NSE vulnerabilities, argv, real runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.tools.adapters.base import PreparedTarget, ToolOutputError
from apps.tools.adapters.nmap import nmap
from apps.tools.tests.adapters import loopback
from apps.tools.tests.adapters.recorded import (
    domain_target,
    fake_executable,
    parse,
    run_real,
    sample,
    url_target,
)

SKIPPED_TARGET_REPORT = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="nmap -sT -Pn -p 1 -oX - -&#45; -oX/tmp/xx" version="7.93">
<scaninfo type="connect" protocol="tcp" numservices="1" services="1"/>
<target specification="-oX/tmp/xx" status="skipped" reason="invalid"/>
<runstats><finished time="1" timestr="x" elapsed="0.05" exit="success"/>
<hosts up="0" down="0" total="0"/>
</runstats>
</nmaprun>
"""


def test_parses_one() -> None:
    [finding] = parse(nmap, "one")
    assert finding.rule_id == "nmap.open_port"
    assert finding.severity == "informational"
    assert (finding.host, finding.port) == ("127.0.0.1", 18080)
    assert finding.evidence["protocol"] == "tcp"
    assert finding.fingerprint_hint == "nmap:open_port:127.0.0.1:tcp:18080"


def test_parses_many_with_services_and_script_output() -> None:
    findings = {f.port: f for f in parse(nmap, "many")}
    assert set(findings) == {14873, 18080, 18443}
    tls = findings[18443]
    assert tls.evidence["service"] == "ssl/http"
    assert tls.evidence["product"] == "OpenSSL s_server -www httpd"
    assert "cpe:/a:openssl:openssl" in tls.evidence["cpe"]
    assert "commonName=localhost" in tls.evidence["scripts"]["ssl-cert"]
    assert "(BaseHTTPServer 0.6)" in findings[14873].title


def test_empty() -> None:
    assert parse(nmap, "empty") == []
    assert nmap.interpret_exit(exit_code=0, output_path=sample("nmap", "empty"), stderr="").ok


def test_nse_vulnerabilities() -> None:
    findings = parse(nmap, "vuln_scripts")
    assert len(findings) == 5  # two open ports (8080 is filtered) + three vulnerabilities
    heartbleed = next(f for f in findings if f.rule_id == "nmap.ssl-heartbleed")
    assert (heartbleed.severity, heartbleed.cve, heartbleed.port) == ("high", "CVE-2014-0160", 443)
    assert heartbleed.host == "legacy.example.test"  # the scanned name, not the address
    assert any("cve.mitre.org" in ref for ref in heartbleed.references)
    vulners = {f.cve: f for f in findings if f.rule_id == "nmap.vulners"}
    assert vulners["CVE-2023-38408"].severity == "critical"
    assert vulners["CVE-2018-15473"].severity == "medium"
    https = next(f for f in findings if f.rule_id == "nmap.open_port" and f.port == 443)
    assert https.evidence["scripts"] == {"http-title": "Legacy portal"}


def test_skipped_target_is_a_failure(tmp_path: Path) -> None:
    out = tmp_path / "r.xml"
    out.write_text(SKIPPED_TARGET_REPORT)
    verdict = nmap.interpret_exit(exit_code=0, output_path=out, stderr="")
    assert not verdict.ok
    assert "scanned no host" in verdict.reason and "-oX/tmp/xx (invalid)" in verdict.reason


@pytest.mark.parametrize(
    "content",
    [
        "",
        "Starting Nmap 7.93",
        "<html><body/></html>",
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "boom">]><nmaprun>&a;</nmaprun>',
        "<nmaprun><host>",
    ],
)
def test_garbage_raises(tmp_path: Path, content: str) -> None:
    out = tmp_path / "r.xml"
    out.write_text(content)
    with pytest.raises(ToolOutputError):
        list(nmap.parse(output_path=out, target=domain_target("127.0.0.1")))
    assert not nmap.interpret_exit(exit_code=0, output_path=out, stderr="").ok


def test_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_executable(monkeypatch, nmap, "/usr/bin/nmap")
    out = Path("/work/nmap.xml")
    config = {"ports": "22,80,8000-8100", "scripts": ["vuln", "ssl-cert"]}
    command = nmap.build_command(
        target=domain_target("example.test"), config=config, output_path=out
    )
    argv = list(command.argv)
    assert argv[-2:] == ["--", "example.test"]
    assert argv[argv.index("-oX") + 1] == str(out)
    assert argv[argv.index("-p") + 1] == "22,80,8000-8100"
    assert "--script=vuln,ssl-cert" in argv
    assert {"-sT", "-sV", "-Pn", "-n"} <= set(argv)
    net = nmap.build_command(
        target=PreparedTarget(asset_type="ip_range", identifier="10.0.0.0/30", host="10.0.0.0/30"),
        config={},
        output_path=out,
    )
    assert net.argv[-1] == "10.0.0.0/30" and "--top-ports" in net.argv
    url = nmap.build_command(
        target=url_target("https://[2001:db8::1]:8443/"), config={}, output_path=out
    )
    assert url.argv[-2:] == ("--", "2001:db8::1") and "-6" in url.argv


@pytest.mark.parametrize(
    "host", ["-oX/tmp/x", "--script=http-shellshock", "-iL/etc/passwd", "a b", "evil_host$"]
)
def test_argv_rejects_option_like_targets(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    fake_executable(monkeypatch, nmap, "/usr/bin/nmap")
    with pytest.raises(ValueError):
        nmap.build_command(
            target=PreparedTarget(asset_type="domain", identifier=host, host=host),
            config={},
            output_path=Path("/o.xml"),
        )


@pytest.mark.parametrize(
    "config",
    [
        {"ports": "80 --script=x"},
        {"ports": "-"},
        {"scripts": ["../../tmp/evil.nse"]},
        {"scripts": ["brute"]},
        {"timing": 5},
    ],
)
def test_argv_rejects_unsafe_config(monkeypatch: pytest.MonkeyPatch, config: dict) -> None:
    fake_executable(monkeypatch, nmap, "/usr/bin/nmap")
    with pytest.raises(ValueError):
        nmap.build_command(target=domain_target("127.0.0.1"), config=config, output_path=Path("/o"))


@pytest.mark.scanner
def test_real_scan_of_a_loopback_port(tmp_path: Path) -> None:
    with loopback.VulnerableApp() as app:
        config = {"ports": str(app.port), "version_intensity": 2, "host_timeout_seconds": 120}
        run = run_real(nmap, domain_target("127.0.0.1"), tmp_path, config, timeout=300)
    assert run.verdict.ok, run.verdict.reason
    [finding] = run.findings(nmap)
    assert (finding.host, finding.port, finding.rule_id) == (
        "127.0.0.1",
        app.port,
        "nmap.open_port",
    )


@pytest.mark.scanner
def test_real_scan_of_a_closed_port(tmp_path: Path) -> None:
    config = {"ports": str(loopback.free_port()), "service_detection": False}
    run = run_real(nmap, domain_target("127.0.0.1"), tmp_path, config, timeout=120)
    assert run.verdict.ok, run.verdict.reason
    assert run.findings(nmap) == []
