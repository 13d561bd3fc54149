"""sync_tools: rows follow the registry; availability and version come from the machine."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from apps.tools.adapters.base import BaseAdapter
from apps.tools.models import ToolDefinition
from apps.tools.sync import tools_sync

pytestmark = pytest.mark.django_db


class PythonAsTool(BaseAdapter):
    """A real binary that is always present: the interpreter running the tests."""

    tool_id = "pytool"
    name = "Py Tool"
    category = "sast"
    supported_asset_types = ("codebase_path",)
    binary = Path(sys.executable).name

    def executable(self) -> str | None:
        return sys.executable


class MissingTool(BaseAdapter):
    tool_id = "missing"
    name = "Missing"
    category = "dast"
    binary = "definitely-not-installed-scanner"


def test_sync_creates_rows_with_version_and_availability():
    tools_sync(adapters={"pytool": PythonAsTool(), "missing": MissingTool()})  # type: ignore[dict-item]
    present = ToolDefinition.objects.get(slug="pytool")
    assert present.available is True
    assert present.version == f"{sys.version_info.major}.{sys.version_info.minor}." + str(
        sys.version_info.micro
    )
    assert present.supported_asset_types == ["codebase_path"]
    missing = ToolDefinition.objects.get(slug="missing")
    assert missing.available is False
    assert "definitely-not-installed-scanner" in missing.unavailable_reason


def test_sync_keeps_the_admin_switch_and_retires_unknown_tools():
    ToolDefinition.objects.create(slug="pytool", name="old", category="sast", enabled=False)
    ToolDefinition.objects.create(slug="retired", name="Retired", category="sast", available=True)
    tools_sync(adapters={"pytool": PythonAsTool()})  # type: ignore[dict-item]
    assert ToolDefinition.objects.get(slug="pytool").enabled is False
    assert ToolDefinition.objects.get(slug="pytool").name == "Py Tool"
    retired = ToolDefinition.objects.get(slug="retired")
    assert retired.available is False and "No adapter" in retired.unavailable_reason
