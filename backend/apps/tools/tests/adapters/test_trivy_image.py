"""Trivy image adapter: OS and language packages, layers, secrets; image reference safety."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.tools.adapters.base import PreparedTarget, ToolOutputError
from apps.tools.adapters.trivy_image import trivy_image
from apps.tools.tests.adapters.recorded import (
    fake_executable,
    image_target,
    parse,
    require_binary,
    run_real,
)

IMAGE = "example/web:1.4.2"


def test_parses_one() -> None:
    [finding] = parse(trivy_image, "one", image_target(IMAGE))
    assert (finding.rule_id, finding.severity, finding.cwe) == ("CVE-2023-4911", "high", 787)
    assert (finding.package_name, finding.package_version, finding.fixed_version) == (
        "libc6",
        "2.36-9+deb12u1",
        "2.36-9+deb12u3",
    )
    assert finding.image == IMAGE
    assert finding.image_layer.startswith("sha256:7c9e1d2f")
    assert finding.file_path == ""  # an OS package has no file in the report
    assert finding.fingerprint_hint == "debian:libc6:2.36-9+deb12u1:CVE-2023-4911"


def test_parses_many() -> None:
    findings = parse(trivy_image, "many", image_target(IMAGE))
    assert len(findings) == 5
    by_id = {f.rule_id: f for f in findings}
    assert by_id["CVE-2023-45853"].severity == "critical"
    assert by_id["CVE-2023-45853"].fixed_version == ""
    assert by_id["CVE-2023-45853"].evidence["status"] == "will_not_fix"
    assert by_id["CVE-2011-3374"].severity == "low"
    assert by_id["CVE-2024-35195"].image_layer.startswith("sha256:1a2b3c4d")
    secret = by_id["aws-access-key-id"]
    assert (secret.file_path, secret.line_start, secret.cwe) == ("/app/.env", 2, 798)


def test_empty() -> None:
    assert parse(trivy_image, "empty", image_target(IMAGE)) == []


def test_garbage_raises(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    out.write_text('{"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{"PkgName": "x"}]}]}')
    with pytest.raises(ToolOutputError, match="VulnerabilityID"):
        list(trivy_image.parse(output_path=out, target=image_target(IMAGE)))


def test_argv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_executable(monkeypatch, trivy_image, "/opt/trivy")
    command = trivy_image.build_command(
        target=image_target("registry.example.test:5000/team/app@sha256:" + "a" * 64),
        config={},
        output_path=tmp_path / "t.json",
    )
    argv = list(command.argv)
    assert argv[:2] == ["/opt/trivy", "image"]
    assert argv[-2:] == ["--", "registry.example.test:5000/team/app@sha256:" + "a" * 64]
    assert argv[argv.index("--image-src") + 1] == "remote"


@pytest.mark.parametrize(
    "image", ["--input=/etc/passwd", "-o/tmp/x", "Upper/Case", "nginx latest", "a/../b"]
)
def test_argv_rejects_bad_references(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, image: str
) -> None:
    fake_executable(monkeypatch, trivy_image, "/opt/trivy")
    target = PreparedTarget(asset_type="container_image", identifier=image, image=image)
    with pytest.raises(ValueError):
        trivy_image.build_command(target=target, config={}, output_path=tmp_path / "t.json")


@pytest.mark.scanner
def test_real_run(tmp_path: Path) -> None:
    require_binary(trivy_image)
    run = run_real(trivy_image, image_target("alpine:3.19"), tmp_path, timeout=900)
    assert run.verdict.ok, run.verdict.reason
    run.findings(trivy_image)
