"""Masking secrets stored before SecuLite masked them: existing findings and raw outputs."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.db import transaction

from apps.findings.models import Finding
from apps.findings.secrets import SecretMasker, redact_file
from apps.findings.sightings import results_seeing
from apps.scans.models import ScanToolResult
from apps.tools.adapters.base import SEVERITIES, NormalizedFinding

_FIELDS = ("title", "description", "snippet", "evidence")


@dataclass
class BackfillResult:
    findings: int = 0
    raw_outputs: int = 0


def _as_normalized(finding: Finding) -> NormalizedFinding:
    return NormalizedFinding(
        title=finding.title,
        severity=finding.severity if finding.severity in SEVERITIES else "unknown",
        rule_id=finding.rule_id,
        description=finding.description,
        cwe=finding.cwe,
        file_path=finding.file_path,
        snippet=finding.snippet,
        evidence=finding.evidence if isinstance(finding.evidence, dict) else {},
    )


def secrets_backfill(*, batch_size: int = 500) -> BackfillResult:
    """Mask every stored secret finding's text, then rewrite the values out of the raw
    outputs of the tool results that reported them (key blocks and token shapes out of
    every raw output). Idempotent."""
    result = BackfillResult()
    values_by_result: dict[int, set[str]] = {}
    findings = Finding.objects.select_related("tool").order_by("pk")
    for finding in findings.iterator(chunk_size=batch_size):
        masker = SecretMasker(finding.tool.slug if finding.tool else "")
        masked = masker(_as_normalized(finding))
        if not masker.values:
            continue
        changed = [name for name in _FIELDS if getattr(masked, name) != getattr(finding, name)]
        if changed:
            for name in changed:
                setattr(finding, name, getattr(masked, name))
            finding.save(update_fields=[*changed, "updated_at"])
            result.findings += 1
        for result_id in results_seeing(finding.pk).values_list("pk", flat=True):
            values_by_result.setdefault(result_id, set()).update(masker.values)
    for tool_result in ScanToolResult.objects.exclude(raw_output="").exclude(raw_output=None):
        if _rewrite_raw_output(tool_result, values_by_result.get(tool_result.pk, set())):
            result.raw_outputs += 1
    return result


def _rewrite_raw_output(tool_result: ScanToolResult, values: set[str]) -> bool:
    with tempfile.TemporaryDirectory(prefix="seculite-backfill-") as tmp:
        original, masked = Path(tmp) / "original", Path(tmp) / "masked"
        try:
            with tool_result.raw_output.open("rb") as stored, open(original, "wb") as copy:
                for chunk in iter(lambda: stored.read(1024 * 1024), b""):
                    copy.write(chunk)
        except FileNotFoundError:
            return False
        redact_file(original, masked, values)
        if masked.read_bytes() == original.read_bytes():
            return False
        name = Path(tool_result.raw_output.name).name
        with transaction.atomic(), open(masked, "rb") as handle:
            tool_result.raw_output.delete(save=False)
            tool_result.raw_output.save(name, File(handle), save=False)
            tool_result.save(update_fields=["raw_output", "updated_at"])
    return True
