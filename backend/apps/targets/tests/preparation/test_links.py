"""No link out of a prepared tree (issue 10): codebase paths, git checkouts, and Bandit for
real on a tree whose `leak.py` points at a file outside it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from apps.targets import preparation
from apps.targets.links import escaping_links
from apps.targets.preparation import prepare_target
from apps.tools.adapters.bandit import bandit
from apps.tools.adapters.runner import run_process
from apps.tools.sandbox import sandbox_for
from apps.tools.tests.adapters.recorded import require_binary

OUTSIDE_SECRET = "outside-secret-value-7d1e"


@pytest.fixture
def code(tmp_path: Path, settings) -> Path:
    """A codebase path with a link out of the tree (absolute and relative) and one inside."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text(f"password = '{OUTSIDE_SECRET}'\nexec(input())\n")
    root = tmp_path / "allowed" / "code"
    (root / "pkg").mkdir(parents=True)
    (root / "app.py").write_text("import subprocess\nsubprocess.call('ls', shell=True)\n")
    (root / "leak.py").symlink_to(outside / "secret.py")
    (root / "pkg" / "up.py").symlink_to(Path("../../../outside/secret.py"))
    (root / "pkg" / "same.py").symlink_to(Path("../app.py"))
    (root / "loop").symlink_to(Path("loop"))
    os.mkfifo(root / "pipe")  # never copied: reading it would block the worker
    settings.SECULITE_ALLOWED_PATHS = [str(tmp_path / "allowed")]
    return root


def codebase(path: Path) -> SimpleNamespace:
    return SimpleNamespace(
        asset_type="codebase_path", identifier=str(path), metadata={}, upload=None
    )


def test_a_codebase_path_with_outside_links_is_scanned_as_a_copy_without_them(
    code: Path, tmp_path: Path
) -> None:
    prepared = prepare_target(codebase(code), workdir=tmp_path / "work")
    assert prepared.path is not None and prepared.path != code
    tree = Path(prepared.path)
    assert not (tree / "leak.py").exists() and not (tree / "leak.py").is_symlink()
    assert not (tree / "pkg" / "up.py").is_symlink()
    assert not (tree / "loop").is_symlink()
    assert (tree / "pkg" / "same.py").read_text() == (code / "app.py").read_text()
    assert escaping_links(tree) == []
    assert not (tree / "pipe").exists()
    assert prepared.metadata["dropped_links"] == ["leak.py", "loop", "pkg/up.py"]
    assert (code / "leak.py").is_symlink(), "the user's folder is never changed"


def test_a_codebase_path_without_outside_links_is_scanned_in_place(
    code: Path, tmp_path: Path
) -> None:
    for link in ("leak.py", "pkg/up.py", "loop"):
        (code / link).unlink()
    prepared = prepare_target(codebase(code), workdir=tmp_path / "work")
    assert prepared.path == code.resolve()


def test_a_git_checkout_loses_its_outside_links(tmp_path: Path, monkeypatch) -> None:
    repo = tmp_path / "origin"
    repo.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (repo / "a.py").write_text("x = 1\n")
    os.symlink("/etc/passwd", repo / "passwd.py")
    os.symlink("../../../../outside.py", repo / "rel.py")
    os.symlink("a.py", repo / "b.py")
    git("add", ".")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "links")
    monkeypatch.setattr(preparation.validators, "validate_git_url", lambda url: url)
    target = SimpleNamespace(
        asset_type="git_repository",
        identifier=str(repo),
        metadata={},
        upload=None,
        credential_kind="",
        credential_encrypted="",
    )
    prepared = prepare_target(target, workdir=tmp_path / "work")
    tree = Path(prepared.path or "")
    assert sorted(p.name for p in tree.iterdir() if p.name != ".git") == ["a.py", "b.py"]
    assert prepared.metadata["dropped_links"] == ["passwd.py", "rel.py"]


@pytest.mark.scanner
@pytest.mark.parametrize("sandbox_mode", ["auto", "off"])
def test_bandit_never_reports_the_file_behind_an_outside_link(
    code: Path, tmp_path: Path, settings, sandbox_mode: str
) -> None:
    """Seen in issue 10: Bandit reported /outside/secret.py's content through leak.py. With
    the sandbox off (reduced isolation) the links are still gone."""
    require_binary(bandit)
    settings.SECULITE_TOOL_SANDBOX = sandbox_mode
    workdir = tmp_path / "work"
    prepared = prepare_target(codebase(code), workdir=workdir / "target")
    output = workdir / "bandit.out"
    command = bandit.build_command(
        target=prepared, config=bandit.config_with_defaults({}), output_path=output
    )
    outcome = run_process(
        command.argv,
        timeout_seconds=300,
        stdout_path=output,
        cwd=command.cwd,
        env=command.env,
        sandbox=sandbox_for(bandit, command, prepared.path),
    )
    assert outcome.exit_code in (0, 1), outcome.stderr_tail
    findings = list(bandit.parse(output_path=output, target=prepared))
    assert {f.file_path for f in findings} == {"app.py", "pkg/same.py"}
    assert OUTSIDE_SECRET not in output.read_text()
