"""Code context captured at ingest: numbered lines around the flagged ones, capped and masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.common.testing.factories import (
    ProjectFactory,
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.findings.code_context import (
    MAX_BYTES,
    MAX_FLAGGED_LINES,
    MAX_LINE_CHARS,
    code_context_capture,
)
from apps.findings.fingerprints import SourceReader
from apps.findings.ingest import findings_ingest
from apps.findings.models import Finding
from apps.targets.models import AssetType
from apps.tools.adapters.base import NormalizedFinding

SOURCE = "\n".join(f"line {n}" for n in range(1, 31)) + "\n"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PASSWORD = "Sup3rS3cretPassw0rd!"
KEY_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"


def finding(**changes) -> NormalizedFinding:
    fields = {"title": "t", "severity": "medium", "rule_id": "B307", "file_path": "app.py"}
    return NormalizedFinding(**{**fields, **changes})


def capture(root: Path, tool: str = "bandit", **changes):
    return code_context_capture(finding(**changes), SourceReader(root), tool_id=tool)


def test_three_lines_around_the_flagged_ones_with_numbers(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SOURCE)
    context = capture(tmp_path, line_start=10, line_end=11)
    assert context == {
        "start": 7,
        "lines": [f"line {n}" for n in range(7, 15)],
        "highlight": [10, 11],
    }


def test_the_window_stops_at_the_file_edges(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SOURCE)
    assert capture(tmp_path, line_start=1)["lines"] == ["line 1", "line 2", "line 3", "line 4"]
    last = capture(tmp_path, line_start=30)
    assert (last["start"], last["lines"][-1], last["highlight"]) == (27, "line 30", [30, 30])


def test_no_context_without_a_readable_place(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SOURCE)
    assert capture(tmp_path, line_start=None) is None
    assert capture(tmp_path, line_start=99) is None
    assert capture(tmp_path, file_path="missing.py", line_start=1) is None
    assert capture(tmp_path, file_path="../outside.py", line_start=1) is None
    assert code_context_capture(finding(line_start=1), SourceReader(None), tool_id="x") is None


def test_long_ranges_long_lines_and_large_windows_are_capped(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SOURCE)
    long_range = capture(tmp_path, line_start=2, line_end=29)
    assert long_range["highlight"] == [2, 2 + MAX_FLAGGED_LINES - 1]
    assert len(long_range["lines"]) == 1 + MAX_FLAGGED_LINES + 3

    (tmp_path / "wide.py").write_text("x = 1\n" + "y" * 5000 + "\nz = 2\n")
    wide = capture(tmp_path, file_path="wide.py", line_start=2)
    assert len(wide["lines"][1]) == MAX_LINE_CHARS
    assert wide["lines"][1].endswith("…")

    (tmp_path / "big.py").write_text("\n".join("w" * 280 + str(n) for n in range(60)) + "\n")
    big = capture(tmp_path, file_path="big.py", line_start=5, line_end=24)
    size = sum(len(line.encode()) + 1 for line in big["lines"])
    assert size <= MAX_BYTES
    # Context after the flagged lines goes first, then before; the flagged line 5 stays.
    assert big["start"] <= 5


def test_a_secret_findings_window_is_masked(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text(
        "import os\n"
        f'AWS_SECRET_ACCESS_KEY = "{AWS_SECRET}"\n'
        f'password = "{PASSWORD}"\n'
        "token = os.environ['TOKEN']\n"
        "DEBUG = True\n"
    )
    context = capture(
        tmp_path, tool="semgrep", rule_id="python-hardcoded-secret", cwe=798,
        file_path="settings.py", line_start=2,
    )  # fmt: skip
    text = "\n".join(context["lines"])
    assert AWS_SECRET not in text and PASSWORD not in text
    assert "AWS_SECRET_ACCESS_KEY = " in text
    assert context["lines"][0] == "import os"
    assert context["lines"][3] == "token = os.environ['TOKEN']"


def test_private_key_bodies_are_masked_for_every_finding(tmp_path: Path) -> None:
    (tmp_path / "deploy.sh").write_text(
        "cat > key <<EOF\n-----BEGIN OPENSSH PRIVATE KEY-----\n"
        f"{KEY_BODY}\n{KEY_BODY[::-1]}\n-----END OPENSSH PRIVATE KEY-----\nEOF\nchmod 600 key\n"
    )
    context = capture(tmp_path, tool="shellcheck", rule_id="SC2086", file_path="deploy.sh",
                      line_start=7)  # fmt: skip
    text = "\n".join(context["lines"])
    assert KEY_BODY not in text and KEY_BODY[::-1] not in text
    assert "chmod 600 key" in text
    assert "-----END OPENSSH PRIVATE KEY-----" in text


def test_a_token_shape_is_masked_in_any_findings_context(tmp_path: Path) -> None:
    token = "ghp_" + "a1B2c3D4e5" * 4
    (tmp_path / "app.py").write_text(f"headers = {{'Authorization': '{token}'}}\neval(x)\n")
    context = capture(tmp_path, line_start=2)
    assert token not in "\n".join(context["lines"])


@pytest.mark.django_db
def test_ingest_stores_the_context_and_an_unchanged_rescan_keeps_it(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SOURCE)
    project = ProjectFactory()
    target = TargetAssetFactory(
        project=project, asset_type=AssetType.CODEBASE_PATH, identifier="/srv/code"
    )
    tool = ToolDefinitionFactory(slug="bandit")

    def scan(root: Path) -> Finding:
        result = ScanToolResultFactory(
            scan=ScanFactory(project=project), tool=tool, target=target, status="completed"
        )
        findings_ingest(
            project=project, findings=[finding(line_start=12)], tool=tool, tool_result=result,
            target=target, target_root=root,
        )  # fmt: skip
        return Finding.objects.get(project=project)

    first = scan(tmp_path)
    assert first.code_context == {
        "start": 9,
        "lines": [f"line {n}" for n in range(9, 16)],
        "highlight": [12, 12],
    }
    again = scan(tmp_path)
    assert again.code_context == first.code_context
    assert again.updated_at == first.updated_at  # nothing changed, nothing rewritten

    moved = tmp_path / "moved"
    moved.mkdir()
    (moved / "app.py").write_text(SOURCE.replace("line 13", "changed 13"))
    assert scan(moved).code_context["lines"][4] == "changed 13"


def test_secrets_beside_another_finding_are_masked_too(tmp_path: Path) -> None:
    """No secret rule flagged these lines, but the window of an eval finding shows them."""
    client_secret = "q8Zr7Kx2Lm9Np4Vt6Wy1Bc3Df5Gh0Jk8"
    (tmp_path / "app.py").write_text(
        f'password = "{PASSWORD}"\n'
        f'API = "{client_secret}"\n'
        f"DSN = 'postgres://app:{PASSWORD}@db/app'\n"
        "result = eval(expr)\n"
        f'login(user="admin", pwd="{PASSWORD}")\n'
        'greeting = "Hello, world"\n'
    )
    context = capture(tmp_path, line_start=4)
    text = "\n".join(context["lines"])
    assert PASSWORD not in text and client_secret not in text
    assert "result = eval(expr)" in text
    assert context["lines"][-1] == 'greeting = "Hello, world"'  # ordinary strings stay
