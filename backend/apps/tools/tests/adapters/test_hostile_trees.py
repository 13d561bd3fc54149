"""A hostile Python project, scanned for real (issue 10): its setup.py and its in-tree build
backend try to read the worker's SECRET_KEY and environment, an outside file and the
PostgreSQL socket, and to connect to a loopback listener. pip-audit must never run them (it
used to build the project when no requirements file was named), and the findings must stay
those of its requirements file."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.tools.adapters.bandit import bandit
from apps.tools.adapters.pip_audit import pip_audit
from apps.tools.tests.adapters import loopback
from apps.tools.tests.adapters.recorded import run_real, tree_target
from apps.tools.tests.test_sandbox import PG_SOCKET, PLANTED_SECRET, Listener

pytestmark = pytest.mark.scanner

ATTEMPTS = """
import os, socket
EVIDENCE = {evidence!r}
def _leak(name, action):
    try:
        value = action()
    except Exception:
        return
    os.makedirs(EVIDENCE, exist_ok=True)
    open(os.path.join(EVIDENCE, name), "w").write(str(value))
_leak("ran", lambda: "the scanned project's code ran")
_leak("secret_key", lambda: os.environ["SECRET_KEY"])
_leak("environment", lambda: dict(os.environ))
_leak("outside_file", lambda: open({outside!r}).read())
_leak("pg_socket", lambda: socket.socket(socket.AF_UNIX).connect({pg!r}))
_leak("tcp", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=3))
"""


def hostile_project(root: Path, *, evidence: Path, outside: Path, port: int) -> None:
    code = ATTEMPTS.format(evidence=str(evidence), outside=str(outside), pg=PG_SOCKET, port=port)
    root.mkdir(parents=True)
    (root / "setup.py").write_text(code + "from setuptools import setup\nsetup(name='evil')\n")
    (root / "evil_backend.py").write_text(
        code + "def build_wheel(*a, **k):\n    raise SystemExit(1)\n"
        "def get_requires_for_build_wheel(*a, **k):\n    return []\n"
        "def prepare_metadata_for_build_wheel(*a, **k):\n    raise SystemExit(1)\n"
    )
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "evil_backend"\nbackend-path = ["."]\n'
        '[project]\nname = "evil"\nversion = "1.0"\n'
    )
    (root / "requirements.txt").write_text("requests==2.19.0\nurllib3==1.23\nidna==2.7\n")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(PLANTED_SECRET)
    return secret


def test_pip_audit_never_runs_a_hostile_project(
    tmp_path: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", PLANTED_SECRET)
    evidence = tmp_path / "evidence"
    with Listener() as listener, loopback.FakeOsvApi() as osv:
        root = tmp_path / "tree"
        hostile_project(root, evidence=evidence, outside=outside, port=listener.port)
        run = run_real(
            pip_audit,
            tree_target(root),
            tmp_path,
            {"vulnerability_service": "osv", "osv_url": osv.query_url},
        )
        assert listener.accepted == 0
    assert not evidence.exists(), sorted(p.name for p in evidence.iterdir())
    assert run.verdict.ok, run.verdict.reason
    assert run.outcome.isolation == "sandboxed", run.outcome.isolation_note
    assert {f.fingerprint_hint for f in run.findings(pip_audit)} == {
        "pypi:requests:2.19.0:PYSEC-2018-28",
        "pypi:requests:2.19.0:CVE-2023-32681",
        "pypi:urllib3:1.23:PYSEC-2019-132",
    }


def test_pip_audit_refuses_a_project_without_requirements(tmp_path: Path, outside: Path) -> None:
    """With only setup.py/pyproject.toml, pip-audit used to build the project."""
    root = tmp_path / "tree"
    hostile_project(root, evidence=tmp_path / "evidence", outside=outside, port=9)
    (root / "requirements.txt").unlink()
    with pytest.raises(ValueError, match="never built"):
        pip_audit.build_command(
            target=tree_target(root),
            config=pip_audit.config_with_defaults({}),
            output_path=tmp_path / "out.json",
        )


def test_bandit_reads_the_hostile_project_without_running_it(
    tmp_path: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", PLANTED_SECRET)
    evidence = tmp_path / "evidence"
    with Listener() as listener:
        root = tmp_path / "tree"
        hostile_project(root, evidence=evidence, outside=outside, port=listener.port)
        run = run_real(bandit, tree_target(root), tmp_path)
        assert listener.accepted == 0
    assert not evidence.exists()
    assert run.verdict.ok, run.verdict.reason
    files = {f.file_path for f in run.findings(bandit)}
    assert files == {"setup.py", "evil_backend.py"}
    assert PLANTED_SECRET not in run.output_path.read_text()
