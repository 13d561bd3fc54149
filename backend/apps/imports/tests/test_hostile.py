"""Hostile reports: entity bombs, external entities, deep nesting, junk and truncation end as a
failed result with a reason or a 400, never a crash, a 500 or a half-ingested scan."""

from __future__ import annotations

import json

import pytest

from apps.findings.models import Finding, FindingOccurrence
from apps.imports.tests.conftest import sample, target_of
from apps.scans.models import ScanStatus, ScanToolResult, ToolResultStatus

pytestmark = pytest.mark.django_db

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE nmaprun [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<nmaprun scanner="nmap"><host><address addr="192.0.2.1" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="22"><state state="open"/>
<service name="&lol9;"/></port></ports></host></nmaprun>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE nmaprun [<!ENTITY leak SYSTEM "file:///etc/passwd">]>
<nmaprun scanner="nmap"><host><status state="up"/><address addr="192.0.2.1" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="22"><state state="open"/>
<service name="ssh" product="&leak;"/></port></ports></host></nmaprun>
"""


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def failed(scan) -> str:
    result = ScanToolResult.objects.get(scan=scan)
    assert result.status == ToolResultStatus.FAILED
    assert scan.status == ScanStatus.FAILED
    assert not Finding.objects.exists() and not FindingOccurrence.objects.exists()
    return result.error_message


@pytest.mark.parametrize("report", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "xxe"])
def test_xml_entities_are_refused_by_defusedxml(project, run_import, report):
    message = failed(run_import(project, target_of(project, "ip_range"), report, "nmap"))
    assert "nmap" in message.lower() and ("entit" in message.lower() or "dtd" in message.lower())
    assert "root:" not in message


def test_json_nested_10000_deep_fails_each_format_with_a_reason(project, run_import):
    top = failed(run_import(project, target_of(project), deep(10_000), "semgrep"))
    assert top.startswith("Unreadable report:")
    report = json.loads(sample("semgrep").read_text())
    text = json.dumps(report)
    inner = text.replace('"category": "security"', '"category": ' + "[" * 10_000 + "]" * 10_000, 1)
    message = failed(run_import(project, target_of(project, name="b"), inner.encode(), "semgrep"))
    assert message.startswith("Unreadable report"), message
    nested = json.dumps({"version": 1, "tool": {"name": "Acme"}, "findings": [
        {"title": "x", "severity": "high", "description": "PLACEHOLDER"}]})  # fmt: skip
    nested_bytes = nested.replace('"PLACEHOLDER"', "[" * 10_000 + "]" * 10_000).encode()
    message = failed(run_import(project, target_of(project, name="c"), nested_bytes, "generic"))
    assert message == ("Unreadable report: findings[0].description: must be a string, not a list.")


def test_a_truncated_generic_report_stores_nothing(project, run_import):
    findings = [{"title": f"t{n}", "severity": "low", "rule_id": f"R{n}"} for n in range(50)]
    whole = json.dumps({"version": 1, "tool": {"name": "Acme"}, "findings": findings}).encode()
    message = failed(run_import(project, target_of(project), whole[: len(whole) // 2], "generic"))
    assert "not valid JSON" in message


def test_binary_junk_fails_saying_it_is_binary(project, run_import):
    junk = bytes(range(256)) * 50
    message = failed(run_import(project, target_of(project), junk, "semgrep"))
    assert message == "The report is binary data, not a text report, not Semgrep JSON."


@pytest.mark.parametrize(
    ("report", "format_id", "words"),
    [
        (deep(10_000), "sarif", "not a SARIF 2.1.0 log"),
        (bytes(range(256)) * 50, "sarif", "binary data"),
        (sample("nmap", "many.xml").read_bytes(), "sarif", "XML document"),
        (b'{"runs": [{"tool": {"driver": {"name": "CodeQL"}}, "results": [', "generic",
         "not valid JSON"),
        (deep(10_000), "generic", "is a JSON object, not list"),
        (b"\x00" * 10, "generic", "binary"),
    ],
)  # fmt: skip
def test_unreadable_sarif_and_generic_reports_are_400s_at_upload(
    project_with_roles, code_target, upload, report, format_id, words
):
    site = project_with_roles
    response = upload(site.member, site.project, report, format=format_id, target=code_target.pk)
    assert response.status_code == 400, response.content[:300]
    assert words in response.json()["error"]["fields"]["file"][0]


def test_hostile_uploads_never_answer_500(project_with_roles, code_target, upload, eager):
    site = project_with_roles
    for report in (BILLION_LAUGHS, deep(10_000), bytes(range(256)) * 20, b"{" * 5000):
        for format_id in ("semgrep", "nmap", "sarif", "generic", "nuclei"):
            target = target_of(site.project, "ip_range", "net") if format_id == "nmap" else None
            response = upload(site.member, site.project, report, format=format_id,
                              target=(target or code_target).pk)  # fmt: skip
            assert response.status_code in (202, 400), (format_id, response.content[:200])
            target and target.delete()
    assert not Finding.objects.exists()
