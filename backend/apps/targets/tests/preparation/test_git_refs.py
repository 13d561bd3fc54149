"""Checking out the ref a scan asks for: a pull request's full ref, a branch or tag name, from
real repositories (a local bare remote, and git http-backend on 127.0.0.1)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from apps.targets import preparation
from apps.targets.preparation import TargetPreparationError, prepare_checkout, prepare_git
from apps.targets.tests.git_server import git, git_http_server, make_repository


@pytest.fixture(autouse=True)
def _local_remotes(monkeypatch, settings, tmp_path):
    # The validator admits only https/ssh remotes; these test remotes are local or plain http.
    monkeypatch.setattr(preparation.validators, "validate_git_url", lambda url: url)
    settings.SECULITE_CHECKOUT_DIR = str(tmp_path / "checkouts")
    settings.SECULITE_TARGET_ALLOW = ["127.0.0.1/32"]
    settings.SECULITE_TARGET_DENY = []


@pytest.fixture
def bare(tmp_path) -> tuple[Path, str]:
    """A bare remote with main, and a pull request ref (refs/pull/1/head) on a commit that no
    branch holds, as GitHub keeps them; returns the remote and that commit."""
    work = make_repository(tmp_path / "work")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(remote)], check=True)
    git(work, "checkout", "-q", "-b", "contributor")
    (work / "a.py").write_text("pull request\n")
    git(work, "commit", "-qam", "pull request")
    head = git(work, "rev-parse", "HEAD")
    git(work, "push", "-q", str(remote), "HEAD:refs/pull/1/head")
    return remote, head


def test_a_pull_request_ref_of_a_local_bare_remote_is_checked_out(bare, tmp_path):
    remote, head = bare
    checkout = prepare_git(
        url=str(remote), metadata={"branch": "main"}, workdir=tmp_path / "w", ref="refs/pull/1/head"
    )
    assert (checkout.path / "a.py").read_text() == "pull request\n"
    assert checkout.record() == {"ref": "refs/pull/1/head", "ref_type": "ref", "commit": head}


def test_a_missing_pull_request_ref_fails_clearly(bare, tmp_path):
    remote, _ = bare
    with pytest.raises(TargetPreparationError) as caught:
        prepare_git(url=str(remote), metadata={}, workdir=tmp_path / "w", ref="refs/pull/9/head")
    assert str(caught.value) == "The ref 'refs/pull/9/head' does not exist in the repository."


@pytest.fixture
def served(tmp_path):
    repo = make_repository(tmp_path / "remotes")
    with git_http_server(tmp_path / "remotes") as server:
        yield server, repo


def test_a_name_is_the_branch_first_then_the_tag(served, tmp_path):
    server, repo = served
    # make_repository has a branch and a tag both called v1, on different commits.
    branch = prepare_git(url=server.url(), metadata={}, workdir=tmp_path / "b", ref="v1")
    assert (branch.path / "a.py").read_text() == "branch v1\n"
    assert (branch.ref, branch.ref_type) == ("v1", "branch")
    tag = prepare_git(url=server.url(), metadata={}, workdir=tmp_path / "t", ref="release-1")
    assert (tag.ref, tag.ref_type) == ("release-1", "tag")
    assert tag.commit == git(repo, "rev-parse", "release-1^{commit}")
    # Full refs say which one they mean.
    full = prepare_git(url=server.url(), metadata={}, workdir=tmp_path / "f", ref="refs/tags/v1")
    assert (full.path / "a.py").read_text() == "one\n"
    assert (full.ref, full.ref_type) == ("v1", "tag")


def test_the_scans_ref_wins_over_the_targets_branch(served, tmp_path):
    server, _ = served
    checkout = prepare_git(
        url=server.url(), metadata={"branch": "main"}, workdir=tmp_path / "w", ref="v1"
    )
    assert (checkout.path / "a.py").read_text() == "branch v1\n"


def test_a_name_the_remote_does_not_have_fails_clearly(served, tmp_path):
    server, _ = served
    with pytest.raises(TargetPreparationError) as caught:
        prepare_git(url=server.url(), metadata={}, workdir=tmp_path / "w", ref="feature/gone")
    assert str(caught.value) == (
        "The ref 'feature/gone' is neither a branch nor a tag of the repository."
    )


def test_an_invalid_ref_fails_before_git_runs(served, tmp_path):
    server, _ = served
    with pytest.raises(TargetPreparationError, match="not a valid git ref"):
        prepare_git(url=server.url(), metadata={}, workdir=tmp_path / "w", ref="--upload-pack=x")
    assert server.requests == []


def test_the_default_branch_is_recorded_by_its_name(served, tmp_path):
    server, repo = served
    checkout = prepare_git(url=server.url(), metadata={}, workdir=tmp_path / "w")
    assert checkout.record() == {
        "ref": "main",
        "ref_type": "default",
        "commit": git(repo, "rev-parse", "main"),
    }


def test_a_recorded_pull_request_commit_keeps_its_label(bare, tmp_path):
    """Another worker of the scan fetches the recorded commit, not the ref again."""
    remote, head = bare
    first = prepare_git(
        url=str(remote), metadata={}, workdir=tmp_path / "1", ref="refs/pull/1/head"
    )

    class Target:
        asset_type = "git_repository"
        identifier = str(remote)
        metadata: dict = {}
        credential_kind = credential_encrypted = ""

    again = prepare_checkout(
        Target(), workdir=tmp_path / "2", recorded=first.record(), ref="refs/pull/1/head"
    )
    assert again.record() == first.record()
    assert again.commit == head
    assert (again.path / "a.py").read_text() == "pull request\n"


def test_without_the_heads_symref_the_only_branch_at_the_commit_names_it():
    from apps.targets.git_checkout import _only_branch_at

    listed = {"refs/heads/main": "a" * 40, "refs/heads/v1": "b" * 40, "refs/tags/v1": "a" * 40}
    assert _only_branch_at(listed, "a" * 40) == "main"
    assert _only_branch_at({**listed, "refs/heads/copy": "a" * 40}, "a" * 40) == ""
    assert _only_branch_at(listed, "c" * 40) == ""
