"""After a large ingest the planner knows how big the findings tables are.

A first import of thousands of findings into tables PostgreSQL still believes empty made the
scan's finalisation (its summary counts) take seconds: with no statistics the planner joins
occurrences and findings by nested loops. The ingest refreshes them when it created many rows.
"""

from __future__ import annotations

import pytest
from django.db import connection

from apps.common.testing.factories import (
    ProjectFactory,
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.findings.ingest import ANALYZE_AFTER_CREATED, findings_ingest
from apps.findings.models import Finding, FindingOccurrence
from apps.tools.adapters.base import NormalizedFinding

pytestmark = pytest.mark.django_db


def _estimated_rows(model: type) -> float:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table]
        )
        return float(cursor.fetchone()[0])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
def test_a_large_ingest_leaves_the_planner_statistics_current() -> None:
    project = ProjectFactory()
    target = TargetAssetFactory(project=project, asset_type="codebase_path", identifier="/code")
    tool = ToolDefinitionFactory(slug="semgrep")
    result = ScanToolResultFactory(scan=ScanFactory(project=project), tool=tool, target=target)
    findings = (
        NormalizedFinding(
            title="Dangerous call",
            severity="high",
            rule_id=f"rule-{i % 7}",
            file_path=f"src/module{i % 50}.py",
            line_start=i + 1,
            snippet=f"call_{i}(x)",
        )
        for i in range(ANALYZE_AFTER_CREATED)
    )

    outcome = findings_ingest(
        project=project, findings=findings, tool=tool, tool_result=result, target=target
    )

    assert outcome.created == ANALYZE_AFTER_CREATED
    assert _estimated_rows(Finding) >= ANALYZE_AFTER_CREATED
    assert _estimated_rows(FindingOccurrence) >= ANALYZE_AFTER_CREATED
