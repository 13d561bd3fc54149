"""import_start + import_run through the worker's path: producers, wrong formats, the generic
format, all-or-nothing ingest, idempotency and the lifecycle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from apps.findings.models import Finding, FindingEvent, FindingOccurrence, FindingStatus
from apps.findings.sightings import seen_by_scan
from apps.imports.formats import ADAPTER_FORMATS, import_format_get, report_probe
from apps.imports.running import import_run
from apps.imports.tests.conftest import SAMPLES, sample, target_of
from apps.scans.models import ScanStatus, ScanToolResult, ToolResultStatus
from apps.tools.adapters.base import PreparedTarget
from apps.tools.adapters.registry import ADAPTERS
from apps.tools.models import ToolCategory, ToolDefinition
from apps.tools.sync import tools_sync

pytestmark = pytest.mark.django_db


def result_of(scan: Any) -> ScanToolResult:
    return ScanToolResult.objects.select_related("tool").get(scan=scan)


def sarif(driver: str, *rules: str, runs: int = 1) -> bytes:
    run = {
        "tool": {"driver": {"name": driver, "rules": [{"id": r} for r in rules]}},
        "results": [
            {
                "ruleId": rule,
                "level": "error",
                "message": {"text": f"{rule} found"},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": f"src/{rule}.py"},
                    "region": {"startLine": index + 3},
                }}],
            }
            for index, rule in enumerate(rules)
        ],
    }  # fmt: skip
    return json.dumps({"version": "2.1.0", "runs": [run] * runs}).encode()


def generic(*findings: dict[str, Any], tool: str = "Acme SAST") -> bytes:
    return json.dumps({"version": 1, "tool": {"name": tool, "version": "4.2"},
                       "findings": list(findings)}).encode()  # fmt: skip


def acme(rule: str, **fields: Any) -> dict[str, Any]:
    return {"title": f"{rule} problem", "severity": "high", "rule_id": rule,
            "file_path": f"src/{rule.lower()}.py", "line_start": 3, **fields}  # fmt: skip


@pytest.mark.parametrize(
    ("driver", "slug"),
    [("ESLint", "eslint"), ("Semgrep OSS", "semgrep"), ("checkov", "checkov"),
     ("nodejsscan", "njsscan"), ("Trivy", "trivy_fs")],
)  # fmt: skip
def test_a_sarif_log_belongs_to_the_adapter_whose_driver_it_names(
    project, run_import, driver, slug
):
    scan = run_import(project, target_of(project), sarif(driver, "R1", "R2"), "sarif")
    result = result_of(scan)
    assert (result.tool.slug, result.status, result.findings_count) == (slug, "completed", 2)
    assert result.report_format == "sarif"
    finding = Finding.objects.get(project=project, rule_id="R1")
    assert (finding.severity, finding.file_path, finding.line_start) == ("high", "src/R1.py", 3)


def test_trivy_sarif_on_an_image_target_is_trivy_image(project, run_import):
    scan = run_import(project, target_of(project, "container_image"), sarif("Trivy", "R"), "sarif")
    assert result_of(scan).tool.slug == "trivy_image"


def test_a_real_eslint_sarif_log_imports_all_its_findings(project, run_import):
    scan = run_import(project, target_of(project), sample("eslint", "many.sarif"), "sarif")
    assert (result_of(scan).tool.slug, result_of(scan).findings_count) == ("eslint", 7)
    assert scan.status == ScanStatus.COMPLETED


def test_an_unknown_producer_gets_an_imported_tool_that_tools_sync_leaves_alone(
    project, run_import
):
    scan = run_import(project, target_of(project), sarif("CodeQL", "js/xss"), "sarif")
    tool = result_of(scan).tool
    assert (tool.slug, tool.name, tool.category) == ("imported-codeql", "CodeQL", "imported")
    assert tool.available is False
    assert tool.unavailable_reason == "Imported reports only: no adapter runs this tool."
    tools_sync(adapters={})
    tool.refresh_from_db()
    assert tool.unavailable_reason == "Imported reports only: no adapter runs this tool."
    again = run_import(project, target_of(project, name="web"), sarif("codeql", "x"), "sarif")
    assert result_of(again).tool == tool
    assert ToolDefinition.objects.filter(category=ToolCategory.IMPORTED).count() == 1


def test_a_sarif_log_of_several_tools_is_refused(project, run_import):
    two = json.loads(sarif("CodeQL", "A"))
    two["runs"].append(json.loads(sarif("Semgrep OSS", "B"))["runs"][0])
    scan = run_import(project, target_of(project), json.dumps(two).encode(), "sarif")
    result = result_of(scan)
    assert result.status == ToolResultStatus.FAILED
    assert "runs of several tools (CodeQL, Semgrep OSS)" in result.error_message
    assert scan.status == ScanStatus.FAILED and not Finding.objects.exists()


def test_a_tools_format_takes_that_tools_sarif_but_not_anothers(project, run_import):
    ok = run_import(project, target_of(project), sarif("Semgrep OSS", "R1"), "semgrep")
    assert (result_of(ok).status, result_of(ok).findings_count) == ("completed", 1)
    wrong = run_import(project, target_of(project, name="b"), sarif("Bandit", "B1"), "semgrep")
    assert result_of(wrong).status == ToolResultStatus.FAILED
    assert result_of(wrong).error_message == "The SARIF log comes from 'Bandit', not Semgrep."


@pytest.mark.parametrize(
    ("report", "format_id", "message"),
    [
        (sample("bandit"), "semgrep", "The report looks like Bandit JSON, not Semgrep JSON."),
        (sample("semgrep"), "bandit", "The report looks like Semgrep JSON, not Bandit JSON."),
        (sample("detect-secrets"), "checkov",
         "The report looks like detect-secrets baseline, not Checkov JSON."),
        (sample("checkov"), "hadolint", "The report looks like Checkov JSON, not Hadolint JSON."),
        (sample("nmap", "many.xml"), "semgrep",
         "The report is an XML document (<nmaprun>), not Semgrep JSON (JSON)."),
        (sample("semgrep"), "nmap", "The report is Semgrep JSON, not Nmap XML (XML)."),
        (sample("eslint", "many.sarif"), "bandit",
         "The SARIF log comes from 'ESLint', not Bandit."),
        (b"\x00\x01binary\xff\xfe" * 100, "semgrep", "The report is binary data"),
        (b"hello, this is not a report", "semgrep", "The report is plain text"),
    ],
)  # fmt: skip
def test_a_report_of_another_format_or_tool_fails_saying_what_it_is(
    project, run_import, report, format_id, message
):
    asset_type = "url" if format_id == "nmap" else "git_repository"
    scan = run_import(project, target_of(project, asset_type), report, format_id)
    result = result_of(scan)
    assert result.status == ToolResultStatus.FAILED
    assert result.error_message.startswith(message), result.error_message
    assert scan.status == ScanStatus.FAILED
    assert not Finding.objects.exists()


def test_the_generic_format_imports_every_field(project, run_import):
    report = generic(
        acme("ACME-1", cwe="CWE-89", line_end=5, snippet="q = 'x' + y", confidence="medium",
             references=["https://example.com/a"], remediation="Bind it.", description="D"),
        acme("ACME-2", severity="low", cwe=79, cve="CVE-2024-0001", package_name="lodash",
             package_version="4.17.15", fixed_version="4.17.19", file_path=None),
        {"title": "Missing header", "severity": "informational",
         "url": "https://shop.example.com/", "http_method": "GET", "parameter": "q"},
    )  # fmt: skip
    scan = run_import(project, target_of(project), report, "generic", tool_version="4.2")
    result = result_of(scan)
    assert (result.status, result.findings_count) == ("completed", 3)
    assert (result.tool.slug, result.tool.category) == ("imported-acme-sast", "imported")
    first = Finding.objects.get(rule_id="ACME-1")
    assert (first.cwe, first.line_start, first.line_end, first.confidence) == (89, 3, 5, "medium")
    assert (first.remediation, first.references, first.description) == (
        "Bind it.",
        ["https://example.com/a"],
        "D",
    )
    second = Finding.objects.get(rule_id="ACME-2")
    assert (second.cwe, second.cve, second.package_name, second.fixed_version) == (
        79,
        "CVE-2024-0001",
        "lodash",
        "4.17.19",
    )
    header = Finding.objects.get(title="Missing header")
    assert (header.rule_id, header.url, header.parameter) == ("Missing header", header.url, "q")


def test_a_generic_report_naming_an_adapters_tool_files_under_that_tool(project, run_import):
    scan = run_import(project, target_of(project), generic(acme("X"), tool="semgrep"), "generic")
    assert result_of(scan).tool.slug == "semgrep"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"severity": "urgent"}, "findings[3].severity: 'urgent' is not one of critical"),
        ({"line_start": "3"}, "findings[3].line_start: must be a whole number, not a string."),
        ({"title": "x" * 501}, "findings[3].title: has 501 characters; at most 500."),
        ({"serverity": "high"}, "findings[3].serverity: unknown field"),
        ({"title": None}, "findings[3].title: required."),
        ({"line_start": 9, "line_end": 2}, "findings[3].line_end: must not be before line_start."),
        ({"cwe": "89x"}, "findings[3].cwe: '89x' is not a CWE id"),
        ({"references": ["ok", 5]}, "findings[3].references[1]: must be a string"),
        ({"description": [[["deep"]]]}, "findings[3].description: must be a string, not a list."),
    ],
)  # fmt: skip
def test_one_bad_generic_finding_fails_the_import_naming_its_index_and_field(
    project, run_import, bad, message
):
    findings = [acme("A"), acme("B"), acme("C"), {**acme("D"), **bad}, acme("E")]
    scan = run_import(project, target_of(project), generic(*findings), "generic")
    result = result_of(scan)
    assert result.status == ToolResultStatus.FAILED
    assert message in result.error_message, result.error_message
    assert not Finding.objects.exists() and not FindingOccurrence.objects.exists()


def big_semgrep(count: int) -> bytes:
    """A Semgrep report of `count` distinct findings, built from a real one."""
    report = json.loads(sample("semgrep").read_text())
    template = report["results"][0]
    report["results"] = [
        {**template, "check_id": f"rule-{n % 50}", "path": f"src/module_{n}.py",
         "start": {**template["start"], "line": n + 1}, "end": {**template["end"], "line": n + 1}}
        for n in range(count)
    ]  # fmt: skip
    return json.dumps(report).encode()


def test_a_report_truncated_at_item_9000_stores_nothing(project, run_import):
    whole = big_semgrep(10_000)
    cut = whole.index(b'"src/module_9000.py"')
    scan = run_import(project, target_of(project), whole[:cut], "semgrep")
    result = result_of(scan)
    assert result.status == ToolResultStatus.FAILED
    assert result.error_message.startswith("Unreadable report: Semgrep report is not valid JSON")
    assert not Finding.objects.exists()
    assert not FindingOccurrence.objects.exists() and not FindingEvent.objects.exists()
    assert scan.status == ScanStatus.FAILED and scan.summary["total"] == 0
    # The whole report, imported after, is stored whole.
    whole_scan = run_import(project, target_of(project, name="b"), whole, "semgrep")
    assert result_of(whole_scan).findings_count == 10_000


def test_importing_the_same_file_twice_adds_nothing_not_even_an_occurrence(project, run_import):
    target = target_of(project)
    first = run_import(project, target, sample("semgrep"), "semgrep")
    findings, events = Finding.objects.count(), FindingEvent.objects.count()
    second = run_import(project, target, sample("semgrep"), "semgrep")
    assert second.status == ScanStatus.COMPLETED
    summary = second.summary
    assert (summary["new"], summary["total"], summary["resolved"]) == (0, 22, 0)
    assert (Finding.objects.count(), FindingEvent.objects.count()) == (findings, events)
    # The second import extends each finding's sighting range; both imports saw all 22.
    assert FindingOccurrence.objects.count() == 22
    assert Finding.objects.filter(seen_by_scan(second.pk)).count() == 22
    assert Finding.objects.filter(seen_by_scan(first.pk)).count() == 22
    assert set(Finding.objects.values_list("status", flat=True)) == {FindingStatus.NEW}


def test_a_later_import_resolves_what_it_no_longer_reports_on_its_branch_only(project, run_import):
    target = target_of(project)
    run_import(project, target, generic(acme("A"), acme("B"), acme("C")), "generic")
    branch = run_import(project, target, generic(acme("A")), "generic", ref="feature/x")
    assert branch.summary["resolved"] == 0
    later = run_import(project, target, generic(acme("A"), acme("B")), "generic")
    assert later.summary["resolved"] == 1
    assert Finding.objects.get(rule_id="C").status == FindingStatus.AUTO_RESOLVED
    # Another format of the same tool is another configuration: it resolves nothing.
    sarif_scan = run_import(project, target, sarif("Acme SAST", "A"), "sarif")
    assert result_of(sarif_scan).tool.slug == "imported-acme-sast"
    assert sarif_scan.summary["resolved"] == 0
    assert Finding.objects.get(rule_id="B").status == FindingStatus.NEW


def test_secrets_are_masked_in_findings_and_in_the_kept_report(project, run_import):
    report = sample("gitleaks")
    leaks = json.loads(report.read_text())
    secrets = [leak["Secret"] for leak in leaks if leak["Secret"] != "REDACTED"]
    assert secrets
    scan = run_import(project, target_of(project), report, "gitleaks")
    result = result_of(scan)
    assert result.status == ToolResultStatus.COMPLETED, result.error_message
    with result.raw_output.open("rb") as raw:
        kept = raw.read().decode()
    stored = json.dumps(list(Finding.objects.values("title", "description", "snippet", "evidence")))
    for secret in secrets:
        assert secret not in kept and secret not in stored


def test_a_token_shape_anywhere_in_the_report_is_masked_in_the_kept_report(project, run_import):
    # In a field no finding reads (Semgrep's scanned paths), after 1 MiB of other results.
    token = "ghp_" + "A1b2C3d4" * 5
    report = json.loads(sample("semgrep").read_text())
    report["results"] = report["results"] * 400
    report["paths"]["scanned"].append(f"src/{token}/settings.py")
    scan = run_import(project, target_of(project), json.dumps(report).encode(), "semgrep")
    result = result_of(scan)
    assert result.status == ToolResultStatus.COMPLETED, result.error_message
    with result.raw_output.open("rb") as raw:
        kept = raw.read().decode()
    assert token not in kept and "src/********/settings.py" in kept
    assert len(json.loads(kept)["results"]) == 22 * 400


def test_a_report_without_secrets_is_kept_as_it_was_uploaded(project, run_import):
    uploaded = sample("semgrep").read_bytes()
    scan = run_import(project, target_of(project), uploaded, "semgrep")
    result = result_of(scan)
    assert result.status == ToolResultStatus.COMPLETED, result.error_message
    with result.raw_output.open("rb") as raw:
        assert raw.read() == uploaded


def test_an_import_ends_its_scan_in_the_same_task_without_a_broker_hop(project, monkeypatch):
    from django.core.files.base import ContentFile

    from apps.imports.services import import_start
    from apps.scans.services import execution

    def no_broker(scan_id: int) -> None:
        raise AssertionError("the finalisation was queued")

    monkeypatch.setattr(execution, "_enqueue_finalize", no_broker)
    upload = ContentFile(sample("bandit").read_bytes(), name="bandit.json")
    scan = import_start(project=project, user=None, upload=upload, format="bandit",
                        target=target_of(project))  # fmt: skip
    import_run(scan_id=scan.pk)
    scan.refresh_from_db()
    assert scan.status == ScanStatus.COMPLETED
    assert scan.summary["total"] == 12 and scan.progress == 100


def test_a_partial_report_is_a_partial_result(project, run_import):
    scan = run_import(project, target_of(project), sample("semgrep", "partial.json"), "semgrep")
    result = result_of(scan)
    assert result.status == ToolResultStatus.PARTIAL, result.error_message
    assert result.error_message.startswith("Partial: Semgrep could not analyse")
    assert scan.status == ScanStatus.COMPLETED_WITH_ERRORS


def test_a_semgrep_report_that_analysed_nothing_keeps_none_of_its_findings(project, run_import):
    # Semgrep's coverage is read in the same pass as its findings, after them in the file.
    report = json.loads(sample("semgrep", "many.json").read_text())
    assert report["results"]
    report["paths"] = {"scanned": []}
    scan = run_import(project, target_of(project), json.dumps(report).encode(), "semgrep")
    result = result_of(scan)
    assert result.status == ToolResultStatus.FAILED
    assert result.error_message == "Semgrep analysed 0 files according to the report."
    assert result.coverage["analysed"] == 0
    assert not Finding.objects.exists() and not FindingOccurrence.objects.exists()


def test_an_unreadable_semgrep_report_keeps_its_coverage(project, run_import):
    report = json.loads(sample("semgrep", "partial.json").read_text())
    report["results"].append("not a result")
    scan = run_import(project, target_of(project), json.dumps(report).encode(), "semgrep")
    result = result_of(scan)
    assert result.status == ToolResultStatus.FAILED
    assert result.error_message.startswith("Unreadable report: Semgrep")
    assert result.coverage["analysed"] >= 1 and result.coverage["unanalysed_count"] >= 1
    assert not Finding.objects.exists()


def test_a_redelivered_task_repeats_nothing(project, run_import):
    scan = run_import(project, target_of(project), sample("bandit"), "bandit")
    import_run(scan_id=scan.pk)
    assert FindingOccurrence.objects.count() == result_of(scan).findings_count == 12


def test_every_adapter_has_an_import_format():
    assert set(ADAPTER_FORMATS) == set(ADAPTERS)
    assert import_format_get("generic") and import_format_get("sarif")


def _samples() -> list[tuple[str, Path]]:
    found = []
    for tool_id in ADAPTERS:
        folder = SAMPLES / tool_id
        found += [(tool_id, path) for path in sorted(folder.iterdir())
                  if path.stem in ("empty", "one", "many", "partial")]  # fmt: skip
    return found


@pytest.mark.parametrize(("tool_id", "path"), _samples(), ids=lambda v: str(v)[-30:])
def test_each_sample_is_recognised_as_its_own_format_and_parses_without_a_tree(tool_id, path):
    fmt = ADAPTER_FORMATS[tool_id]
    probe = report_probe(path)
    if probe.kind != "empty":
        assert {found.layout for found in probe.looks_like()} <= {fmt.layout}
    adapter = ADAPTERS[tool_id]
    for asset_type in adapter.supported_asset_types:
        target = PreparedTarget(asset_type=asset_type, identifier="x", path=None)
        list(adapter.parse(output_path=path, target=target))
        adapter.coverage(output_path=path, target=target, stderr="")
