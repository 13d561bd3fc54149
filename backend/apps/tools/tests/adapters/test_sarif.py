"""The generic SARIF 2.1.0 parser (adapters and report uploads)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from apps.tools.adapters.base import ToolOutputError
from apps.tools.adapters.sarif import parse_sarif

ROOT = Path("/scan/root")


def _log(results: list[dict[str, Any]], **run: Any) -> dict[str, Any]:
    rules = [
        {
            "id": "py/sql-injection",
            "name": "SqlInjection",
            "shortDescription": {"text": "SQL query built from user-controlled sources"},
            "help": {"text": "Use query parameters."},
            "helpUri": "https://example.org/sqli",
            "properties": {
                "security-severity": "9.8",
                "precision": "high",
                "tags": ["security", "external/cwe/cwe-089"],
            },
        },
        {
            "id": "js/xss",
            "defaultConfiguration": {"level": "note"},
            "properties": {"tags": ["CWE-79"]},
            "messageStrings": {"default": {"text": "XSS via {0}."}},
        },
    ]
    return {
        "version": "2.1.0",
        "runs": [
            {"tool": {"driver": {"name": "CodeQL", "rules": rules}}, "results": results, **run}
        ],
    }


def _parse(document: dict[str, Any], root: Path | None = ROOT) -> list[Any]:
    return list(parse_sarif(io.StringIO(json.dumps(document)), root, "upload"))


def test_full_result_mapping() -> None:
    result = {
        "ruleId": "py/sql-injection",
        "message": {"text": "Query depends on {0}.", "arguments": ["a user-provided value"]},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "file:///scan/root/app/db.py"},
                    "region": {
                        "startLine": 12,
                        "endLine": 14,
                        "snippet": {"text": "cur.execute(q)"},
                    },
                }
            }
        ],
        "partialFingerprints": {"primaryLocationLineHash": "abc:1", "other": "z"},
    }
    [finding] = _parse(_log([result]))
    assert finding.rule_id == "py/sql-injection"
    assert finding.severity == "critical"  # security-severity 9.8
    assert finding.title == "SQL query built from user-controlled sources"
    assert finding.description == "Query depends on a user-provided value."
    assert finding.cwe == 89
    assert finding.confidence == "high"
    assert finding.file_path == "app/db.py"
    assert (finding.line_start, finding.line_end) == (12, 14)
    assert finding.snippet == "cur.execute(q)"
    assert finding.remediation == "Use query parameters."
    assert finding.references == ("https://example.org/sqli",)
    assert finding.fingerprint_hint == "other=z;primaryLocationLineHash=abc:1"
    assert finding.evidence["sarif_tool"] == "CodeQL"


@pytest.mark.parametrize(
    ("level", "score", "expected"),
    [
        ("error", None, "high"),
        ("warning", None, "medium"),
        ("note", None, "low"),
        ("none", None, "informational"),
        (None, None, "low"),  # the rule's defaultConfiguration level
        ("note", "7.5", "high"),
        ("error", "4.0", "medium"),
        ("error", "0.1", "low"),
        ("error", "0", "informational"),
        ("error", "n/a", "high"),
    ],
)
def test_severity(level: str | None, score: str | None, expected: str) -> None:
    result: dict[str, Any] = {"ruleId": "js/xss", "message": {"text": "m"}}
    if level:
        result["level"] = level
    if score is not None:
        result["properties"] = {"security-severity": score}
    [finding] = _parse(_log([result]))
    assert finding.severity == expected


def test_unknown_rule_defaults_to_warning_and_rule_index_lookup() -> None:
    [plain, indexed] = _parse(
        _log(
            [
                {"ruleId": "custom/thing", "message": {"text": "Something odd. More text."}},
                {"ruleIndex": 1, "message": {"id": "default", "arguments": ["innerHTML"]}},
            ]
        )
    )
    assert plain.severity == "medium"
    assert plain.title == "Something odd."
    assert indexed.rule_id == "js/xss"
    assert indexed.description == "XSS via innerHTML."
    assert indexed.cwe == 79


def test_uri_base_ids_artifact_index_and_escapes() -> None:
    results = [
        {
            "ruleId": "js/xss",
            "message": {"text": "m"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "src/my%20file.js", "uriBaseId": "SRCROOT"},
                        "region": {"startLine": 3},
                    }
                }
            ],
        },
        {
            "ruleId": "js/xss",
            "message": {"text": "m"},
            "locations": [{"physicalLocation": {"artifactLocation": {"index": 0}}}],
        },
        {
            "ruleId": "js/xss",
            "message": {"text": "m"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "lib/x.js", "uriBaseId": "%SRC%"}
                    }
                }
            ],
        },
    ]
    document = _log(
        results,
        originalUriBaseIds={"SRCROOT": {"uri": "file:///scan/root/"}},
        artifacts=[{"location": {"uri": "file:///scan/root/pkg/index.js"}}],
    )
    based, indexed, undefined_base = _parse(document)
    assert based.file_path == "src/my file.js"
    assert (based.line_start, based.line_end) == (3, 3)
    assert indexed.file_path == "pkg/index.js"
    assert undefined_base.file_path == "lib/x.js"


def test_paths_outside_the_root_stay_as_reported() -> None:
    [finding] = _parse(
        _log(
            [
                {
                    "ruleId": "js/xss",
                    "message": {"text": "m"},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": "file:///elsewhere/a.js"}
                            }
                        }
                    ],
                }
            ]
        ),
        root=None,
    )
    assert finding.file_path == "/elsewhere/a.js"


def test_pass_and_suppressed_results_are_skipped() -> None:
    results: list[dict[str, Any]] = [
        {"ruleId": "js/xss", "kind": "pass", "message": {"text": "ok"}},
        {"ruleId": "js/xss", "kind": "notApplicable", "message": {"text": "n/a"}},
        {"ruleId": "js/xss", "message": {"text": "s"}, "suppressions": [{"kind": "inSource"}]},
        {
            "ruleId": "js/xss",
            "message": {"text": "kept"},
            "suppressions": [{"kind": "external", "status": "rejected"}],
        },
    ]
    [kept] = _parse(_log(results))
    assert kept.description == "kept"


def test_cwe_from_relationships() -> None:
    document = _log([{"ruleId": "r1", "message": {"text": "m"}}])
    document["runs"][0]["tool"]["driver"]["rules"].append(
        {
            "id": "r1",
            "relationships": [{"target": {"id": "22", "toolComponent": {"name": "CWE"}}}],
        }
    )
    [finding] = _parse(document)
    assert finding.cwe == 22


def test_rules_in_extensions_and_placeholder_fingerprints() -> None:
    document = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "Semgrep OSS"},
                    "extensions": [
                        {
                            "name": "pack",
                            "rules": [{"id": "x", "properties": {"tags": ["CWE-502"]}}],
                        }
                    ],
                },
                "results": [
                    {
                        "ruleId": "x",
                        "level": "error",
                        "message": {"text": "m"},
                        "fingerprints": {"matchBasedId/v1": "requires login"},
                    }
                ],
            }
        ],
    }
    [finding] = _parse(document)
    assert finding.cwe == 502
    assert finding.fingerprint_hint == ""


def test_reads_a_path_and_a_binary_stream(tmp_path: Path) -> None:
    document = _log([{"ruleId": "js/xss", "message": {"text": "m"}}])
    path = tmp_path / "report.sarif"
    path.write_text(json.dumps(document))
    assert len(list(parse_sarif(path, None, "upload"))) == 1
    assert len(list(parse_sarif(str(path), None, "upload"))) == 1
    stream = io.BytesIO(json.dumps(document).encode())
    assert len(list(parse_sarif(stream, None, "upload"))) == 1


def test_run_without_results_yields_nothing() -> None:
    assert _parse({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}}]}) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("<xml/>", "not valid JSON"),
        ("[]", "unexpected shape"),
        ('{"version": "2.1.0"}', "no 'runs'"),
        ('{"runs": [{"results": {}}]}', "unexpected shape"),
        ('{"runs": [{"results": ["x"]}]}', "unexpected shape"),
    ],
)
def test_garbage_raises(content: str, message: str) -> None:
    with pytest.raises(ToolOutputError, match=message):
        list(parse_sarif(io.StringIO(content), ROOT, "upload"))


def test_runs_keep_their_own_rules_whatever_the_key_order() -> None:
    # Semgrep sorts keys, so a run's results come before its tool; a run may lack a tool.
    document = {
        "runs": [
            {
                "results": [{"ruleIndex": 0, "message": {"text": "first run"}}],
                "tool": {"driver": {"name": "A", "rules": [{"id": "a/rule"}]}},
            },
            {"results": [{"ruleIndex": 0, "message": {"text": "no tool"}}]},
            {
                "tool": {"driver": {"name": "C", "rules": [{"id": "c/rule"}]}},
                "results": [{"ruleIndex": 0, "level": "error", "message": {"text": "third"}}],
            },
        ]
    }
    first, orphan, third = _parse(document)
    assert (first.rule_id, first.evidence["sarif_tool"]) == ("a/rule", "A")
    assert (orphan.rule_id, orphan.evidence["sarif_tool"]) == ("upload", "upload")
    assert (third.rule_id, third.severity, third.evidence["sarif_tool"]) == ("c/rule", "high", "C")


def test_a_malformed_later_run_fails_before_any_finding() -> None:
    document = _log([{"ruleId": "js/xss", "message": {"text": "m"}}])
    document["runs"].append("not a run")
    findings = parse_sarif(io.StringIO(json.dumps(document)), ROOT, "upload")
    with pytest.raises(ToolOutputError, match="each run should be a dict, not str"):
        next(findings)
