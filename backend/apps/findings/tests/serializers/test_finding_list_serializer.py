"""The list's serializer writes its rows out by hand for speed: it must give exactly what
DRF's field-by-field serialization of the same declared fields gives, for every kind of
value (nulls, empty strings, dates, a timezone, tags, missing relations)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from apps.common.testing.factories import (
    FindingFactory,
    ProjectFactory,
    TargetAssetFactory,
    ToolDefinitionFactory,
    UserFactory,
)
from apps.findings.models import Confidence, Finding, FindingStatus, Severity
from apps.findings.selectors import finding_list_columns
from apps.findings.serializers import FindingFieldsSerializer, FindingListSerializer

pytestmark = pytest.mark.django_db


@pytest.fixture
def findings():
    project = ProjectFactory(name="Shop")
    now = timezone.now()
    FindingFactory(
        project=project,
        tool=ToolDefinitionFactory(slug="semgrep", name="Semgrep"),
        target=TargetAssetFactory(project=project, name="web"),
        assignee=UserFactory(first_name="Ada", last_name="Lovelace"),
        severity=Severity.CRITICAL,
        confidence=Confidence.HIGH,
        status=FindingStatus.CONFIRMED,
        rule_id="python.sqli",
        cwe=89,
        cve="CVE-2024-1",
        file_path="shop/db.py",
        line_start=10,
        line_end=12,
        url="https://shop.example/?q=1",
        parameter="q",
        package_name="openssl",
        package_version="3.0.1",
        image="shop:1",
        first_seen_at=now - timedelta(days=3, microseconds=7),
        last_seen_at=now.replace(microsecond=0),
        resolved_at=now,
        due_date=date(2030, 1, 31),
        tags=["pci", {"team": "payments"}],
        on_default_branch=False,
    )
    FindingFactory(project=project, tool=None, target=None, assignee=UserFactory(), tags=[])
    FindingFactory(project=project, first_seen_at=None, last_seen_at=None, cwe=None)
    return finding_list_columns(Finding.objects.order_by("id"))


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kathmandu"])
def test_the_list_rows_are_what_drf_makes_of_the_same_fields(findings, zone):
    with timezone.override(zone):
        written = FindingListSerializer(findings, many=True).data
        generic = [FindingFieldsSerializer(finding).data for finding in findings]
    assert [list(row) for row in written] == [list(row) for row in generic]
    assert written == generic
    assert list(written[0]) == FindingFieldsSerializer.Meta.fields
    assert written[0]["tags"] == ["pci", {"team": "payments"}]
    assert written[0]["assignee"]["full_name"] == "Ada Lovelace"
    assert written[1]["tool"] is None and written[1]["target"] is None
