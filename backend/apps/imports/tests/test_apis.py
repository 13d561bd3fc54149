"""POST /projects/{id}/imports/ and the formats endpoints, as a CI job or the web app sees them."""

from __future__ import annotations

import json

import jsonschema
import pytest

from apps.common.testing.factories import ProjectFactory, TargetAssetFactory
from apps.findings.models import Finding
from apps.imports.tests.conftest import sample
from apps.scans.models import Scan, ScanStatus, ScanToolResult, ToolResultStatus
from apps.targets.models import TargetAsset
from apps.tools.adapters.registry import ADAPTERS

pytestmark = pytest.mark.django_db


def error_fields(response) -> dict:
    body = response.json()
    assert body["error"]["status"] == response.status_code
    return body["error"].get("fields", {})


def test_formats_list_every_adapter_then_sarif_and_generic(client_for, project_with_roles):
    response = client_for(project_with_roles.auditor).get("/api/v1/imports/formats/")
    assert response.status_code == 200
    formats = {entry["id"]: entry for entry in response.json()}
    assert set(ADAPTERS) | {"sarif", "generic"} == set(formats)
    assert formats["semgrep"] == {
        "id": "semgrep",
        "name": "Semgrep JSON",
        "tool": "semgrep",
        "media": "JSON",
        "description": "Output of `semgrep --json`.",
    }
    assert formats["sarif"]["tool"] is None
    assert formats["generic"]["schema_url"] == "/api/v1/imports/formats/generic/schema/"
    assert [entry["id"] for entry in response.json()][-2:] == ["sarif", "generic"]


def test_the_generic_schema_is_served_and_accepts_the_documented_example(client_for, settings):
    response = client_for(None).get("/api/v1/imports/formats/generic/schema/")
    assert response.status_code in (401, 403)
    from apps.common.testing.factories import UserFactory

    response = client_for(UserFactory()).get("/api/v1/imports/formats/generic/schema/")
    assert response.status_code == 200
    schema = response.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    docs = (settings.REPO_DIR / "docs" / "import-formats.md").read_text()
    example = json.loads(docs.split("```json\n", 1)[1].split("```", 1)[0])
    jsonschema.Draft202012Validator(schema).validate(example)
    bad = {**example, "findings": [{"title": "x", "severity": "urgent"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(bad)


def test_a_member_imports_a_semgrep_report_and_the_worker_stores_its_findings(
    project_with_roles, code_target, upload, eager, client_for
):
    site = project_with_roles
    response = upload(site.member, site.project, sample("semgrep"), format="semgrep",
                      target=code_target.pk, tool_version="1.99.0")  # fmt: skip
    assert response.status_code == 202, response.json()
    body = response.json()
    assert response["Location"] == f"/api/v1/scans/{body['id']}/"
    assert body["trigger"] == "import" and body["status"] == "queued"
    [result] = body["tool_results"]
    assert result["tool"]["slug"] == "semgrep" and result["target"]["id"] == code_target.pk
    assert result["tool_version"] == "1.99.0"

    scan = Scan.objects.get(pk=body["id"])
    assert scan.status == ScanStatus.COMPLETED, scan.error_message
    assert scan.summary["total"] == scan.summary["new"] == 22
    stored = ScanToolResult.objects.get(scan=scan)
    assert (stored.status, stored.findings_count) == (ToolResultStatus.COMPLETED, 22)
    assert (stored.report_format, stored.report_name) == ("semgrep", "many.json")
    assert Finding.objects.filter(project=site.project, tool__slug="semgrep").count() == 22
    with stored.raw_output.open("rb") as raw:
        assert raw.read(1) == b"{"
    # Lists of scans say which report an import was, without asking for its tool results.
    listed = client_for(site.auditor).get(f"/api/v1/projects/{site.project.pk}/scans/").json()
    row = next(r for r in listed["results"] if r["id"] == scan.pk)
    assert (row["report_name"], row["report_format"]) == ("many.json", "semgrep")


@pytest.mark.parametrize("role", ["owner", "member"])
def test_owners_and_members_may_import(project_with_roles, code_target, upload, role):
    user = getattr(project_with_roles, role)
    response = upload(user, project_with_roles.project, sample("bandit"), format="bandit",
                      target=code_target.pk)  # fmt: skip
    assert response.status_code == 202


def test_auditors_are_refused_and_outsiders_see_no_project(project_with_roles, code_target, upload):
    site = project_with_roles
    fields = {"format": "bandit", "target": code_target.pk}
    refused = upload(site.auditor, site.project, sample("bandit"), **fields)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    hidden = upload(site.outsider, site.project, sample("bandit"), **fields)
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
    assert not Scan.objects.exists()


def test_a_target_is_found_by_name_or_created_with_its_identifier(project_with_roles, upload):
    site = project_with_roles
    fields = {"format": "bandit", "target_name": "api", "target_type": "git_repository"}
    missing = upload(site.member, site.project, sample("bandit"), **fields)
    assert missing.status_code == 400
    assert "identifier" in error_fields(missing)["target_identifier"][0]
    created = upload(site.member, site.project, sample("bandit"), **fields,
                     target_identifier="https://git.example.com/acme/api.git")  # fmt: skip
    assert created.status_code == 202, created.json()
    target = TargetAsset.objects.get(project=site.project, name="api")
    assert target.identifier == "https://git.example.com/acme/api.git"
    again = upload(site.member, site.project, sample("bandit"), **fields)
    assert again.status_code == 202
    assert again.json()["tool_results"][0]["target"]["id"] == target.pk
    assert TargetAsset.objects.filter(project=site.project).count() == 1


def test_the_new_targets_identifier_is_checked_like_any_target(project_with_roles, upload):
    site = project_with_roles
    response = upload(site.member, site.project, sample("bandit"), format="bandit",
                      target_name="api", target_type="git_repository",
                      target_identifier="file:///etc/passwd")  # fmt: skip
    assert response.status_code == 400
    assert list(error_fields(response)) == ["target_identifier"]
    assert not TargetAsset.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"format": "nope"}, "format", "Unknown format 'nope'"),
        ({"format": "bandit", "target_name": "app", "target_type": "url"}, "target_type",
         "is a git_repository target"),
        ({"format": "bandit", "ref": "feature/../x"}, "ref", "'..'"),
        ({"format": "bandit", "ref": "-x"}, "ref", "'-'"),
        ({"format": "bandit", "commit": "xyz"}, "commit", "hexadecimal"),
        ({"format": "zap_baseline"}, "format", "url targets"),
        ({"format": "bandit", "target_name": "f", "target_type": "file_upload"}, "target_type",
         "archive"),
    ],
)  # fmt: skip
def test_bad_fields_are_400s_naming_the_field(
    project_with_roles, code_target, upload, fields, field, words
):
    site = project_with_roles
    if "target_name" not in fields:
        fields = {**fields, "target": code_target.pk}
    response = upload(site.member, site.project, sample("bandit"), **fields)
    assert response.status_code == 400, response.json()
    assert words in " ".join(error_fields(response)[field])
    assert not Scan.objects.exists()


def test_a_target_of_another_project_is_unknown_here(project_with_roles, upload):
    site = project_with_roles
    elsewhere = TargetAssetFactory(project=ProjectFactory(), asset_type="git_repository")
    response = upload(site.member, site.project, sample("bandit"), format="bandit",
                      target=elsewhere.pk)  # fmt: skip
    assert response.status_code == 400
    message = f"No target with id {elsewhere.pk} in this project."
    assert error_fields(response)["target"] == [message]


def test_the_file_format_and_target_are_required(project_with_roles, client_for, code_target):
    site = project_with_roles
    client = client_for(site.member)
    url = f"/api/v1/projects/{site.project.pk}/imports/"
    response = client.post(url, {"format": "bandit", "target": code_target.pk}, format="multipart")
    assert response.status_code == 400 and "file" in error_fields(response)


def test_an_empty_file_is_refused_with_a_reason(project_with_roles, code_target, upload):
    site = project_with_roles
    response = upload(site.member, site.project, b"", format="semgrep", target=code_target.pk)
    assert response.status_code == 400
    assert error_fields(response)["file"] == ["The file is empty: upload the tool's report."]


def test_a_report_over_the_limit_is_a_413(project_with_roles, code_target, upload, settings):
    settings.SECULITE_IMPORT_MAX_BYTES = 100
    site = project_with_roles
    small = upload(site.member, site.project, b"{" + b" " * 200 + b"}", format="semgrep",
                   target=code_target.pk)  # fmt: skip
    assert small.status_code == 413
    assert "at most 100 bytes" in small.json()["error"]["message"]
    # Refused from the Content-Length alone, before the body is read.
    big = upload(site.member, site.project, b" " * (2 * 1024 * 1024), format="semgrep",
                 target=code_target.pk)  # fmt: skip
    assert big.status_code == 413 and big.json()["error"]["code"] == "request_too_large"
    assert not Scan.objects.exists()


def test_ref_and_commit_are_recorded_and_only_the_default_branch_is_default(
    project_with_roles, code_target, upload
):
    site = project_with_roles
    commit = "0123456789abcdef0123456789abcdef01234567"
    pull = upload(site.member, site.project, sample("bandit"), format="bandit",
                  target=code_target.pk, ref="refs/pull/12/head",
                  commit=commit.upper())  # fmt: skip
    assert pull.status_code == 202, pull.json()
    scan = Scan.objects.get(pk=pull.json()["id"])
    assert (scan.ref, scan.commit_sha, scan.is_default_branch) == (
        "refs/pull/12/head",
        commit,
        False,
    )
    assert ScanToolResult.objects.get(scan=scan).commit_sha == commit
    main = upload(site.member, site.project, sample("bandit"), format="bandit",
                  target=code_target.pk, ref="main")  # fmt: skip
    assert Scan.objects.get(pk=main.json()["id"]).is_default_branch is True
    # A SHA-256 repository's commit is kept whole on the scan and its tool result.
    sha256 = "ab" * 32
    branch = upload(site.member, site.project, sample("bandit"), format="bandit",
                    target=code_target.pk, ref="feature/x", commit=sha256)  # fmt: skip
    assert branch.status_code == 202, branch.json()
    assert ScanToolResult.objects.get(scan_id=branch.json()["id"]).commit_sha == sha256


def test_the_raw_report_is_served_only_once_the_import_ended(
    project_with_roles, code_target, upload, client_for, eager
):
    site = project_with_roles
    scan_id = upload(site.member, site.project, sample("bandit"), format="bandit",
                     target=code_target.pk).json()["id"]  # fmt: skip
    result = ScanToolResult.objects.get(scan_id=scan_id)
    url = f"/api/v1/scans/{scan_id}/tool-results/{result.pk}/raw/"
    response = client_for(site.auditor).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"{")
    ScanToolResult.objects.filter(pk=result.pk).update(status=ToolResultStatus.RUNNING)
    assert client_for(site.auditor).get(url).status_code == 404
