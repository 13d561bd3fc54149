"""Reports from CI name files under the runner's checkout: with `source_root` they are stored
relative to it, so the same file matches across runners and a scan of the repository."""

from __future__ import annotations

import json
from typing import Any

import pytest

from apps.findings.models import Finding
from apps.imports.paths import relative_to_root, source_root_validate
from apps.imports.tests.conftest import sample, target_of

pytestmark = pytest.mark.django_db


def semgrep_under(root: str) -> bytes:
    """The real Semgrep sample (recorded under /scan/root) with every path moved under `root`
    as a CI runner writes it; relative to the repository when `root` is ""."""
    text = sample("semgrep").read_text()
    return text.replace('"/scan/root/', f'"{root}/' if root else '"').encode()


def stored(project: Any) -> set[tuple[str, str, int | None]]:
    return set(Finding.objects.filter(project=project).values_list("fingerprint", "file_path",
                                                                   "line_start"))  # fmt: skip


def test_paths_under_the_source_root_are_stored_relative_and_match_across_runners(
    project, run_import
):
    target = target_of(project)
    run_import(project, target, semgrep_under(""), "semgrep")
    relative = stored(project)
    assert relative and all(not path.startswith("/") for _, path, _ in relative)

    github = run_import(project, target, semgrep_under("/home/runner/work/app/app"), "semgrep",
                        source_root="/home/runner/work/app/app/")  # fmt: skip
    gitlab = run_import(project, target, semgrep_under("/builds/acme/app"), "semgrep",
                        source_root="/builds/acme/app")  # fmt: skip

    assert stored(project) == relative  # same findings, same fingerprints, no new rows
    assert github.summary["new"] == 0 and gitlab.summary["new"] == 0


def test_without_a_source_root_absolute_paths_are_kept_as_written(project, run_import):
    run_import(project, target_of(project), semgrep_under("/builds/acme/app"), "semgrep")
    assert all(path.startswith("/builds/acme/app/") for _, path, _ in stored(project))


def test_a_relative_source_root_is_a_field_error(upload, project_with_roles, code_target):
    response = upload(project_with_roles.member, project_with_roles.project, sample("semgrep"),
                      format="semgrep", target=code_target.pk, source_root="app/src")  # fmt: skip
    assert response.status_code == 400
    assert "absolute folder" in json.dumps(response.json())


@pytest.mark.parametrize(
    ("path", "root", "expected"),
    [
        ("/w/app/src/a.py", "/w/app", "src/a.py"),
        ("/w/application/a.py", "/w/app", "/w/application/a.py"),  # a sibling, not under it
        ("src/a.py", "/w/app", "src/a.py"),
        ("C:\\w\\app\\src\\a.py", "C:/w/app", "src/a.py"),
        ("/w/app", "/w/app", "/w/app"),
    ],
)
def test_relative_to_root(path, root, expected):
    assert relative_to_root(path, source_root_validate(root)) == expected
