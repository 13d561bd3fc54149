"""Masking of secret findings and of kept raw outputs (findings.secrets)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.findings import secrets
from apps.findings.fingerprints import SourceReader
from apps.findings.secrets import (
    SecretMasker,
    is_secret_finding,
    mask_code,
    redact_file,
    redaction_needed,
)
from apps.tools.adapters.base import NormalizedFinding

PASSWORD = "Sup3rS3cretPassw0rd!"
KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACDp2dyJ7b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAA\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)


def bandit_b105(**changes) -> NormalizedFinding:
    fields = {
        "title": f"Possible hardcoded password: '{PASSWORD}'",
        "description": f"Possible hardcoded password: '{PASSWORD}'",
        "severity": "low",
        "rule_id": "B105",
        "cwe": 259,
        "file_path": "app.py",
        "line_start": 2,
        "snippet": f'password = "{PASSWORD}"',
        **changes,
    }
    return NormalizedFinding(**fields)


@pytest.mark.parametrize(
    ("tool", "finding"),
    [
        ("bandit", bandit_b105(cwe=None)),
        ("semgrep", NormalizedFinding(title="t", severity="high", rule_id="x", cwe=798)),
        ("semgrep", NormalizedFinding(title="t", severity="high", rule_id="r.secrets-aws-key")),
        ("checkov", NormalizedFinding(title="t", severity="high", rule_id="CKV_SECRET_2")),
        ("detect-secrets", NormalizedFinding(title="t", severity="high", rule_id="keyword")),
        ("gitleaks", NormalizedFinding(title="t", severity="high", rule_id="generic-api-key")),
    ],
)
def test_secret_findings_are_recognised(tool: str, finding: NormalizedFinding) -> None:
    assert is_secret_finding(tool, finding)


def test_other_findings_are_left_alone() -> None:
    finding = NormalizedFinding(
        title="Use of eval 'x'", severity="medium", rule_id="B307", snippet="eval('x + 1')"
    )
    assert not is_secret_finding("bandit", finding)
    assert SecretMasker("bandit")(finding) is finding


def test_a_bandit_password_is_masked_everywhere_and_remembered(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(f'import os\npassword = "{PASSWORD}"\n')
    masker = SecretMasker("bandit", SourceReader(tmp_path))
    masked = masker(bandit_b105(evidence={"password": PASSWORD, "note": f"was {PASSWORD}"}))
    assert PASSWORD not in repr(masked)
    # mask_secret keeps a 4-character prefix of a long secret, never the rest.
    assert masked.title == "Possible hardcoded password: 'Sup3********'"
    assert masked.snippet == 'password = "Sup3********"'
    assert masked.evidence["note"] == "was Sup3********"
    assert PASSWORD in masker.values


def test_short_values_are_masked_only_where_they_stand_quoted() -> None:
    masked = SecretMasker("bandit")(
        bandit_b105(title="Possible hardcoded password: 'abc'", snippet="pw = 'abc'  # abcdef")
    )
    assert masked.title == "Possible hardcoded password: '********'"
    assert masked.snippet == "pw = '********'  # abcdef"


def test_keys_and_tokens_are_masked_in_any_text() -> None:
    text = f"{KEY}token=ghp_R8x2Lq7Vt4Nz9Kc3Wm6Pd1Fs5Hj0Bg2Yu8Ea AKIAQ7RZ3XK4TD2WVN5M"
    masked = mask_code(text)
    assert "b3BlbnNz" not in masked and "QyNTUxOQ" not in masked
    assert "R8x2Lq7V" not in masked and "Q7RZ3XK4" not in masked
    assert masked.startswith("-----BEGIN OPENSSH PRIVATE KEY-----********")


def test_a_mapping_key_is_not_taken_for_the_secret() -> None:
    assert mask_code(f'{{"password": "{PASSWORD}"}}') == '{"password": "Sup3********"}'


@pytest.mark.parametrize("chunk", [1, 3, 7, 16, 29, 64, 1000])
def test_raw_output_is_rewritten_even_across_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(secrets, "_CHUNK", chunk)
    monkeypatch.setattr(secrets, "_OVERLAP", 40)
    report = {
        "results": [
            {
                "issue_text": f"Possible hardcoded password: '{PASSWORD}'",
                "code": f'x = "{PASSWORD}"',
            },
            {"code": KEY, "other": "unrelated text " * 20},
        ]
    }
    source = tmp_path / "report.json"
    source.write_text(json.dumps(report))
    kept = tmp_path / "kept.json"
    redact_file(source, kept, {PASSWORD})
    text = kept.read_text()
    assert PASSWORD not in text and "b3BlbnNz" not in text and "QyNTUxOQ" not in text
    rewritten = json.loads(text)  # still the tool's JSON
    assert rewritten["results"][1]["other"] == "unrelated text " * 20


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("PASSWORD=hunter2hunter2", "PASSWORD=********"),
        ("db_password: s3cr3t!x", "db_password: ********"),
        ("password = get_password()", "password = get_password()"),
        ("token = os.environ['API_TOKEN']", "token = os.environ['API_TOKEN']"),
        ("url = 'postgres://app:pa55w0rd@db/app'", "url = 'post********'"),
    ],
)
def test_assigned_values_are_masked_but_not_calls_or_lookups(line: str, masked: str) -> None:
    assert mask_code(line) == masked


@pytest.mark.parametrize(
    ("content", "values", "needed"),
    [
        (b'{"results": [{"code": "x = 1"}]}', set(), False),
        (f'{{"code": "x = \\"{PASSWORD}\\""}}'.encode(), {PASSWORD}, True),
        (KEY.encode(), set(), True),
        (b'{"url": "https://x.example/?k=AKIAABCDEFGHIJKLMNOP"}', set(), True),
        # Across the 1 MiB chunk boundary of the pass.
        (b" " * (1024 * 1024 - 10) + b'"ghp_' + b"a" * 36 + b'"', set(), True),
        (b" " * (1024 * 1024 - 4) + b"-----BEGIN RSA PRIVATE KEY-----\nMIIE", set(), True),
    ],
)
def test_redaction_is_needed_exactly_when_redact_file_would_change_the_report(
    tmp_path: Path, content: bytes, values: set[str], needed: bool
) -> None:
    source = tmp_path / "report.json"
    source.write_bytes(content)
    kept = tmp_path / "kept.json"
    redact_file(source, kept, values)
    assert (kept.read_bytes() != content) is needed
    assert redaction_needed(source, values) is needed
