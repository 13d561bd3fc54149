"""`seculite import`: which target and fields the upload sends, what it prints, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import TOKEN, Cli


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "semgrep.json"
    path.write_bytes(b'{"results": [], "errors": [], "version": "1.99.0"}')
    return path


def test_uploads_the_file_with_project_and_target_names_resolved(cli: Cli, report: Path) -> None:
    result = cli(
        "import",
        str(report),
        "--project",
        "web",
        "--format",
        "semgrep",
        "--target",
        "web-repo",
        "--ref",
        "refs/pull/1/head",
        "--commit",
        "abc1234",
        "--tool-version",
        "1.99.0",
        "--source-root",
        str(report.parent),
    )

    assert result.exit_code == 0, result.output
    upload = cli.server.uploads[0]
    assert upload["file"] == {"filename": "semgrep.json", "content": report.read_bytes()}
    assert {k: v for k, v in upload.items() if k != "file"} == {
        "target": "7",
        "format": "semgrep",
        "ref": "refs/pull/1/head",
        "commit": "abc1234",
        "tool_version": "1.99.0",
        "source_root": str(report.parent.resolve()),
    }
    (post,) = cli.server.sent("POST", "/api/v1/projects/1/imports/")
    assert post.headers["Authorization"] == f"Token {TOKEN}"
    assert "as scan 100 (queued)" in result.stdout
    assert "https://seculite.example.test/scans/100" in result.stdout


def test_project_and_target_by_id(cli: Cli, report: Path) -> None:
    result = cli("import", str(report), "-p", "2", "-f", "semgrep", "--target", "9")

    assert result.exit_code == 0, result.output
    assert cli.server.uploads[0]["target"] == "9"
    # Paths the tool wrote under the directory it ran in are stored relative to it.
    assert cli.server.uploads[0]["source_root"] == str(Path.cwd().resolve())
    assert cli.server.sent("POST", "/api/v1/projects/2/imports/")


def test_target_type_sends_name_and_type_for_the_server_to_reuse_or_create(
    cli: Cli, report: Path
) -> None:
    result = cli(
        "import",
        str(report),
        "-p",
        "web",
        "-f",
        "semgrep",
        "--target",
        "new-repo",
        "--target-type",
        "git_repository",
        "--target-identifier",
        "https://git.example/new.git",
    )

    assert result.exit_code == 0, result.output
    upload = cli.server.uploads[0]
    assert upload["target_name"] == "new-repo"
    assert upload["target_type"] == "git_repository"
    assert upload["target_identifier"] == "https://git.example/new.git"
    assert "target" not in upload


def test_the_only_target_of_the_project_when_none_is_named(cli: Cli, report: Path) -> None:
    result = cli("import", str(report), "-p", "web", "-f", "semgrep")

    assert result.exit_code == 0, result.output
    assert cli.server.uploads[0]["target"] == "7"


def test_a_project_with_several_targets_needs_one_named(cli: Cli, report: Path) -> None:
    result = cli("import", str(report), "-p", "api", "-f", "semgrep")

    assert result.exit_code == 2
    assert "project 'api' has 2 targets: choose one with --target" in result.stderr
    assert cli.server.uploads == []


def test_an_unknown_target_name_suggests_target_type(cli: Cli, report: Path) -> None:
    result = cli("import", str(report), "-p", "web", "-f", "semgrep", "--target", "nope")

    assert result.exit_code == 2
    assert "no target 'nope' in project 'web'" in result.stderr
    assert "--target-type" in result.stderr
    assert cli.server.uploads == []


def test_an_unknown_project_is_a_one_line_error(cli: Cli, report: Path) -> None:
    result = cli("import", str(report), "-p", "mobile", "-f", "semgrep")

    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "seculite: error: no project 'mobile' that this API key can see"
    ]


def test_two_projects_with_the_name_ask_for_the_id(cli: Cli, report: Path) -> None:
    cli.server.projects.append({"id": 5, "name": "web"})

    result = cli("import", str(report), "-p", "web", "-f", "semgrep")

    assert result.exit_code == 2
    assert "2 projects are named 'web' (ids 1, 5): give the id" in result.stderr


def test_a_rejected_upload_shows_the_servers_message_and_fields(cli: Cli, report: Path) -> None:
    result = cli("import", str(report), "-p", "web", "-f", "nmap-xml")

    assert result.exit_code == 2
    line = result.stderr.strip()
    assert line.startswith("seculite: error: HTTP 400 from POST /api/v1/projects/1/imports/")
    assert 'format: "nmap-xml" is not a known format.' in line
    assert "Traceback" not in result.output


def test_a_missing_report_file_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("import", str(tmp_path / "missing.json"), "-p", "web", "-f", "semgrep")

    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert cli.server.requests == []


def test_format_and_project_are_required(cli: Cli, report: Path) -> None:
    assert cli("import", str(report), "-p", "web").exit_code == 2
    assert cli("import", str(report), "-f", "semgrep").exit_code == 2
    assert cli.server.requests == []


def test_target_type_without_target_is_a_usage_error(cli: Cli, report: Path) -> None:
    result = cli("import", str(report), "-p", "web", "-f", "semgrep", "--target-type", "url")

    assert result.exit_code == 2
    assert "--target-type needs --target NAME" in result.stderr


@pytest.mark.parametrize(
    ("end_state", "exit_code"),
    [("completed", 0), ("completed_with_errors", 1), ("failed", 1)],
)
def test_wait_follows_the_import_and_exits_by_its_end_state(
    cli: Cli, report: Path, end_state: str, exit_code: int
) -> None:
    cli.server.statuses[100] = ["queued", "running", end_state]

    result = cli("import", str(report), "-p", "web", "-f", "semgrep", "--wait")

    assert result.exit_code == exit_code, result.output
    assert len(cli.server.sent("GET", "/api/v1/scans/100/status/")) == 3
    assert f"Scan 100 {end_state.replace('_', ' ')}" in result.stdout
