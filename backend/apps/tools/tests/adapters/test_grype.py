"""Grype adapter: matches, related CVEs, sources that cannot be hijacked; argv."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.tools.adapters.base import PreparedTarget, ToolOutputError
from apps.tools.adapters.grype import grype
from apps.tools.tests.adapters.recorded import (
    fake_executable,
    image_target,
    parse,
    require_binary,
    run_real,
    tree_target,
)


def test_parses_one() -> None:
    [finding] = parse(grype, "one")
    assert finding.rule_id == "GHSA-9wx4-h78v-vm56"
    assert finding.cve == "CVE-2024-35195"  # from relatedVulnerabilities
    assert finding.severity == "medium"
    assert (finding.package_name, finding.package_version, finding.fixed_version) == (
        "requests",
        "2.31.0",
        "2.32.0",
    )
    assert finding.file_path == "api/requirements.txt"
    assert finding.fingerprint_hint == "python:requests:2.31.0:GHSA-9wx4-h78v-vm56"


def test_parses_many() -> None:
    findings = {f.rule_id: f for f in parse(grype, "many", image_target("example/web:1.4.2"))}
    assert len(findings) == 3
    libc = findings["CVE-2023-4911"]
    assert (libc.severity, libc.fixed_version, libc.image) == (
        "high",
        "2.36-9+deb12u3",
        "example/web:1.4.2",
    )
    assert libc.image_layer.startswith("sha256:7c9e1d2f")
    assert libc.file_path == "/usr/share/doc/libc6/copyright"
    assert "ld.so" in libc.description  # taken from the related NVD record
    assert findings["CVE-2023-45853"].severity == "informational"  # Negligible
    assert findings["CVE-2023-45853"].evidence["fix_state"] == "wont-fix"


def test_empty() -> None:
    assert parse(grype, "empty") == []


@pytest.mark.parametrize("content", ["", "grype: error", "[]", '{"foo": 1}', '{"matches": [{}]}'])
def test_garbage_raises(tmp_path: Path, content: str) -> None:
    out = tmp_path / "r.json"
    out.write_text(content)
    with pytest.raises(ToolOutputError):
        list(grype.parse(output_path=out, target=tree_target(tmp_path)))


def test_argv_sources_are_explicit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_executable(monkeypatch, grype, "/opt/grype")
    out = tmp_path / "g.json"
    tree = grype.build_command(target=tree_target(tmp_path), config={}, output_path=out)
    assert tree.argv[-2:] == ("--", f"dir:{tmp_path.resolve()}")
    image = grype.build_command(
        target=image_target("docker:latest"), config={"by_cve": True}, output_path=out
    )
    # "docker:latest" is an image named docker, never grype's docker: source scheme.
    assert image.argv[-2:] == ("--", "registry:docker:latest")
    assert "--by-cve" in image.argv


@pytest.mark.parametrize("image", ["dir:/etc", "file:/etc/passwd", "-o/tmp/x", "sbom:/x.json"])
def test_argv_rejects_other_sources(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, image: str
) -> None:
    fake_executable(monkeypatch, grype, "/opt/grype")
    target = PreparedTarget(asset_type="container_image", identifier=image, image=image)
    with pytest.raises(ValueError):
        grype.build_command(target=target, config={}, output_path=tmp_path / "g.json")


@pytest.mark.scanner
def test_real_run(tmp_path: Path) -> None:
    require_binary(grype)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "requirements.txt").write_text("requests==2.19.0\n")
    run = run_real(grype, tree_target(tree), tmp_path)
    assert run.verdict.ok, run.verdict.reason
    assert any(f.package_name == "requests" for f in run.findings(grype))
