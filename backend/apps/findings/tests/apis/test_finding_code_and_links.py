"""Finding detail: code context, file link at the scanned commit, rule documentation links."""

from __future__ import annotations

import pytest

from apps.common.testing.factories import FindingFactory, ScanFactory, TargetAssetFactory

pytestmark = pytest.mark.django_db

COMMIT = "3f1c2a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"
CONTEXT = {"start": 8, "lines": ["a", "b", "c", "eval(x)", "d"], "highlight": [11, 11]}


def test_detail_shows_code_context_and_links_the_file_at_the_scanned_commit(
    client_for, project_with_roles
):
    project = project_with_roles.project
    target = TargetAssetFactory(
        project=project, asset_type="git_repository",
        identifier="git@github.com:acme/shop.git",
    )  # fmt: skip
    scan = ScanFactory(project=project, checkouts={str(target.id): {"commit": COMMIT}})
    finding = FindingFactory(
        project=project, target=target, last_seen_scan=scan, file_path="app/calc.py",
        line_start=11, code_context=CONTEXT,
        references=["https://eslint.org/docs/latest/rules/no-eval"],
    )  # fmt: skip
    body = client_for(project_with_roles.auditor).get(f"/api/v1/findings/{finding.id}/").json()
    assert body["code_context"] == CONTEXT
    assert body["source_url"] == f"https://github.com/acme/shop/blob/{COMMIT}/app/calc.py#L11"
    assert body["references"] == ["https://eslint.org/docs/latest/rules/no-eval"]


def test_no_context_and_no_link_for_an_uploaded_tree(client_for, project_with_roles):
    project = project_with_roles.project
    target = TargetAssetFactory(project=project, asset_type="codebase_path", identifier="/srv")
    finding = FindingFactory(project=project, target=target, last_seen_scan=ScanFactory(
        project=project, commit_sha=COMMIT))  # fmt: skip
    body = client_for(project_with_roles.auditor).get(f"/api/v1/findings/{finding.id}/").json()
    assert body["code_context"] is None
    assert body["source_url"] == ""
