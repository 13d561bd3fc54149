"""Git targets fetched for real from loopback remotes: refs, the network policy, credentials."""

from __future__ import annotations

import logging
import socket
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.targets import preparation
from apps.targets.credentials import GitCredential
from apps.targets.git_checkout import COULD_NOT_REACH, Remote, _git_environment
from apps.targets.preparation import TargetPreparationError, prepare_git
from apps.targets.tests.git_server import (
    SSHD,
    git,
    git_http_server,
    make_repository,
    ssh_server,
)

TOKEN = "glpat-PlantedGitToken-93f1c0ffee"


@pytest.fixture(autouse=True)
def _http_remotes(monkeypatch, settings, tmp_path):
    # The validator admits only https/ssh remotes; these loopback remotes speak plain http.
    monkeypatch.setattr(preparation.validators, "validate_git_url", lambda url: url)
    settings.SECULITE_CHECKOUT_DIR = str(tmp_path / "checkouts")
    settings.SECULITE_TARGET_ALLOW = ["127.0.0.1/32"]
    settings.SECULITE_TARGET_DENY = []


@pytest.fixture
def served(tmp_path):
    repo = make_repository(tmp_path / "remotes")
    with git_http_server(tmp_path / "remotes") as server:
        yield server, repo


def checkout(url: str, tmp_path: Path, name: str, **kwargs):
    return prepare_git(url=url, workdir=tmp_path / name, timeout=30, **kwargs)


def test_branch_tag_and_commit_check_out_what_they_name(served, tmp_path):
    server, repo = served
    main = checkout(server.url(), tmp_path, "main", metadata={})
    assert (main.path / "a.py").read_text() == "two\n"
    assert main.commit == git(repo, "rev-parse", "main")
    # The remote HEAD is recorded by the name of its branch.
    assert main.record() == {"ref": "main", "ref_type": "default", "commit": main.commit}

    branch = checkout(server.url(), tmp_path, "b", metadata={"branch": "v1"})
    assert (branch.path / "a.py").read_text() == "branch v1\n"
    assert (branch.ref, branch.ref_type) == ("v1", "branch")

    # A tag is fetched as refs/tags/<name>, not as the branch of the same name.
    tag = checkout(server.url(), tmp_path, "t", metadata={"tag": "v1"})
    assert (tag.path / "a.py").read_text() == "one\n"
    assert tag.record() == {"ref": "v1", "ref_type": "tag", "commit": git(repo, "rev-parse", "v1")}
    annotated = checkout(server.url(), tmp_path, "at", metadata={"tag": "release-1"})
    assert annotated.commit == git(repo, "rev-parse", "release-1^{commit}")

    first = git(repo, "rev-parse", "main~1")
    pinned = checkout(server.url(), tmp_path, "c", metadata={"commit": first})
    assert (pinned.path / "a.py").read_text() == "one\n"
    assert pinned.record() == {"ref": first, "ref_type": "commit", "commit": first}


def test_a_recorded_commit_is_fetched_exactly_even_after_the_branch_moved(served, tmp_path):
    server, repo = served
    before = checkout(server.url(), tmp_path, "one", metadata={"branch": "main"})
    (repo / "a.py").write_text("three\n")
    git(repo, "commit", "-qam", "three")
    again = checkout(
        server.url(), tmp_path, "two", metadata={"branch": "main"}, commit=before.commit
    )
    assert (again.path / "a.py").read_text() == "two\n"
    assert again.record() == before.record()


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"branch": "nope"}, "The branch 'nope' does not exist in the repository."),
        ({"tag": "v9"}, "The tag 'v9' does not exist in the repository."),
        ({"commit": "f" * 40}, f"The commit {'f' * 40} is not in the repository"),
        # Saved before full hashes were required: said before any fetch.
        ({"commit": "abc1234"}, "Give the full 40-character commit hash"),
    ],
)
def test_a_missing_ref_fails_clearly(served, tmp_path, metadata, message):
    server, _ = served
    with pytest.raises(TargetPreparationError) as caught:
        checkout(server.url(), tmp_path, "w", metadata=metadata)
    assert message in str(caught.value)


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def not_git_port() -> Iterator[int]:
    """An open port that answers every connection with an HTML page, as a web app would."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def answer() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>hi</html>")

    threading.Thread(target=answer, daemon=True).start()
    yield int(listener.getsockname()[1])
    listener.close()


def test_the_default_policy_refuses_loopback_remotes_before_connecting(
    served, tmp_path, settings, closed_port
):
    server, _ = served
    settings.SECULITE_TARGET_ALLOW = []
    messages = []
    for port in (server.port, closed_port):
        with pytest.raises(TargetPreparationError) as caught:
            checkout(f"http://127.0.0.1:{port}/repo", tmp_path, f"w{port}", metadata={})
        messages.append(str(caught.value).replace(str(port), "PORT"))
    assert messages[0] == messages[1]
    assert "network policy" in messages[0] and "SECULITE_TARGET_ALLOW" in messages[0]
    assert server.requests == []  # refused before any connection


def test_open_and_closed_ports_give_the_same_answer(tmp_path, closed_port, not_git_port, caplog):
    caplog.set_level(logging.WARNING)
    messages = []
    for port in (closed_port, not_git_port):
        with pytest.raises(TargetPreparationError) as caught:
            checkout(f"http://127.0.0.1:{port}/repo", tmp_path, f"w{port}", metadata={})
        messages.append(str(caught.value))
    assert messages == [COULD_NOT_REACH, COULD_NOT_REACH]
    # The details stay in the worker log.
    assert f"ls-remote of http://127.0.0.1:{closed_port}/repo" in caplog.text
    assert f"ls-remote of http://127.0.0.1:{not_git_port}/repo listed no refs" in caplog.text


def test_redirects_are_not_followed(tmp_path, settings):
    make_repository(tmp_path / "remotes")
    settings.SECULITE_TARGET_ALLOW = ["127.0.0.1/32"]
    with (
        git_http_server(tmp_path / "remotes", host="127.0.0.2") as inner,
        git_http_server(tmp_path / "remotes", redirect_to=inner.url("")[:-1]) as outer,
        pytest.raises(TargetPreparationError) as caught,
    ):
        checkout(outer.url(), tmp_path, "w", metadata={})
    assert str(caught.value) == COULD_NOT_REACH
    assert outer.requests and inner.requests == []


def test_an_https_token_opens_a_private_repository_without_showing_itself(
    tmp_path, caplog, settings
):
    caplog.set_level(logging.DEBUG)
    repo = make_repository(tmp_path / "remotes")
    with git_http_server(tmp_path / "remotes", auth=("bot", TOKEN)) as server:
        with pytest.raises(TargetPreparationError) as anonymous:
            checkout(server.url(), tmp_path, "anon", metadata={})
        wrong = GitCredential(kind="https_token", secret=TOKEN + "-wrong", username="bot")
        with pytest.raises(TargetPreparationError) as refused:
            checkout(server.url(), tmp_path, "wrong", metadata={}, credential=wrong)
        good = GitCredential(kind="https_token", secret=TOKEN, username="bot")
        result = checkout(server.url(), tmp_path, "ok", metadata={}, credential=good)
    assert str(anonymous.value) == str(refused.value) == COULD_NOT_REACH
    assert TOKEN not in str(refused.value)
    assert result.commit == git(repo, "rev-parse", "main")
    assert (result.path / "a.py").read_text() == "two\n"
    authorised = [r for r in server.requests if r["authorization"]]
    assert authorised, "the token never reached the server"
    for request in server.requests:
        assert not any(TOKEN in line for line in request["command_lines"])  # type: ignore[attr-defined]
    assert TOKEN not in caplog.text
    assert TOKEN not in (result.path / ".git" / "config").read_text()
    assert not list(Path("/tmp").glob("seculite-git-*/deploy_key"))


def test_an_ssh_deploy_key_opens_a_repository_without_showing_itself(tmp_path):
    import getpass
    import tempfile

    # scripts/lib.sh (ensure_test_packages) installs openssh-server: its absence is a failure.
    assert Path(SSHD).exists(), f"{SSHD} is missing: apt-get install openssh-server"

    key_file = tmp_path / "deploy"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key_file)], check=True)
    private_key = key_file.read_text()
    key_body = private_key.splitlines()[2]  # a line of the secret part
    repo = make_repository(tmp_path / "remotes")
    leftovers = set(Path(tempfile.gettempdir()).glob("seculite-git-*"))
    with ssh_server(tmp_path / "sshd", (tmp_path / "deploy.pub").read_text()) as port:
        url = f"ssh://{getpass.getuser()}@127.0.0.1:{port}{repo}"
        with pytest.raises(TargetPreparationError) as anonymous:
            checkout(url, tmp_path, "anon", metadata={})
        deploy_key = GitCredential(kind="ssh_key", secret=private_key)
        result = checkout(url, tmp_path, "ok", metadata={"branch": "v1"}, credential=deploy_key)
    assert str(anonymous.value) == COULD_NOT_REACH  # the worker's own keys are never offered
    assert result.commit == git(repo, "rev-parse", "refs/heads/v1")
    assert (result.path / "a.py").read_text() == "branch v1\n"
    assert set(Path(tempfile.gettempdir()).glob("seculite-git-*")) == leftovers  # key removed
    assert key_body not in (result.path / ".git" / "config").read_text()


def test_a_deploy_key_reaches_ssh_as_a_private_file_never_as_an_argument(tmp_path):
    credential = GitCredential(
        kind="ssh_key", secret="-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n"
    )
    env, options = _git_environment(
        Remote("ssh", "git.example.com", None), [], credential, tmp_path
    )
    key = tmp_path / "deploy_key"
    assert key.read_text() == credential.secret
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert f"-i {key}" in env["GIT_SSH_COMMAND"] and "IdentitiesOnly=yes" in env["GIT_SSH_COMMAND"]
    assert not any("secret" in value for value in [*options, env["GIT_SSH_COMMAND"]])


def test_git_connects_only_to_the_address_the_policy_checked(tmp_path, monkeypatch):
    """The name is resolved once, by the policy check; git is pinned to that answer, so a
    second DNS answer (rebinding) cannot send it elsewhere. `rebind.invalid` has no DNS
    answer at all: the fetch works only through the pinned address."""
    import ipaddress

    from apps.targets import git_checkout

    checked: list[str] = []

    def policy_check(host: str) -> list[ipaddress.IPv4Address]:
        checked.append(host)
        return [ipaddress.IPv4Address("127.0.0.2")]

    monkeypatch.setattr(git_checkout, "target_policy_check", policy_check)
    repo = make_repository(tmp_path / "remotes")
    with git_http_server(tmp_path / "remotes", host="127.0.0.2") as server:
        result = checkout(f"http://rebind.invalid:{server.port}/repo", tmp_path, "w", metadata={})
    assert checked == ["rebind.invalid"]
    assert result.commit == git(repo, "rev-parse", "main")
    assert server.requests
