"""A report imported again unchanged is not read again.

CI pipelines upload the same report more than once (a re-run job, a retried step, several
jobs of one commit). When an upload has the same bytes as the last report its sighting stream
recorded (same project, tool and target, on the default branch), with the same import options
and the same code reading it, reading it again can only find what that result found: the
ranges ending at that result are extended to this one, resolved findings among them reopen,
and the result takes the last one's outcome (status, count, coverage, message) and its kept,
redacted copy of the report. Everything else (other bytes, another report in between, a
branch, a new release of the importer, a failed last import) takes the full read.

The digest is keyed (HMAC with a key derived from SECRET_KEY), so a stored digest says nothing
about a report's contents, secrets included, to whoever reads the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone

from apps.findings.lifecycle import REOPENABLE, findings_reopen
from apps.findings.models import Finding, FindingOccurrence, SightingStream
from apps.findings.sightings import Sighting, sighting_take, stream_ref_key
from apps.imports.checks import CHUNK_BYTES
from apps.scans.models import ScanToolResult, ToolResultStatus
from apps.scans.services.tool_results import tool_result_finish

# What reading a report depends on besides its bytes: the code that parses, masks,
# fingerprints and stores it. Any change to it (a release) makes every report new again.
_READING_CODE = ("apps/tools/adapters", "apps/findings", "apps/imports")
REPEATABLE = (ToolResultStatus.COMPLETED, ToolResultStatus.NO_FINDINGS, ToolResultStatus.PARTIAL)


def _code_version() -> str:
    backend = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for folder in _READING_CODE:
        for path in sorted((backend / folder).rglob("*.py")):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            digest.update(str(path.relative_to(backend)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


CODE_VERSION = _code_version()


def report_digest(*, result: ScanToolResult, path: Path) -> str:
    """Keyed digest of the stored report at `path` with the options and code that read it."""
    key = hashlib.sha256(b"seculite report digest\0" + settings.SECRET_KEY.encode()).digest()
    mac = hmac.new(key, digestmod=hashlib.sha256)
    target = result.target
    options = {
        "code": CODE_VERSION,
        "tool": result.tool.slug,
        "format": result.report_format,
        "import": result.scan.configuration_snapshot.get("import") or {},
        "target": [target.asset_type, target.identifier, target.metadata] if target else None,
    }
    mac.update(json.dumps(options, sort_keys=True, default=str).encode() + b"\0")
    with path.open("rb") as report:
        while chunk := report.read(CHUNK_BYTES):
            mac.update(chunk)
    return mac.hexdigest()


class _NotARepeat(Exception):
    """Another result took the stream's next number first: read the report after all."""


def report_repeat(*, result: ScanToolResult) -> bool:
    """Record `result` (whose `report_digest` is set) as a repeat of its stream's last result
    when that one read the same report; False, having changed nothing, when it did not."""
    scan = result.scan
    if stream_ref_key(scan) != "":
        return False
    stream = SightingStream.objects.filter(
        project_id=scan.project_id, tool_id=result.tool_id, target_id=result.target_id, ref_key=""
    ).first()
    if stream is None:
        return False
    previous = ScanToolResult.objects.filter(
        sighting_stream=stream, sighting_seq=stream.head_seq, report_digest=result.report_digest,
        status__in=REPEATABLE,
    ).first()  # fmt: skip
    if (
        previous is None
        or not previous.raw_output
        or not previous.raw_output.storage.exists(previous.raw_output.name)
    ):
        return False
    try:
        with transaction.atomic():
            _repeat(result=result, previous=previous)
    except _NotARepeat:
        return False
    return True


def _repeat(*, result: ScanToolResult, previous: ScanToolResult) -> None:
    sighting = sighting_take(tool_result=result, project_id=result.scan.project_id)
    if sighting.previous != previous.sighting_seq:
        raise _NotARepeat
    now, scan = timezone.now(), result.scan
    extend = _extend_sql if connection.vendor == "postgresql" else _extend_orm
    count, reopenable = extend(sighting=sighting, result=result, now=now)
    findings_reopen(ids=reopenable, scan=scan, now=now)
    _keep_previous_copy(result=result, previous=previous)
    result.config_digest = previous.config_digest
    tool_result_finish(
        result, previous.status, findings_count=count, coverage=previous.coverage,
        error_message=previous.error_message,
    )  # fmt: skip


# One statement on PostgreSQL: the ranges ending at the last result are extended, their
# findings stamped with this sighting, and the resolved ones among them returned.
_EXTEND = (
    "WITH ranges AS (UPDATE findings_findingoccurrence SET last_seq = %s, "
    "last_tool_result_id = %s, last_scan_id = %s, last_seen_at = %s "
    "WHERE stream_id = %s AND last_seq = %s RETURNING finding_id), "
    "stamped AS (UPDATE findings_finding f SET last_seen_scan_id = %s, last_seen_at = %s "
    "FROM ranges WHERE f.id = ranges.finding_id RETURNING f.id, f.status) "
    "SELECT count(*), coalesce(array_agg(id) FILTER (WHERE status = ANY(%s)), '{}') FROM stamped"
)


def _extend_sql(*, sighting: Sighting, result: ScanToolResult, now: Any) -> tuple[int, list[int]]:
    scan_id = result.scan_id
    with connection.cursor() as cursor:
        cursor.execute(
            _EXTEND,
            [sighting.seq, result.pk, scan_id, now, sighting.stream_id, sighting.previous,
             scan_id, now, list(REOPENABLE)],
        )  # fmt: skip
        count, reopenable = cursor.fetchone()
    return int(count), list(reopenable)


def _extend_orm(*, sighting: Sighting, result: ScanToolResult, now: Any) -> tuple[int, list[int]]:
    ranges = FindingOccurrence.objects.filter(
        stream_id=sighting.stream_id, last_seq=sighting.previous
    )
    seen = Finding.objects.filter(pk__in=ranges.values("finding_id"))
    count = seen.update(last_seen_scan_id=result.scan_id, last_seen_at=now)
    reopenable = list(seen.filter(status__in=REOPENABLE).values_list("pk", flat=True))
    ranges.update(
        last_seq=sighting.seq, last_tool_result_id=result.pk, last_scan_id=result.scan_id,
        last_seen_at=now,
    )  # fmt: skip
    return count, reopenable


def _keep_previous_copy(*, result: ScanToolResult, previous: ScanToolResult) -> None:
    """The last result's kept copy of the same report: already redacted of its secrets."""
    name = Path(result.raw_output.name).name
    with previous.raw_output.open("rb") as kept:
        result.raw_output.delete(save=False)
        result.raw_output.save(name, File(kept), save=False)
