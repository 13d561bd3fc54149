"""ZAP baseline adapter: alerts and their instances, risk codes, DAST location fields; argv."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.tools.adapters.base import PreparedTarget, ToolOutputError
from apps.tools.adapters.zap_baseline import zap_baseline
from apps.tools.tests.adapters.recorded import (
    fake_executable,
    parse,
    require_binary,
    run_real,
    sample,
    url_target,
)

APP = "http://127.0.0.1:18080/"


def test_parses_one() -> None:
    [finding] = parse(zap_baseline, "one", url_target(APP))
    assert (finding.rule_id, finding.severity, finding.confidence, finding.cwe) == (
        "10038",
        "medium",
        "high",
        693,
    )
    assert (finding.url, finding.http_method, finding.parameter) == (APP, "GET", "")
    assert (finding.host, finding.port) == ("127.0.0.1", 18080)
    assert "<p>" not in finding.description and "Content Security Policy" in finding.description
    assert finding.references == (
        "https://developer.mozilla.org/en-US/docs/Web/Security/CSP/Introducing_Content_Security_Policy",
        "https://cheatsheetseries.owasp.org/cheatsheets/Content_Security_Policy_Cheat_Sheet.html",
    )
    assert finding.fingerprint_hint == "zap:10038:/:"


def test_parses_many() -> None:
    findings = parse(zap_baseline, "many", url_target(APP))
    assert len(findings) == 5  # 2 instances of the cookie alert; 1 for the alert without any
    cookies = [f for f in findings if f.rule_id == "10010"]
    assert [f.parameter for f in cookies] == ["session", "session"]
    assert {f.fingerprint_hint for f in cookies} == {
        "zap:10010:/:session",
        "zap:10010:/login:session",
    }
    assert cookies[0].severity == "low" and cookies[0].cwe == 1004
    assert cookies[0].evidence["evidence"] == "Set-Cookie: session"
    info = next(f for f in findings if f.rule_id == "10021")
    assert info.severity == "informational" and info.url == "http://127.0.0.1:18080"


def test_empty() -> None:
    assert parse(zap_baseline, "empty", url_target(APP)) == []


def test_exit_codes() -> None:
    many = sample("zap_baseline", "many")
    for code in (0, 1, 2):
        assert zap_baseline.interpret_exit(exit_code=code, output_path=many, stderr="").ok
    assert not zap_baseline.interpret_exit(exit_code=3, output_path=many, stderr="ZAP failed").ok


@pytest.mark.parametrize("content", ["", "<html/>", "[]", '{"alerts": []}', '{"site": [1]}'])
def test_garbage_raises(tmp_path: Path, content: str) -> None:
    out = tmp_path / "r.json"
    out.write_text(content)
    with pytest.raises(ToolOutputError):
        list(zap_baseline.parse(output_path=out, target=url_target(APP)))


def test_argv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_executable(monkeypatch, zap_baseline, "/zap/zap-baseline.py")
    out = tmp_path / "zap.json"
    command = zap_baseline.build_command(target=url_target(APP), config={}, output_path=out)
    argv = list(command.argv)
    assert argv[argv.index("-t") + 1] == APP
    assert argv[argv.index("-J") + 1] == "zap.json"
    assert command.cwd == tmp_path and command.output_written_by_tool
    assert "-I" in argv


@pytest.mark.parametrize("url", ["-c/etc/passwd", "--hook=/tmp/x.py", "javascript:alert(1)"])
def test_argv_rejects_unsafe_targets(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    fake_executable(monkeypatch, zap_baseline, "/zap/zap-baseline.py")
    with pytest.raises(ValueError):
        zap_baseline.build_command(
            target=PreparedTarget(asset_type="url", identifier=url, url=url),
            config={},
            output_path=Path("/o.json"),
        )


@pytest.mark.scanner
def test_real_run(tmp_path: Path) -> None:
    require_binary(zap_baseline)
    from apps.tools.tests.adapters import loopback

    with loopback.VulnerableApp() as app:
        run = run_real(zap_baseline, url_target(app.url), tmp_path, {"max_minutes": 5})
    assert run.verdict.ok, run.verdict.reason
    assert run.findings(zap_baseline)
