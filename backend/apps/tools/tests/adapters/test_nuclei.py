"""Nuclei adapter: JSONL streamed line by line, severities, DAST location fields; argv."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.tools.adapters.base import PreparedTarget, ToolOutputError
from apps.tools.adapters.nuclei import nuclei
from apps.tools.tests.adapters.recorded import (
    fake_executable,
    parse,
    require_binary,
    run_real,
    url_target,
)


def test_parses_one() -> None:
    [finding] = parse(nuclei, "one")
    assert (finding.rule_id, finding.severity, finding.cwe) == (
        "http-missing-security-headers",
        "informational",
        693,
    )
    assert (finding.url, finding.http_method, finding.host, finding.port) == (
        "http://127.0.0.1:18080/",
        "GET",
        "127.0.0.1",
        18080,
    )
    assert finding.evidence["matcher_name"] == "content-security-policy"
    assert finding.fingerprint_hint == (
        "nuclei:http-missing-security-headers:content-security-policy:/:"
    )


def test_parses_many() -> None:
    findings = {f.rule_id: f for f in parse(nuclei, "many")}
    assert len(findings) == 3
    xss = findings["reflected-xss-fuzz"]
    assert (xss.severity, xss.parameter, xss.cwe) == ("medium", "q", 79)
    assert xss.fingerprint_hint == "nuclei:reflected-xss-fuzz::/search:q"  # payload not included
    cve = findings["CVE-2021-41773"]
    assert (cve.severity, cve.cve, cve.cwe) == ("high", "CVE-2021-41773", 22)
    assert cve.snippet == "root:x:0:0"
    assert cve.evidence["cvss_score"] == 7.5
    assert cve.remediation.startswith("Upgrade")


def test_empty_output_is_no_findings() -> None:
    assert parse(nuclei, "empty") == []


def test_streams_line_by_line(tmp_path: Path) -> None:
    line = json.dumps(
        {
            "template-id": "t",
            "info": {"name": "n", "severity": "low"},
            "matched-at": "http://h.test/a",
        }
    )
    out = tmp_path / "n.jsonl"
    out.write_text(f"{line}\nnot json\n")
    findings = nuclei.parse(output_path=out, target=url_target("http://h.test/"))
    assert next(findings).severity == "low"  # the first line is yielded before the bad one
    with pytest.raises(ToolOutputError, match="line 2"):
        next(findings)


@pytest.mark.parametrize("content", ["[]\n", '{"info": {}}\n', "[INF] Current nuclei version\n"])
def test_garbage_raises(tmp_path: Path, content: str) -> None:
    out = tmp_path / "n.jsonl"
    out.write_text(content)
    with pytest.raises(ToolOutputError):
        list(nuclei.parse(output_path=out, target=url_target("http://h.test/")))


def test_argv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_executable(monkeypatch, nuclei, "/opt/nuclei")
    command = nuclei.build_command(
        target=url_target("https://shop.example.test/"),
        config={"tags": ["cve", "misconfig"]},
        output_path=tmp_path / "n.jsonl",
    )
    argv = list(command.argv)
    assert "-u=https://shop.example.test/" in argv  # bound to -u, never a separate token
    assert "-jsonl" in argv and "-disable-update-check" in argv
    assert "-tags=cve,misconfig" in argv
    assert "-severity=low,medium,high,critical" in argv
    assert not command.output_written_by_tool


@pytest.mark.parametrize(
    ("config", "url"),
    [
        ({}, "-t/tmp/evil.yaml"),
        ({}, "--headless"),
        ({"tags": ["cve,-code"]}, "https://x.test/"),
        ({"tags": ["-x"]}, "https://x.test/"),
        ({"rate_limit": 100000}, "https://x.test/"),
    ],
)
def test_argv_rejects_unsafe_input(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, config: dict, url: str
) -> None:
    fake_executable(monkeypatch, nuclei, "/opt/nuclei")
    with pytest.raises(ValueError):
        nuclei.build_command(
            target=PreparedTarget(asset_type="url", identifier=url, url=url),
            config=config,
            output_path=tmp_path / "n.jsonl",
        )


@pytest.mark.scanner
def test_real_run(tmp_path: Path) -> None:
    require_binary(nuclei)
    from apps.tools.tests.adapters import loopback

    with loopback.VulnerableApp() as app:
        run = run_real(nuclei, url_target(app.url), tmp_path, {"severities": ["info", "low"]})
    assert run.verdict.ok, run.verdict.reason
    run.findings(nuclei)
