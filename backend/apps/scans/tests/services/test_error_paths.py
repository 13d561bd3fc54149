"""A tool's error message never shows the worker's paths: the scan folder under /tmp, the
scanned tree's location in it, or the scanner cache. Members read these messages."""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
from django.core.files.base import ContentFile

from apps.common.testing.factories import (
    ProjectFactory,
    ScanConfigurationFactory,
    ScanConfigurationToolFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.scans.models import ScanToolResult, ToolResultStatus
from apps.scans.services import execution
from apps.scans.services import scans as scan_services
from apps.tools.adapters import registry
from apps.tools.adapters.base import BaseAdapter, PreparedTarget, ToolCommand, scanners_home

pytestmark = pytest.mark.django_db(transaction=True)

# A tool that fails the way real ones do: naming the file it could not read (inside the
# prepared tree), its own install folder and its output file, on stderr.
SCRIPT = (
    "import sys\n"
    "tree, cache, out = sys.argv[2], sys.argv[3], sys.argv[4]\n"
    "print(f'Traceback: File \"{cache}/semgrep/lib/python3.11/site-packages/x.py\"',"
    " file=sys.stderr)\n"
    "print(f'error: cannot parse {tree}/app.py: bad token; report {out}', file=sys.stderr)\n"
    "sys.exit(2)\n"
)


class PathLeakingTool(BaseAdapter):
    tool_id = name = "leaky"
    category = "sast"
    supported_asset_types = ("file_upload",)
    binary = "python3"

    def executable(self) -> str | None:
        return sys.executable

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        argv = (sys.executable, "-c", SCRIPT, "--", str(target.path), str(scanners_home()))
        return ToolCommand(argv=(*argv, str(output_path)), output_path=output_path)

    def parse(self, *, output_path: Path, target: PreparedTarget):  # pragma: no cover
        return iter(())


def _scan_with(adapter: BaseAdapter, settings, tmp_path, monkeypatch, overrides=None, archive=None):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    adapters = {adapter.tool_id: adapter}
    monkeypatch.setattr(registry, "ADAPTERS", adapters)
    monkeypatch.setattr(execution, "ADAPTERS", adapters)
    monkeypatch.setattr(scan_services, "_enqueue_scan", lambda scan_id: None)
    monkeypatch.setattr(execution, "_enqueue_finalize", lambda scan_id: None)
    monkeypatch.setattr(execution, "_enqueue_notify", lambda scan_id: None)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("app.py", "print(1)\n")
    project = ProjectFactory()
    target = TargetAssetFactory(project=project, asset_type="file_upload", identifier="app.zip")
    target.upload.save("app.zip", ContentFile(archive or buffer.getvalue()))
    configuration = ScanConfigurationFactory(project=project, tool_timeout_seconds=30)
    configuration.targets.add(target)
    tool = ToolDefinitionFactory(
        slug=adapter.tool_id,
        supported_asset_types=["file_upload"],
        config_schema=dict(adapter.config_schema),
    )
    ScanConfigurationToolFactory(configuration=configuration, tool=tool, overrides=overrides or {})
    scan = scan_services.scan_start(configuration=configuration)
    for result_id in execution.scan_run(scan_id=scan.pk):
        execution.tool_result_run(result_id=result_id)
    return ScanToolResult.objects.get(scan=scan)


def test_tool_errors_show_no_worker_paths(settings, tmp_path, monkeypatch):
    result = _scan_with(PathLeakingTool(), settings, tmp_path, monkeypatch)
    assert result.status == ToolResultStatus.FAILED
    message = result.error_message
    assert "seculite-" not in message, message
    assert "/tmp" not in message, message
    assert str(scanners_home()) not in message, message
    assert ".cache/seculite" not in message, message
    # What is left still tells the user what went wrong, and where in their tree.
    assert "cannot parse <target>/app.py: bad token" in message
    assert "<scanners>/semgrep/lib/" in message


class RegistryTool(PathLeakingTool):
    """A tool with a registry URL option that quotes the registry's reply when it fails."""

    tool_id = name = "registry-tool"
    config_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "properties": {"registry": {"type": "string", "outboundUrl": True}},
    }
    marker: ClassVar[Path | None] = None

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        script = (
            "import pathlib, sys\n"
            "pathlib.Path(sys.argv[1]).write_text('ran')\n"
            'print(\'E500 from registry: {"redis_version": "7.2", "role": "master"}\','
            " file=sys.stderr)\n"
            "sys.exit(1)\n"
        )
        argv = (sys.executable, "-c", script, str(self.marker))
        return ToolCommand(argv=argv, output_path=output_path)


def test_a_url_override_reply_is_not_shown(settings, tmp_path, monkeypatch):
    # The marker proves the tool ran; the sandbox would keep it from writing outside its
    # output folder, and this test is about the message, not the sandbox.
    settings.SECULITE_TOOL_SANDBOX = "off"
    settings.SECULITE_TARGET_ALLOW = ["127.0.0.1"]
    RegistryTool.marker = tmp_path / "ran"
    overrides = {"registry": "http://127.0.0.1:6379/"}
    result = _scan_with(RegistryTool(), settings, tmp_path, monkeypatch, overrides)
    assert RegistryTool.marker.exists()
    assert result.status == ToolResultStatus.FAILED
    assert "redis_version" not in result.error_message
    assert "127.0.0.1" in result.error_message


def test_a_url_override_the_policy_no_longer_allows_is_never_contacted(
    settings, tmp_path, monkeypatch
):
    """Saved while allowed (or while the name resolved elsewhere); checked again at run."""
    settings.SECULITE_TOOL_SANDBOX = "off"  # so the marker could be written if it ran
    settings.SECULITE_TARGET_ALLOW = []
    RegistryTool.marker = tmp_path / "ran"
    overrides = {"registry": "http://127.0.0.1:6379/"}
    result = _scan_with(RegistryTool(), settings, tmp_path, monkeypatch, overrides)
    assert not RegistryTool.marker.exists()
    assert result.status == ToolResultStatus.FAILED
    assert result.error_message.startswith("Could not reach 127.0.0.1")


def test_extraction_errors_show_no_worker_paths(settings, tmp_path, monkeypatch):
    """A name the file system refuses (longer than 255 bytes) fails extraction with an OS
    error that names the full path under the scan folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("src/" + "a" * 300 + ".py", "print(1)\n")
    result = _scan_with(
        PathLeakingTool(), settings, tmp_path, monkeypatch, archive=buffer.getvalue()
    )
    assert result.status == ToolResultStatus.FAILED
    assert "name too long" in result.error_message.lower(), result.error_message
    assert "/tmp" not in result.error_message, result.error_message
    assert "seculite-" not in result.error_message, result.error_message
