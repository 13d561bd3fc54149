"""Network tools connect to the address the target policy checked, never to whatever the
name resolves to later (DNS rebinding between the check and the scan)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from apps.targets.preparation import prepare_target
from apps.tools.adapters.nmap import nmap
from apps.tools.adapters.sslyze import sslyze
from apps.tools.adapters.testssl import testssl
from apps.tools.tests.adapters.recorded import fake_executable, run_real

REBINDING_NAME = "rebind.seculite.test"


class _Target:
    """The TargetAsset fields prepare_target reads."""

    def __init__(self, asset_type: str, identifier: str) -> None:
        self.asset_type = asset_type
        self.identifier = identifier
        self.metadata: dict[str, Any] = {}
        self.upload = None


@pytest.fixture
def rebinding_dns(monkeypatch: pytest.MonkeyPatch, settings) -> None:
    """The policy check sees 127.0.0.2 for the name; the name does not resolve for anyone
    asking later, as a rebinding server would answer with another address."""
    settings.SECULITE_TARGET_ALLOW = ["127.0.0.0/8"]
    real = socket.getaddrinfo

    def fake(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == REBINDING_NAME:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.2", 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.parametrize("asset_type", ["domain", "url"])
def test_prepared_network_targets_carry_the_checked_addresses(
    rebinding_dns: None, tmp_path: Path, asset_type: str
) -> None:
    identifier = REBINDING_NAME if asset_type == "domain" else f"https://{REBINDING_NAME}/"
    prepared = prepare_target(_Target(asset_type, identifier), workdir=tmp_path)
    assert prepared.addresses == ("127.0.0.2",)


def test_tools_are_pinned_to_the_checked_address(
    rebinding_dns: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared = prepare_target(_Target("domain", REBINDING_NAME), workdir=tmp_path)
    for adapter in (nmap, sslyze, testssl):
        fake_executable(monkeypatch, adapter, "/usr/bin/true")
        config = adapter.config_with_defaults({})
        argv = adapter.build_command(
            target=prepared, config=config, output_path=tmp_path / "out"
        ).argv
        target_arg = argv[argv.index("--") + 1]
        assert "127.0.0.2" in " ".join(argv), (adapter.tool_id, argv)
        if adapter is nmap:
            assert target_arg == "127.0.0.2"
        if adapter is sslyze:
            assert target_arg == f"{REBINDING_NAME}:443{{127.0.0.2}}"
        if adapter is testssl:
            assert argv[argv.index("--ip") + 1] == "127.0.0.2"


@pytest.mark.scanner
def test_real_nmap_scans_the_checked_address_and_reports_the_name(
    rebinding_dns: None, tmp_path: Path
) -> None:
    prepared = prepare_target(_Target("domain", REBINDING_NAME), workdir=tmp_path / "t")
    with socket.create_server(("127.0.0.2", 0)) as listener:
        port = listener.getsockname()[1]
        config = {"ports": str(port), "service_detection": False}
        run = run_real(nmap, prepared, tmp_path, config, timeout=120)
    assert run.verdict.ok, run.verdict.reason
    [finding] = run.findings(nmap)
    assert (finding.host, finding.port) == (REBINDING_NAME, port)
    assert finding.evidence["address"] == "127.0.0.2"
