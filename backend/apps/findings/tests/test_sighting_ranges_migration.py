"""The migration to sighting ranges keeps today's history: every occurrence becomes a range of
its one result, numbered in its stream, and ingest carries on from there."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.common.testing.factories import (
    FindingFactory,
    ProjectFactory,
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.findings.fingerprints import SourceReader, fingerprints_for
from apps.findings.ingest import findings_ingest
from apps.findings.models import Finding, FindingOccurrence, SightingStream
from apps.findings.sightings import seen_by_scan
from apps.scans.models import ScanToolResult
from apps.tools.adapters.base import NormalizedFinding

BEFORE = [("findings", "0006_sighting_ranges"), ("scans", "0005_sighting_stream")]


def _migrate(targets: list[tuple[str, str]] | None = None) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor


def seen_in(scan) -> set[str]:
    return set(Finding.objects.filter(seen_by_scan(scan.pk)).values_list("rule_id", flat=True))


@pytest.mark.django_db(transaction=True)
def test_migration_turns_each_occurrence_into_a_one_result_range():
    project = ProjectFactory()
    target = TargetAssetFactory(project=project, asset_type="codebase_path", identifier="/srv")
    tool = ToolDefinitionFactory(slug="semgrep")
    mains = [ScanFactory(project=project) for _ in range(3)]
    branch = ScanFactory(project=project, ref="feature", is_default_branch=False)
    results = {
        scan.pk: ScanToolResultFactory(scan=scan, tool=tool, target=target, status="completed")
        for scan in [*mains, branch]
    }
    failed = ScanToolResultFactory(scan=ScanFactory(project=project), tool=tool, target=target)
    failed.status = "failed"
    failed.save()
    reported = NormalizedFinding(
        title="a", severity="high", rule_id="A", file_path="app.py", line_start=3, snippet="a()"
    )
    [(fingerprint, _)] = fingerprints_for(
        [reported], tool_id=tool.slug, target_key=f"target:{target.pk}", reader=SourceReader(None)
    )
    a = FindingFactory(
        project=project, tool=tool, target=target, rule_id="A", fingerprint=fingerprint
    )
    b = FindingFactory(project=project, tool=tool, target=target, rule_id="B", snippet="b()")

    executor = _migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("findings", "FindingOccurrence")
    seen = [(a, mains[0]), (a, mains[1]), (a, mains[2]), (b, mains[0]), (b, branch)]
    for finding, scan in seen:
        old.objects.create(
            finding_id=finding.pk, tool_result_id=results[scan.pk].pk, scan_id=scan.pk,
            file_path="app.py", line_start=3,
        )  # fmt: skip
    _migrate()

    streams = SightingStream.objects.filter(project=project)
    assert sorted(streams.values_list("ref_key", "head_seq")) == [("", 3), ("feature", 1)]
    numbered = dict(ScanToolResult.objects.values_list("scan_id", "sighting_seq"))
    assert [numbered[scan.pk] for scan in mains] == [1, 2, 3]
    assert numbered[failed.scan_id] is None  # it never ingested
    assert FindingOccurrence.objects.count() == 5
    assert all(o.first_seq == o.last_seq for o in FindingOccurrence.objects.all())
    assert all(o.last_scan_id == o.scan_id for o in FindingOccurrence.objects.all())
    assert [seen_in(scan) for scan in mains] == [{"A", "B"}, {"A"}, {"A"}]
    assert seen_in(branch) == {"B"}

    # Ingest carries on from the history: the last result's ranges are extended.
    scan = ScanFactory(project=project)
    result = ScanToolResultFactory(scan=scan, tool=tool, target=target, status="completed")
    findings_ingest(
        project=project, findings=[reported], tool=tool, tool_result=result, target=target
    )
    assert Finding.objects.count() == 2
    latest = FindingOccurrence.objects.get(finding=a, last_scan=scan)
    assert (latest.first_seq, latest.last_seq, latest.scan_id) == (3, 4, mains[2].pk)
