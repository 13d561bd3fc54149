"""Target preparation: archives, local paths, git clones and the network policy."""

from __future__ import annotations

import io
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from apps.targets import preparation
from apps.targets.policy import TargetPolicy, TargetPolicyError, target_policy_check
from apps.targets.preparation import (
    TargetPreparationError,
    extract_archive,
    prepare_git,
    prepare_local_path,
    redact_url,
)


def make_zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def test_zip_extracts_inside_destination(tmp_path):
    archive = make_zip(tmp_path / "ok.zip", {"src/app.py": b"print(1)\n", "README": b"hi"})
    out = extract_archive(archive, tmp_path / "out")
    assert (out / "src" / "app.py").read_text() == "print(1)\n"


@pytest.mark.parametrize("name", ["../evil.py", "/etc/evil", "a/../../evil"])
def test_zip_path_escape_is_refused(tmp_path, name):
    archive = make_zip(tmp_path / "bad.zip", {name: b"x"})
    with pytest.raises(TargetPreparationError, match="escape"):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "evil.py").exists()


def test_tar_symlink_is_refused(tmp_path):
    archive = tmp_path / "link.tar"
    with tarfile.open(archive, "w") as tf:
        info = tarfile.TarInfo("passwd")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tf.addfile(info)
    with pytest.raises(TargetPreparationError, match="link"):
        extract_archive(archive, tmp_path / "out")


def test_tar_gz_extracts(tmp_path):
    archive = tmp_path / "src.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        data = b"echo hi\n"
        info = tarfile.TarInfo("scripts/run.sh")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    out = extract_archive(archive, tmp_path / "out")
    assert (out / "scripts" / "run.sh").read_bytes() == b"echo hi\n"


def test_size_and_file_count_limits(tmp_path):
    archive = make_zip(tmp_path / "big.zip", {f"f{n}": b"x" * 100 for n in range(5)})
    with pytest.raises(TargetPreparationError, match="more than 300 bytes"):
        extract_archive(archive, tmp_path / "o1", max_bytes=300, max_files=100)
    with pytest.raises(TargetPreparationError, match="more than 3 files"):
        extract_archive(archive, tmp_path / "o2", max_bytes=10_000, max_files=3)


def test_not_an_archive(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not an archive at all")
    with pytest.raises(TargetPreparationError, match="not a zip or tar"):
        extract_archive(junk, tmp_path / "out")


def test_local_path_only_under_allowed_roots(tmp_path):
    allowed = tmp_path / "code"
    (allowed / "repo").mkdir(parents=True)
    assert (
        prepare_local_path(str(allowed / "repo"), allowed_roots=[str(allowed)])
        == (allowed / "repo").resolve()
    )
    with pytest.raises(TargetPreparationError, match="outside"):
        prepare_local_path("/etc", allowed_roots=[str(allowed)])
    with pytest.raises(TargetPreparationError, match="outside"):
        prepare_local_path(str(allowed / "repo" / ".." / ".."), allowed_roots=[str(allowed)])
    with pytest.raises(TargetPreparationError, match="disabled"):
        prepare_local_path(str(allowed), allowed_roots=[])


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "169.254.169.254", "::1"])
def test_policy_denies_non_public_addresses_by_default(host):
    with pytest.raises(TargetPolicyError):
        target_policy_check(host, policy=TargetPolicy())


def test_policy_allow_and_deny():
    allow_loopback = TargetPolicy(allow=("127.0.0.0/8",))
    assert [str(a) for a in target_policy_check("127.0.0.1", policy=allow_loopback)] == [
        "127.0.0.1"
    ]
    deny_wins = TargetPolicy(allow=("127.0.0.0/8",), deny=("127.0.0.1/32",))
    with pytest.raises(TargetPolicyError, match="denied"):
        target_policy_check("127.0.0.1", policy=deny_wins)
    assert target_policy_check("8.8.8.8", policy=TargetPolicy())  # public: allowed


def test_redact_url_hides_credentials():
    assert redact_url("https://user:s3cret@git.example.com/a.git") == (
        "https://***@git.example.com/a.git"
    )
    assert redact_url("https://git.example.com/a.git") == "https://git.example.com/a.git"


@pytest.fixture
def local_repo(tmp_path):
    repo = tmp_path / "origin"
    repo.mkdir()

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=repo, check=True, capture_output=True, text=True
        ).stdout.strip()

    git("init", "-q", "-b", "main")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    (repo / "a.py").write_text("one\n")
    git("add", ".")
    git("commit", "-qm", "one")
    first = git("rev-parse", "HEAD")
    (repo / "a.py").write_text("two\n")
    git("commit", "-qam", "two")
    git("checkout", "-q", "-b", "feature")
    (repo / "a.py").write_text("feature\n")
    git("commit", "-qam", "feature")
    git("checkout", "-q", "main")
    return repo, first


def test_git_clone_of_branch_and_commit(tmp_path, local_repo, monkeypatch):
    repo, first_commit = local_repo
    # The validator only admits remote URLs; a local repository stands in for the remote.
    monkeypatch.setattr(preparation.validators, "validate_git_url", lambda url: url)
    main = prepare_git(url=str(repo), metadata={}, workdir=tmp_path / "w1").path
    assert (main / "a.py").read_text() == "two\n"
    feature = prepare_git(
        url=str(repo), metadata={"branch": "feature"}, workdir=tmp_path / "w2"
    ).path
    assert (feature / "a.py").read_text() == "feature\n"
    pinned = prepare_git(
        url=str(repo), metadata={"commit": first_commit}, workdir=tmp_path / "w3"
    ).path
    assert (pinned / "a.py").read_text() == "one\n"


def test_git_failure_never_shows_credentials(tmp_path, monkeypatch):
    monkeypatch.setattr(preparation.validators, "validate_git_url", lambda url: url)
    url = "https://alice:hunter2-token@127.0.0.1:1/repo.git"
    with pytest.raises(TargetPreparationError) as caught:
        prepare_git(url=url, metadata={}, workdir=tmp_path / "w", timeout=20)
    assert "hunter2-token" not in str(caught.value)
    assert "alice" not in str(caught.value)
