"""A sample project for the report tests: findings of several tools, a hard-coded secret,
an accepted risk, a fixed and a reopened finding, a scan with a failed tool run."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from apps.common.testing.factories import (
    FindingFactory,
    ScanFactory,
    ScanToolResultFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
    occurrence_create,
)
from apps.dashboard.metric_rollups import metrics_rollups_rebuild
from apps.dashboard.rollups import rollups_maintained
from apps.findings.models import FindingEvent, FindingEventType, FindingStatus
from seculite_api.celery import app as celery_app

# Planted secret values: none may appear in a report.
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
PASSWORD = "hunter2-Sup3rS3cret-value"
ACCEPTED_UNTIL = date(2031, 3, 14)


@pytest.fixture
def eager() -> Iterator[None]:
    """Queued tasks run in-process, as the worker would run them."""
    conf = celery_app.conf
    before = (conf.task_always_eager, conf.task_eager_propagates)
    conf.task_always_eager = conf.task_eager_propagates = True
    yield
    conf.task_always_eager, conf.task_eager_propagates = before


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@dataclass
class Sample:
    project: Any
    owner: Any
    member: Any
    auditor: Any
    outsider: Any
    scan: Any
    findings: dict[str, Any]


@pytest.fixture
def sample(project_with_roles) -> Sample:
    roles = project_with_roles
    project = roles.project
    now = timezone.now()
    tools = {
        slug: ToolDefinitionFactory(slug=slug, name=name)
        for slug, name in (
            ("bandit", "Bandit"),
            ("semgrep", "Semgrep"),
            ("trivy", "Trivy"),
            ("gitleaks", "Gitleaks"),
            ("zap", "OWASP ZAP"),
        )
    }
    target = TargetAssetFactory(project=project, name="shop-app")
    scan = ScanFactory(project=project, status="completed", finished_at=now)
    results = {
        "bandit": ScanToolResultFactory(
            scan=scan, tool=tools["bandit"], target=target, status="completed", findings_count=1
        ),
        "zap": ScanToolResultFactory(
            scan=scan, tool=tools["zap"], target=target, status="failed", findings_count=0
        ),
    }
    seen = {"first_seen_at": now - timedelta(days=3), "target": target}
    findings = {
        "sqli": FindingFactory(
            project=project, tool=tools["bandit"], severity="critical", rule_id="B608",
            title="SQL injection through string-built query", file_path="shop/orders.py",
            line_start=42, assignee=roles.member, due_date=date(2030, 1, 2),
            first_seen_scan=scan, **seen,
        ),
        "xss": FindingFactory(
            project=project, tool=tools["semgrep"], severity="high",
            rule_id="python.django.security.xss", title="Reflected XSS in search view",
            file_path="shop/search.py", line_start=7, **seen,
        ),
        "package": FindingFactory(
            project=project, tool=tools["trivy"], severity="medium", rule_id="CVE-2024-1234",
            title="django: denial of service in multipart parser", file_path="",
            line_start=None, package_name="django", package_version="4.2.1", cve="CVE-2024-1234",
            **seen,
        ),
        "secret": FindingFactory(
            project=project, tool=tools["gitleaks"], severity="high", rule_id="aws-access-token",
            title=f"AWS access key {AWS_KEY} committed", file_path="deploy/settings.py",
            line_start=3, snippet=f'AWS_SECRET = "{PASSWORD}"', description=f"value {PASSWORD}",
            evidence={"match": PASSWORD}, cwe=798, **seen,
        ),
        "accepted": FindingFactory(
            project=project, tool=tools["semgrep"], severity="low", rule_id="weak-hash",
            title="MD5 used for cache keys", status=FindingStatus.ACCEPTED_RISK,
            status_reason="Cache keys only; no security boundary", accepted_until=ACCEPTED_UNTIL,
            **seen,
        ),
        "fixed": FindingFactory(
            project=project, tool=tools["bandit"], severity="high", rule_id="B105",
            title="Debug mode enabled in production settings", status=FindingStatus.RESOLVED,
            resolved_at=now - timedelta(hours=2), resolved_in_scan=scan, **seen,
        ),
        "reopened": FindingFactory(
            project=project, tool=tools["trivy"], severity="high", rule_id="CVE-2023-9999",
            title="openssl: buffer overread", status=FindingStatus.REOPENED, file_path="",
            line_start=None, package_name="openssl", package_version="3.0.1", **seen,
        ),
    }  # fmt: skip
    FindingEvent.objects.create(
        finding=findings["accepted"],
        actor=roles.owner,
        event_type=FindingEventType.STATUS_CHANGED,
        from_value=FindingStatus.NEW,
        to_value=FindingStatus.ACCEPTED_RISK,
        comment="Cache keys only; no security boundary",
    )
    FindingEvent.objects.create(
        finding=findings["reopened"],
        event_type=FindingEventType.REOPENED,
        from_value=FindingStatus.AUTO_RESOLVED,
        to_value=FindingStatus.REOPENED,
        scan=scan,
    )
    occurrence_create(finding=findings["sqli"], tool_result=results["bandit"])
    # Factories write findings directly: the recompute that ingest and triage queue never
    # ran, so the metrics' rollups (the report's charts) are rebuilt here.
    if rollups_maintained():
        metrics_rollups_rebuild()
    return Sample(
        project=project,
        owner=roles.owner,
        member=roles.member,
        auditor=roles.auditor,
        outsider=roles.outsider,
        scan=scan,
        findings=findings,
    )


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def pdf_page_png(pdf: Path, out_stem: Path, dpi: int = 60) -> Path:
    """Page 1 of `pdf` as PNG, rendered by poppler's pdftoppm."""
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf),
         str(out_stem)],
        check=True, timeout=60, capture_output=True,
    )  # fmt: skip
    return out_stem.with_suffix(".png")
