"""`manage.py mask_stored_secrets`: secrets stored by earlier versions are masked in place."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from apps.common.testing.factories import (
    FindingFactory,
    ScanToolResultFactory,
    ToolDefinitionFactory,
    occurrence_create,
)
from apps.findings.models import Finding

pytestmark = pytest.mark.django_db

PASSWORD = "Sup3rS3cretPassw0rd!"


def test_old_findings_and_raw_outputs_are_masked_once(tmp_path, settings) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    bandit = ToolDefinitionFactory(slug="bandit")
    result = ScanToolResultFactory(tool=bandit)
    report = f'{{"results": [{{"issue_text": "Possible hardcoded password: \'{PASSWORD}\'"}}]}}'
    result.raw_output.save("old.out", ContentFile(report.encode()), save=True)
    secret = FindingFactory(
        project=result.scan.project,
        tool=bandit,
        rule_id="B105",
        cwe=259,
        title=f"Possible hardcoded password: '{PASSWORD}'",
        description=f"Possible hardcoded password: '{PASSWORD}'",
        snippet=f'password = "{PASSWORD}"',
    )
    other = FindingFactory(
        project=result.scan.project, tool=bandit, rule_id="B307", title="Use of eval 'x + 1'"
    )
    occurrence_create(finding=secret, tool_result=result)

    out = io.StringIO()
    call_command("mask_stored_secrets", stdout=out)
    assert out.getvalue().strip() == "1 findings and 1 raw outputs masked."

    secret.refresh_from_db()
    assert PASSWORD not in f"{secret.title} {secret.description} {secret.snippet}"
    assert secret.title == "Possible hardcoded password: 'Sup3********'"
    assert Finding.objects.get(pk=other.pk).title == "Use of eval 'x + 1'"
    result.refresh_from_db()
    with result.raw_output.open("rb") as stored:
        kept = stored.read().decode()
    assert PASSWORD not in kept and "'********'" in kept
    assert len(list((tmp_path / "media").rglob("*.out"))) == 1, "the clear copy is deleted"

    again = io.StringIO()
    call_command("mask_stored_secrets", stdout=again)
    assert again.getvalue().strip() == "0 findings and 0 raw outputs masked."
