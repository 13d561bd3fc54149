"""The embedded default end to end: SQLite and the filesystem broker, a real worker running
several tools at once, no server at all (what `scripts/up.sh` starts)."""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings
from django.db import connection

from apps.common.testing.factories import ProjectFactory, TargetAssetFactory
from apps.scans.models import Scan, ScanStatus, ToolResultStatus
from apps.scans.services.scans import scan_start
from apps.scans.tests.e2e.conftest import WorkerHandle, wait_for
from apps.scans.tests.e2e.test_scan_e2e import TESTDATA, make_configuration, require_tools

pytestmark = [
    pytest.mark.smoke,
    pytest.mark.skipif(
        "sqlite" not in settings.DATABASES["default"]["ENGINE"],
        reason="the embedded default runs on SQLite",
    ),
]
TOOLS = ("bandit", "shellcheck", "detect-secrets", "hadolint", "njsscan", "checkov", "semgrep")


def test_a_worker_on_sqlite_runs_tools_in_parallel(transactional_db, tmp_path, synced_tools):
    require_tools(*TOOLS)
    tree = tmp_path / "vulnerable-project"
    shutil.copytree(TESTDATA / "vulnerable-project", tree)
    project = ProjectFactory()
    target = TargetAssetFactory(project=project, asset_type="codebase_path", identifier=str(tree))
    configuration = make_configuration(project, target, TOOLS)
    inherited = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    handle = WorkerHandle(
        env={
            **inherited,  # no broker URL: the filesystem broker under SECULITE_VAR_DIR
            "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
            "SECULITE_ALLOWED_PATHS": str(tmp_path),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "PYTHONUNBUFFERED": "1",
        },
        log_dir=tmp_path,
    )
    try:
        handle.start_worker(concurrency=4)
        scan = scan_start(configuration=configuration)

        def finished() -> bool:
            scan.refresh_from_db()
            return scan.status in (ScanStatus.COMPLETED, ScanStatus.FAILED) and bool(scan.summary)

        wait_for(finished, timeout=240, what="the scan on SQLite", handle=handle)
    finally:
        for process in handle.processes:
            handle.kill(process)
    results = {r.tool.slug: (r.status, r.error_message) for r in scan.tool_results.all()}
    ok = (ToolResultStatus.COMPLETED, ToolResultStatus.NO_FINDINGS)
    assert all(status in ok for status, _ in results.values()), results
    assert Scan.objects.get(pk=scan.pk).status == ScanStatus.COMPLETED
    assert scan.summary["total"] > 0
