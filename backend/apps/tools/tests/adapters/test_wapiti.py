"""Wapiti adapter: JSON report parsing, argv safety and a real scan of a loopback app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.tools.adapters.base import PreparedTarget, ToolOutputError
from apps.tools.adapters.wapiti import wapiti
from apps.tools.tests.adapters import loopback
from apps.tools.tests.adapters.recorded import fake_executable, parse, run_real, url_target

APP = "http://127.0.0.1:18080/"


def test_parses_one() -> None:
    [finding] = parse(wapiti, "one")
    assert finding.rule_id == finding.title == "Content Security Policy Configuration"
    assert finding.severity == "low"
    assert (finding.url, finding.http_method, finding.parameter) == (APP, "GET", "")
    assert (finding.host, finding.port) == ("127.0.0.1", 18080)
    assert "CSP is not set" in finding.description
    assert finding.fingerprint_hint == "wapiti:Content Security Policy Configuration:/:"


def test_parses_many() -> None:
    findings = parse(wapiti, "many")
    by_rule = {f.rule_id: f for f in findings}
    assert len(findings) == 8  # 3 modules reported the same 500 on /item?id: one finding
    xss = by_rule["Reflected Cross Site Scripting"]
    assert (xss.severity, xss.cwe, xss.url, xss.parameter) == (
        "medium",
        79,
        "http://127.0.0.1:18080/search",
        "q",
    )
    assert xss.evidence["request"].startswith("GET /search?q=")
    assert xss.fingerprint_hint == "wapiti:Reflected Cross Site Scripting:/search:q"
    sql = by_rule["SQL Injection"]
    assert (sql.severity, sql.cwe, sql.parameter) == ("critical", 89, "id")
    assert "mysql_fetch_array" in sql.evidence["response_body"]
    assert by_rule["Internal Server Error"].severity == "high"
    assert by_rule["Internal Server Error"].evidence["section"] == "anomalies"
    assert {"HttpOnly Flag cookie", "Secure Flag cookie", "Clickjacking Protection"} <= set(by_rule)
    assert all(len(f.evidence.get("response_body", "")) <= 2000 for f in findings)


def test_empty() -> None:
    assert parse(wapiti, "empty") == []


@pytest.mark.parametrize(
    "content", ["", "<html>report</html>", "[]", '{"infos": {}}', '{"vulnerabilities": []}']
)
def test_garbage_raises(tmp_path: Path, content: str) -> None:
    out = tmp_path / "report.json"
    out.write_text(content)
    with pytest.raises(ToolOutputError):
        list(wapiti.parse(output_path=out, target=url_target(APP)))


def test_unknown_level_maps_to_unknown(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    out.write_text(
        json.dumps(
            {
                "vulnerabilities": {
                    "Odd": [
                        {
                            "method": "POST",
                            "path": "/a//b/",
                            "level": 9,
                            "parameter": "p",
                            "info": "x",
                        }
                    ]
                },
                "infos": {"target": "https://shop.example.test/base/"},
            }
        )
    )
    [finding] = wapiti.parse(output_path=out, target=url_target(APP))
    assert finding.severity == "unknown"
    assert finding.url == "https://shop.example.test/a//b/"
    assert finding.http_method == "POST"
    assert finding.fingerprint_hint == "wapiti:Odd:/a/b:p"


def test_argv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_executable(monkeypatch, wapiti, "/opt/wapiti")
    out = tmp_path / "wapiti.json"
    command = wapiti.build_command(
        target=url_target(APP),
        config={"modules": ["xss", "sql"], "max_scan_time_seconds": 60},
        output_path=out,
    )
    argv = list(command.argv)
    assert argv[argv.index("--url") + 1] == APP
    assert argv[argv.index("--output") + 1] == str(out)
    assert argv[argv.index("--module") + 1] == "xss,sql"
    assert argv[argv.index("--max-scan-time") + 1] == "60"
    assert "--flush-session" in argv and "--no-bugreport" in argv
    assert command.output_written_by_tool


@pytest.mark.parametrize(
    "url", ["-oX/tmp/x", "--script=evil", "ftp://127.0.0.1/", "http://", "http://a b/"]
)
def test_argv_rejects_unsafe_targets(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    fake_executable(monkeypatch, wapiti, "/opt/wapiti")
    target = PreparedTarget(asset_type="url", identifier=url, url=url)
    with pytest.raises(ValueError):
        wapiti.build_command(target=target, config={}, output_path=Path("/tmp/o.json"))


@pytest.mark.parametrize(
    "config",
    [
        {"modules": ["xss", "--update"]},
        {"max_scan_time_seconds": 999999},
        {"scope": "punk"},
        {"exclude_urls": ["-x"]},
        {"unknown": 1},
    ],
)
def test_argv_rejects_unsafe_config(monkeypatch: pytest.MonkeyPatch, config: dict) -> None:
    fake_executable(monkeypatch, wapiti, "/opt/wapiti")
    with pytest.raises(ValueError):
        wapiti.build_command(target=url_target(APP), config=config, output_path=Path("/o.json"))


@pytest.mark.scanner
def test_real_scan_of_a_loopback_app(tmp_path: Path) -> None:
    with loopback.VulnerableApp() as app:
        config = {
            "modules": ["xss", "http_headers", "cookieflags"],
            "max_scan_time_seconds": 120,
            "max_attack_time_seconds": 60,
        }
        run = run_real(wapiti, url_target(app.url), tmp_path, config, timeout=300)
        assert run.verdict.ok, run.verdict.reason
        findings = run.findings(wapiti)
    rules = {f.rule_id for f in findings}
    assert "Reflected Cross Site Scripting" in rules
    assert {"Clickjacking Protection", "HttpOnly Flag cookie"} <= rules
    xss = next(f for f in findings if f.rule_id == "Reflected Cross Site Scripting")
    assert (xss.parameter, xss.url) == ("q", f"{app.url}search")
