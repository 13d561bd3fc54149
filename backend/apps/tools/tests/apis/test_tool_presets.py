"""Tool presets: served to every signed-in user, and each preset names real tools that scan
its kind of target."""

from __future__ import annotations

import pytest

from apps.common.testing.factories import UserFactory
from apps.tools.adapters.registry import ADAPTERS
from apps.tools.presets import PRESETS, TARGET_KINDS

pytestmark = pytest.mark.django_db


def test_presets_are_served_with_the_target_kinds(client_for):
    response = client_for(UserFactory()).get("/api/v1/tools/presets/")
    assert response.status_code == 200
    body = response.json()
    assert [kind["id"] for kind in body["target_kinds"]] == ["code", "web", "image", "host"]
    assert body["target_kinds"][0]["asset_types"] == [
        "git_repository",
        "codebase_path",
        "file_upload",
    ]
    code = next(p for p in body["presets"] if p["id"] == "code")
    assert code["name"] == "Code: SAST + secrets + IaC"
    assert code["target_kind"] == "code"
    assert {"semgrep", "bandit", "gitleaks", "checkov"} <= set(code["tools"])
    assert {p["name"] for p in body["presets"]} >= {
        "Dependencies",
        "Web baseline",
        "Container image",
    }


def test_presets_need_a_signed_in_user(client):
    assert client.get("/api/v1/tools/presets/").status_code in (401, 403)


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.id)
def test_each_preset_names_registered_tools_that_scan_its_kind(preset):
    kinds = {kind.id: set(kind.asset_types) for kind in TARGET_KINDS}
    assert preset.target_kind in kinds
    for tool in preset.tools:
        assert tool in ADAPTERS, f"{preset.id}: unknown tool {tool}"
        assert kinds[preset.target_kind] & set(ADAPTERS[tool].supported_asset_types), (
            f"{preset.id}: {tool} scans none of the {preset.target_kind} asset types"
        )


def test_every_asset_type_belongs_to_one_kind():
    from apps.targets.models import AssetType

    seen = [asset for kind in TARGET_KINDS for asset in kind.asset_types]
    assert sorted(seen) == sorted(AssetType.values)
