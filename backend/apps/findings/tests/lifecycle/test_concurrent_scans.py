"""Two scans of one target and configuration at once, on PostgreSQL with real transactions:
the older scan finalises while the newer one is still writing what it saw."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connections, transaction

from apps.findings.ingest import findings_ingest
from apps.findings.models import FindingStatus
from apps.findings.tests.lifecycle.conftest import DIGEST_X, reported
from apps.scans.models import ScanToolResult

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="row locks between concurrent transactions are PostgreSQL's",
    ),
]


def test_an_older_scan_finalising_during_a_newer_ingest_leaves_its_findings_open(looks):
    looks.look("R1", "R2")
    older, newer = looks.scan(), looks.scan()
    looks.look("R1", scan=older)
    result = ScanToolResult.objects.create(
        scan=newer, tool=looks.tool, target=looks.target, status="completed",
        config_digest=DIGEST_X,
    )  # fmt: skip
    written, finalised, errors = threading.Event(), threading.Event(), []

    def newer_ingest() -> None:
        try:
            with transaction.atomic():
                findings_ingest(
                    project=looks.project, findings=reported("R1", "R2"), tool=looks.tool,
                    tool_result=result, target=looks.target,
                )  # fmt: skip
                written.set()
                finalised.wait(10)  # still uncommitted while the older scan finalises
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=newer_ingest)
    thread.start()
    assert written.wait(10)
    try:
        resolved = looks.finalise(older)
    finally:
        finalised.set()
        thread.join(15)
    assert not errors
    assert resolved == 0
    assert looks.statuses() == {"R1": FindingStatus.NEW, "R2": FindingStatus.NEW}
    assert looks.finalise(newer) == 0
