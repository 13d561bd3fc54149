"""Links to a finding's file at the scanned commit: default and per-target URL templates."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from apps.targets.source_links import (
    repository_web_url,
    scan_commit,
    source_url,
    validate_source_url_template,
)
from apps.targets.validators import validate_target_spec

COMMIT = "3f1c2a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"


def git_target(identifier: str, **metadata) -> SimpleNamespace:
    return SimpleNamespace(asset_type="git_repository", identifier=identifier, metadata=metadata)


@pytest.mark.parametrize(
    ("clone_url", "web"),
    [
        ("https://github.com/acme/shop.git", ("github.com", "https://github.com/acme/shop")),
        ("https://github.com/acme/shop/", ("github.com", "https://github.com/acme/shop")),
        ("git@gitlab.com:group/sub/app.git", ("gitlab.com", "https://gitlab.com/group/sub/app")),
        ("ssh://git@bitbucket.org/team/repo.git", ("bitbucket.org", "https://bitbucket.org/team/repo")),
        ("ssh://git@git.corp.example:2222/team/repo", ("git.corp.example", "https://git.corp.example/team/repo")),
        ("/srv/code", ("", "")),
    ],
)  # fmt: skip
def test_the_web_address_of_a_clone_url(clone_url: str, web: tuple[str, str]) -> None:
    assert repository_web_url(clone_url) == web


@pytest.mark.parametrize(
    ("clone_url", "expected"),
    [
        ("https://github.com/acme/shop.git", f"https://github.com/acme/shop/blob/{COMMIT}/app/db.py#L42"),
        ("git@gitlab.com:acme/shop.git", f"https://gitlab.com/acme/shop/-/blob/{COMMIT}/app/db.py#L42"),
        ("https://bitbucket.org/acme/shop.git", f"https://bitbucket.org/acme/shop/src/{COMMIT}/app/db.py#lines-42"),
    ],
)  # fmt: skip
def test_default_templates_for_the_big_three_hosts(clone_url: str, expected: str) -> None:
    target = git_target(clone_url)
    assert source_url(target=target, commit=COMMIT, file_path="app/db.py", line=42) == expected


def test_a_target_template_serves_a_self_hosted_host_and_paths_are_quoted() -> None:
    target = git_target(
        "https://git.corp.example/team/app.git",
        source_url_template="{repo}/src/commit/{commit}/{path}#L{line}",
    )
    url = source_url(target=target, commit=COMMIT, file_path="docs/a b#1.md", line=None)
    assert url == f"https://git.corp.example/team/app/src/commit/{COMMIT}/docs/a%20b%231.md#L1"


@pytest.mark.parametrize(
    ("target", "commit", "path"),
    [
        (git_target("https://git.corp.example/team/app.git"), COMMIT, "a.py"),  # no template
        (git_target("https://github.com/acme/shop.git"), "", "a.py"),  # commit unknown
        (git_target("https://github.com/acme/shop.git"), "main", "a.py"),  # not a commit
        (git_target("https://github.com/acme/shop.git"), COMMIT, ""),  # no file
        (SimpleNamespace(asset_type="codebase_path", identifier="/", metadata={}), COMMIT, "a"),
        (None, COMMIT, "a.py"),
    ],
)  # fmt: skip
def test_no_link_when_something_is_unknown(target, commit: str, path: str) -> None:
    assert source_url(target=target, commit=commit, file_path=path, line=3) == ""


def test_the_commit_comes_from_the_scans_checkout_of_the_target() -> None:
    scan = SimpleNamespace(checkouts={"7": {"commit": COMMIT}}, commit_sha="a" * 40)
    assert scan_commit(scan, 7) == COMMIT
    assert scan_commit(scan, 8) == "a" * 40
    assert scan_commit(None, 7) == ""


@pytest.mark.parametrize(
    "template",
    [
        "{repo}/blob/{commit}/{path}#L{line}",
        "https://code.example/browse/{path}?at={commit}",
    ],
)
def test_valid_templates(template: str) -> None:
    assert validate_source_url_template(f"  {template} ") == template


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{repo}/blob/{commit}/{file}", "Unknown placeholder {file}"),
        ("{repo}/blob/{path}", "needs {commit} and {path}"),
        ("javascript:alert(1)//{commit}{path}", "must give an http(s) URL"),
        ("{repo}/blob/{commit}/{path!r}", "no format options"),
        ("{repo}/blob/{commit}/{path}{", "not valid"),
        ("{repo}/" + "x" * 600 + "{commit}{path}", "under 500"),
    ],
)
def test_invalid_templates_say_why(template: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_source_url_template(template)
    assert message in caught.value.messages[0]


def test_the_template_is_a_git_targets_metadata_option() -> None:
    _, metadata = validate_target_spec(
        asset_type="git_repository",
        identifier="https://git.corp.example/team/app.git",
        metadata={"source_url_template": "{repo}/src/{commit}/{path}#L{line}"},
    )
    assert metadata == {"source_url_template": "{repo}/src/{commit}/{path}#L{line}"}
    with pytest.raises(ValidationError) as caught:
        validate_target_spec(
            asset_type="git_repository",
            identifier="https://git.corp.example/team/app.git",
            metadata={"source_url_template": "{repo}/{oops}"},
        )
    assert "metadata.source_url_template" in caught.value.message_dict
