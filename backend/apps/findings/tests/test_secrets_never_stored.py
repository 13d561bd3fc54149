"""Hard-coded secrets are never stored: real scanners run through the scan worker on a tree
with planted secrets, then everything SecuLite kept (every database row, the raw output files)
and everything it exports is searched for the secret values."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from apps.common.testing.factories import (
    ScanConfigurationFactory,
    ScanConfigurationToolFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.findings.models import Finding
from apps.scans.models import Scan
from apps.scans.services import execution
from apps.scans.services import scans as scan_services
from apps.tools.adapters import registry
from apps.tools.adapters.base import (
    BaseAdapter,
    NormalizedFinding,
    PreparedTarget,
    ToolCommand,
    ToolOutputError,
)
from apps.tools.adapters.registry import ADAPTERS
from apps.tools.tests.adapters.recorded import require_binary

pytestmark = pytest.mark.django_db(transaction=True)

AWS_KEY_ID = "AKIAQ7RZ3XK4TD2WVN5M"
AWS_SECRET = "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"
PASSWORD = "Sup3rS3cretPassw0rd!"
KEYWORD_PASSWORD = "Hunter2Hunter2xyz"
DEFAULT_PASSWORD = "DefaultPassw0rd99"
GITHUB_TOKEN = "ghp_R8x2Lq7Vt4Nz9Kc3Wm6Pd1Fs5Hj0Bg2Yu8Ea"
CLIENT_SECRET = "q8Zr7Kx2Lm9Np4Vt6Wy1Bc3Df5Gh0Jk8"
KEY_BODY = (
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/Iz",
    "W7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoL",
    "cMpXgAH6j0RKKCPBBKJqXHpQQvk2pQ7hsmFyZWBNlCD6Sk+ZyuEaF5GI1J2Z0tPQ8mLyZ2E0C3qB8ivA",
)
SECRETS = (
    AWS_KEY_ID, AWS_SECRET, PASSWORD, KEYWORD_PASSWORD, DEFAULT_PASSWORD, GITHUB_TOKEN,
    CLIENT_SECRET, *KEY_BODY,
)  # fmt: skip

PYTHON = f'''import requests

AWS_ACCESS_KEY_ID = "{AWS_KEY_ID}"
AWS_SECRET_ACCESS_KEY = "{AWS_SECRET}"
password = "{PASSWORD}"


def login(user, pwd="{DEFAULT_PASSWORD}"):
    return requests.post("https://example.com/login", auth=(user, pwd), timeout=5)


def connect():
    return login(user="admin",
                 password="{KEYWORD_PASSWORD}")
'''
JAVASCRIPT = f"""const express = require("express");
const githubToken = "{GITHUB_TOKEN}";
const client_secret = "{CLIENT_SECRET}";
module.exports = {{ githubToken, client_secret }};
"""
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n".format(
    "\n".join(KEY_BODY)
)

# The tools that run here and flag hard-coded secrets (Checkov's secrets framework reports
# none of these, Gitleaks and Trivy do not run here).
TOOLS = {"bandit": {}, "semgrep": {}, "detect-secrets": {}, "njsscan": {}}


def leaks(text: str) -> list[str]:
    """The planted secrets (or their unmasked tails) found in `text`."""
    return [s for s in SECRETS if s in text or s[4:] in text or s[-12:] in text]


@pytest.fixture
def scanned(tmp_path: Path, settings, monkeypatch) -> Path:
    for tool_id in TOOLS:
        require_binary(ADAPTERS[tool_id])
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SECULITE_ALLOWED_PATHS = [str(tmp_path)]
    code = tmp_path / "code"
    (code / "app").mkdir(parents=True)
    (code / "app" / "client.py").write_text(PYTHON)
    (code / "web").mkdir()
    (code / "web" / "server.js").write_text(JAVASCRIPT)
    (code / "deploy").mkdir()
    (code / "deploy" / "id_rsa").write_text(PRIVATE_KEY)
    monkeypatch.setattr(scan_services, "_enqueue_scan", lambda scan_id: None)
    monkeypatch.setattr(execution, "_enqueue_finalize", lambda scan_id: None)
    monkeypatch.setattr(execution, "_enqueue_notify", lambda scan_id: None)
    return code


def _run(project, code: Path, tools: Mapping[str, Any] = TOOLS) -> Scan:
    target = TargetAssetFactory(project=project, asset_type="codebase_path", identifier=str(code))
    configuration = ScanConfigurationFactory(project=project, tool_timeout_seconds=600)
    configuration.targets.add(target)
    for slug, overrides in tools.items():
        tool = ToolDefinitionFactory(slug=slug, name=ADAPTERS[slug].name)
        ScanConfigurationToolFactory(configuration=configuration, tool=tool, overrides=overrides)
    scan = scan_services.scan_start(configuration=configuration)
    for result_id in execution.scan_run(scan_id=scan.pk):
        execution.tool_result_run(result_id=result_id)
    return execution.scan_finalize(scan_id=scan.pk)


def _stored_files(media: Path) -> Iterator[tuple[Path, str]]:
    for path in sorted(media.rglob("*")):
        if path.is_file():
            yield path, path.read_bytes().decode("utf-8", "replace")


@pytest.mark.scanner
def test_planted_secrets_appear_nowhere_in_what_is_stored_or_exported(
    scanned: Path, project_with_roles, client_for, settings
) -> None:
    project = project_with_roles.project
    scan = _run(project, scanned)
    results = {r.tool.slug: r for r in scan.tool_results.select_related("tool")}
    failed = {slug: r.error_message for slug, r in results.items() if r.status == "failed"}
    assert not failed, failed

    # The tools did flag the secrets: otherwise this test would prove nothing.
    rules = set(Finding.objects.values_list("tool__slug", "rule_id"))
    assert {("bandit", "B105"), ("bandit", "B106"), ("bandit", "B107")} <= rules
    flagged = {slug for slug, _ in rules}
    assert {"bandit", "semgrep", "detect-secrets"} <= flagged, rules
    bandit_b106 = Finding.objects.get(tool__slug="bandit", rule_id="B106")
    assert bandit_b106.title.startswith("Possible hardcoded password")
    assert "********" in bandit_b106.title

    # Every row of every table.
    dump = io.StringIO()
    call_command("dumpdata", "--natural-foreign", stdout=dump)
    assert not leaks(dump.getvalue()), "a secret is stored in the database"

    # Every file kept (the tools' raw outputs).
    kept = list(_stored_files(Path(settings.MEDIA_ROOT)))
    assert len(kept) >= len(TOOLS), [str(p) for p, _ in kept]
    for path, text in kept:
        assert not leaks(text), f"a secret is kept in {path.name}"

    # Every export format.
    client = client_for(project_with_roles.owner)
    for fmt in ("csv", "json", "sarif"):
        response = client.get("/api/v1/findings/export/", {"format": fmt})
        assert response.status_code == 200
        text = b"".join(response.streaming_content).decode("utf-8")
        assert "B106" in text
        assert not leaks(text), f"a secret is in the {fmt} export"
    # And the API's finding detail, which shows snippet and evidence.
    detail = client.get(f"/api/v1/findings/{bandit_b106.pk}/")
    assert detail.status_code == 200
    assert not leaks(detail.content.decode("utf-8"))


class HalfReadableBandit(BaseAdapter):
    """A tool whose report holds a hard-coded password finding, then an entry it cannot read."""

    tool_id = name = "bandit"
    category = "sast"
    supported_asset_types = ("codebase_path",)
    binary = "python3"
    report = [{"test_id": "B105", "issue_text": f"Possible hardcoded password: '{PASSWORD}'"}, 7]

    def executable(self) -> str | None:
        return sys.executable

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        script = f"print({json.dumps(json.dumps(self.report))})"
        return ToolCommand(argv=(sys.executable, "-c", script), output_path=output_path)

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        for entry in json.loads(output_path.read_text()):
            if not isinstance(entry, dict):
                raise ToolOutputError("an entry is not an object")
            text = entry["issue_text"]
            yield NormalizedFinding(title=text, severity="low", rule_id=entry["test_id"])


def test_a_report_that_fails_half_way_is_kept_without_the_secrets_it_held(
    tmp_path: Path, settings, monkeypatch, project_with_roles
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SECULITE_ALLOWED_PATHS = [str(tmp_path)]
    (tmp_path / "code").mkdir()
    adapters = {"bandit": HalfReadableBandit()}
    monkeypatch.setattr(registry, "ADAPTERS", adapters)
    monkeypatch.setattr(execution, "ADAPTERS", adapters)
    monkeypatch.setattr(scan_services, "_enqueue_scan", lambda scan_id: None)
    monkeypatch.setattr(execution, "_enqueue_finalize", lambda scan_id: None)
    monkeypatch.setattr(execution, "_enqueue_notify", lambda scan_id: None)
    scan = _run(project_with_roles.project, tmp_path / "code", {"bandit": {}})
    [result] = scan.tool_results.all()
    assert result.status == "failed" and "Unparseable output" in result.error_message
    with result.raw_output.open("rb") as kept:
        text = kept.read().decode()
    assert "Possible hardcoded password" in text
    assert PASSWORD not in text
    assert [p.name for p in (tmp_path / "media").rglob("*.out")] == [
        Path(result.raw_output.name).name
    ]
