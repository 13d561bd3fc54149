"""An unchanged re-scan must not rewrite what it did not change (PostgreSQL).

Every re-scan used to rewrite every finding row in full: all indexes got new entries when the
page had no room, long descriptions were TOASTed again, and a re-import of 10,000 unchanged
findings cost as much as the first import. Now a finding whose reported content did not change
gets only its last sighting stamped, in place (a HOT update: no index entry, no new TOAST
value); a changed one is rewritten as before.
"""

from __future__ import annotations

import secrets

import pytest
from django.db import connection

from apps.common.testing.factories import (
    ProjectFactory,
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
)
from apps.findings.ingest import findings_ingest
from apps.findings.models import Finding
from apps.tools.adapters.base import NormalizedFinding

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's row versions"),
]

COUNT = 120
# Incompressible and past PostgreSQL's 2 kB TOAST threshold: stored out of line.
LONG = {i: secrets.token_hex(3000) for i in range(COUNT)}


def _findings(changed: set[int] = frozenset()) -> list[NormalizedFinding]:  # type: ignore[assignment]
    return [
        NormalizedFinding(
            title=f"Dangerous call {i}" + (" (new wording)" if i in changed else ""),
            severity="high",
            rule_id=f"rule-{i % 7}",
            file_path=f"src/module{i % 10}.py",
            line_start=i + 1,
            snippet=f"call_{i}(x)",
            description=LONG[i],
        )
        for i in range(COUNT)
    ]


def _counters() -> tuple[int, int, int]:
    """Rows updated, of which HOT, in findings_finding; bytes of its TOAST table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd, "
            "pg_relation_size((SELECT reltoastrelid FROM pg_class WHERE relname = %s)) "
            "FROM pg_stat_user_tables WHERE relname = %s",
            ["findings_finding", "findings_finding"],
        )
        updated, hot, toast = cursor.fetchone()
    return int(updated), int(hot), int(toast)


def _flush_stats() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")


@pytest.fixture
def setting():
    project = ProjectFactory()
    target = TargetAssetFactory(project=project, asset_type="codebase_path", identifier="/code")
    tool = ToolDefinitionFactory(slug="semgrep")
    return project, target, tool


def _ingest(project, target, tool, findings):
    result = ScanToolResultFactory(scan=ScanFactory(project=project), tool=tool, target=target)
    return result, findings_ingest(
        project=project, findings=findings, tool=tool, tool_result=result, target=target
    )


def test_an_unchanged_rescan_only_stamps_the_last_sighting_in_place(setting):
    project, target, tool = setting
    _ingest(project, target, tool, _findings())
    before = {f.pk: f for f in Finding.objects.filter(project=project)}
    _flush_stats()
    updated0, hot0, toast0 = _counters()

    second, outcome = _ingest(project, target, tool, _findings())

    _flush_stats()
    updated, hot, toast = _counters()
    assert outcome.created == 0 and outcome.existing == COUNT
    assert updated - updated0 == COUNT  # one in-place stamp per finding, nothing else
    assert hot - hot0 == COUNT  # all HOT: no index was written
    assert toast == toast0  # the long descriptions were not stored again
    for finding in Finding.objects.filter(project=project):
        assert finding.last_seen_scan_id == second.scan_id
        assert finding.last_seen_at > before[finding.pk].last_seen_at
        assert finding.updated_at == before[finding.pk].updated_at  # its content is as it was


def test_a_changed_finding_is_still_rewritten(setting):
    project, target, tool = setting
    _ingest(project, target, tool, _findings())
    changed = {3, 77}

    second, outcome = _ingest(project, target, tool, _findings(changed))

    assert outcome.created == 0
    titles = dict(Finding.objects.filter(project=project).values_list("line_start", "title"))
    assert titles[4] == "Dangerous call 3 (new wording)"
    assert titles[78] == "Dangerous call 77 (new wording)"
    assert titles[5] == "Dangerous call 4"
    assert set(Finding.objects.values_list("last_seen_scan_id", flat=True)) == {second.scan_id}
