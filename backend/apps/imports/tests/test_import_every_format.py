"""Every import format with a real report: each adapter's many-finding sample (walked from the
registry, so a new adapter with samples is covered without editing this file), SARIF logs of
six producers and a generic-format report, uploaded through the API and read by the import
task.

Each import is checked three ways: the stored findings are exactly what the adapter's own
parser makes of the file once deduplicated by fingerprint (count, and rule, place and
severity of each); every finding the tool's own report lists (read without the adapters, see
tool_records.py) is stored with its location and severity; re-importing the file adds no
finding and no `created` event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from apps.common.testing.factories import TargetAssetFactory
from apps.findings.fingerprints import SourceReader, fingerprints_for
from apps.findings.models import Finding, FindingEvent, FindingEventType
from apps.findings.secrets import CRITICAL_SECRET_RULE, SecretMasker
from apps.findings.sightings import seen_by_scan
from apps.imports.generic import parse_generic
from apps.imports.tests import tool_records
from apps.imports.tests.conftest import SAMPLES
from apps.scans.models import Scan, ScanToolResult
from apps.targets.models import AssetType
from apps.tools.adapters.base import NormalizedFinding, PreparedTarget
from apps.tools.adapters.registry import ADAPTERS
from apps.tools.adapters.sarif import parse_sarif

pytestmark = pytest.mark.django_db(transaction=False)

# A target of each kind the samples are about (the web and TLS samples were recorded
# against these loopback servers, the image sample is of this image).
TARGET_IDENTIFIERS: dict[str, str] = {
    AssetType.GIT_REPOSITORY: "https://git.example.com/acme/app.git",
    AssetType.CODEBASE_PATH: "/srv/code/app",
    AssetType.CONTAINER_IMAGE: "example/web:1.4.2",
    AssetType.URL: "http://127.0.0.1:18080/",
    AssetType.DOMAIN: "127.0.0.1",
    AssetType.IP_RANGE: "127.0.0.1/32",
}
TLS_TOOLS = frozenset({"sslyze", "testssl"})
# The generic samples, each with its tool's unconverted output and a reader for it.
GENERIC_SOURCES: dict[str, tuple[str, Callable[[Path], list[tool_records.ToolRecord]]]] = {
    "ruff.json": ("ruff-output.json", tool_records.ruff),
}


@dataclass(frozen=True)
class Case:
    format: str
    report: Path
    asset_type: str
    reader: str  # key of tool_records.READERS

    @property
    def identifier(self) -> str:
        if self.format in TLS_TOOLS:
            return "https://127.0.0.1:18443/"
        return TARGET_IDENTIFIERS[self.asset_type]


def _adapter_cases() -> Iterator[Any]:
    for tool_id, adapter in ADAPTERS.items():
        many = sorted((SAMPLES / tool_id).glob("many.*"))
        if many:
            asset_type = adapter.supported_asset_types[0]
            yield pytest.param(Case(tool_id, many[0], asset_type, tool_id), id=tool_id)


def _other_cases() -> Iterator[Any]:
    for log in sorted((SAMPLES / "sarif").glob("*.sarif")):
        case = Case("sarif", log, AssetType.GIT_REPOSITORY, "sarif")
        yield pytest.param(case, id=f"sarif-{log.stem}")
    for name in GENERIC_SOURCES:
        case = Case("generic", SAMPLES / "generic" / name, AssetType.GIT_REPOSITORY, "generic")
        yield pytest.param(case, id=f"generic-{Path(name).stem}")


CASES = [*_adapter_cases(), *_other_cases()]


def test_every_adapter_with_samples_is_imported_and_has_a_reader_of_its_own_output() -> None:
    covered = {param.values[0].format for param in CASES}
    with_samples = {tool_id for tool_id in ADAPTERS if list((SAMPLES / tool_id).glob("many.*"))}
    assert with_samples == set(ADAPTERS), "every adapter keeps a many-finding sample"
    assert with_samples <= covered
    missing = with_samples - set(tool_records.READERS)
    assert not missing, f"add a reader of the tool's own report to tool_records.py: {missing}"
    producers = {
        param.values[0].report.stem for param in CASES if param.values[0].format == "sarif"
    }
    assert len(producers) >= 3


# --- expectations from the parser and from the tool's own report ---------------------------


def _prepared(case: Case) -> PreparedTarget:
    """The target as an import reads it: no tree, its URL, host or image."""
    identifier = case.identifier
    host = identifier if case.asset_type in (AssetType.DOMAIN, AssetType.IP_RANGE) else ""
    if case.asset_type == AssetType.URL:
        host = urlsplit(identifier).hostname or ""
    return PreparedTarget(
        asset_type=case.asset_type,
        identifier=identifier,
        path=None,
        url=identifier if case.asset_type == AssetType.URL else "",
        host=host,
        image=identifier if case.asset_type == AssetType.CONTAINER_IMAGE else "",
    )


def _parsed(case: Case) -> Iterator[NormalizedFinding]:
    if case.format == "sarif":
        return parse_sarif(case.report, None, case.report.stem)
    if case.format == "generic":
        return parse_generic(case.report)
    return ADAPTERS[case.format].parse(output_path=case.report, target=_prepared(case))


def _parser_expectation(case: Case, *, tool_slug: str, target: Any) -> list[NormalizedFinding]:
    """What the parser yields, one finding per fingerprint (as the findings service keeps)."""
    masker = SecretMasker(tool_slug)
    pairs = fingerprints_for(
        (masker(finding) for finding in _parsed(case)),
        tool_id=tool_slug,
        target_key=f"target:{target.pk}",
        reader=SourceReader(None),
    )
    return list(dict(pairs).values())


def _key(rule_id: str, file_path: str, line_start: int | None, severity: str, url: str,
         package: str) -> tuple[Any, ...]:  # fmt: skip
    return (rule_id, file_path, line_start, severity, url, package)


def _matches(finding: Finding, record: tool_records.ToolRecord) -> bool:
    if record.rule_id is not None and finding.rule_id != record.rule_id:
        return False
    evidence = finding.evidence or {}
    for name, value in record.where.items():
        if name == "file_path":
            ok = tool_records.same_path(finding.file_path, value)
        elif name == "url_path":
            ok = (urlsplit(finding.url).path or "/") == value
        elif name == "url_origin":
            ok = finding.url.startswith(value)
        elif name in ("host", "port"):
            ok = evidence.get(name) == value
        else:
            ok = getattr(finding, name) == value
        if not ok:
            return False
    return True


# --- the import -----------------------------------------------------------------------------


def _import(upload: Callable[..., Any], user: Any, target: Any, case: Case) -> Scan:
    response = upload(user, target.project, case.report, format=case.format, target=target.pk)
    assert response.status_code == 202, response.content
    return Scan.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize("case", CASES)
def test_import_stores_what_the_tool_reported_and_a_reimport_adds_nothing(
    case: Case, project_with_roles: Any, upload: Callable[..., Any], eager: None, client_for: Any
) -> None:
    member = project_with_roles.member
    target = TargetAssetFactory(
        project=project_with_roles.project,
        name=f"{case.format}-target",
        asset_type=case.asset_type,
        identifier=case.identifier,
    )

    scan = _import(upload, member, target, case)

    shown = client_for(member).get(f"/api/v1/scans/{scan.pk}/").json()
    assert shown["status"] == "completed", shown
    assert shown["trigger"] == "import"
    result = ScanToolResult.objects.get(scan=scan)
    assert result.report_format == case.format
    assert result.report_name == case.report.name
    stored = list(Finding.objects.filter(seen_by_scan(scan.pk)))

    # 1. Exactly what the parser makes of the file, deduplicated by fingerprint.
    expected = _parser_expectation(case, tool_slug=result.tool.slug, target=target)
    assert len(stored) == len(expected) >= 2
    assert shown["summary"]["total"] == shown["summary"]["new"] == len(expected)
    assert result.findings_count == len(expected)
    assert Counter(
        _key(f.rule_id, f.file_path, f.line_start, f.severity, f.url, f.package_name)
        for f in stored
    ) == Counter(
        _key(f.rule_id[:300], f.file_path, f.line_start, f.severity, f.url, f.package_name)
        for f in expected
    )

    # 2. Every finding of the tool's own report, at its place and with its severity.
    reader, complete = tool_records.READERS[case.reader]
    records = tool_records.unique(reader(case.report))
    assert records, "the sample reports something"
    if complete:
        assert len(stored) == len(records)
    for record in records:
        candidates = [finding for finding in stored if _matches(finding, record)]
        assert candidates, f"not stored: {record}"
        if record.severity is not None:
            severities = {f.severity for f in candidates}
            # The severity policy: a committed private key or cloud credential is critical.
            raised = severities == {"critical"} and all(
                CRITICAL_SECRET_RULE.search(f"{f.rule_id} {f.title}") for f in candidates
            )
            assert record.severity in severities or raised, (record, candidates)
    if case.format == "generic":
        source_name, source_reader = GENERIC_SOURCES[case.report.name]
        source = tool_records.unique(source_reader(case.report.parent / source_name))
        assert len(source) == len(stored)
        for record in source:
            assert any(_matches(finding, record) for finding in stored), record

    # 3. The same file again: a completed scan that adds nothing.
    findings_before = Finding.objects.filter(project=target.project).count()
    created_before = FindingEvent.objects.filter(event_type=FindingEventType.CREATED).count()

    again = _import(upload, member, target, case)

    shown_again = client_for(member).get(f"/api/v1/scans/{again.pk}/").json()
    assert shown_again["status"] == "completed", shown_again
    assert shown_again["summary"]["new"] == 0
    assert shown_again["summary"]["total"] == len(expected)
    assert Finding.objects.filter(project=target.project).count() == findings_before
    assert (
        FindingEvent.objects.filter(event_type=FindingEventType.CREATED).count() == created_before
    )
    assert set(Finding.objects.filter(seen_by_scan(again.pk))) == set(stored)
