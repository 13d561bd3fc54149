"""A report's document: the template filled in, as HTML or laid out as PDF by WeasyPrint,
written to its private file atomically (a temporary file, then a rename).

The HTML is self-contained (inline CSS and SVG, no URL, font or script to fetch), so the PDF
renderer is given no base URL and a URL fetcher that refuses everything: nothing in a finding
can make the worker fetch a resource.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from apps.reports.content import report_context
from apps.reports.models import Report, ReportFormat, ReportKind

REPORTS_DIR = "reports"
SEVERITY_ORDER = ("critical", "high", "medium", "low", "informational", "unknown")


class FetchRefused(Exception):
    """WeasyPrint asked for an external resource; reports have none."""


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise FetchRefused(url)


def _title(report: Report) -> str:
    if report.kind == ReportKind.SCAN and report.scan_id:
        return f"Scan report: {report.project.name}, scan #{report.scan_id}"
    return f"Security report: {report.project.name}"


def report_html(report: Report) -> str:
    """The report as one self-contained HTML document."""
    context = report_context(report)
    detail = context["findings"].detail
    context["findings_by_severity"] = [
        {"grouper": severity, "list": rows}
        for severity in SEVERITY_ORDER
        if (rows := [row for row in detail if row["severity"] == severity])
    ]
    changes = context["changes"]
    context["change_lists"] = [
        ("New findings", changes["new"]),
        ("Fixed", changes["fixed"]),
        ("Reopened", changes["reopened"]),
    ]
    context["title"] = _title(report)
    return render_to_string("reports/report.html", context)


def html_to_pdf(html: str) -> bytes:
    """The HTML laid out as PDF (A4, page numbers from the @page rules)."""
    from weasyprint import HTML  # imported here: loading Pango costs ~0.3 s per process

    return bytes(HTML(string=html, url_fetcher=_refuse_fetch).write_pdf())


def report_relative_path(report: Report) -> str:
    return f"{REPORTS_DIR}/{report.project_id}/report-{report.pk}.{report.format}"


def absolute_path(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative


def report_document(report: Report) -> bytes:
    html = report_html(report)
    if report.format == ReportFormat.PDF:
        return html_to_pdf(html)
    return html.encode("utf-8")


def write_atomically(relative: str, content: bytes) -> tuple[int, str]:
    """Write `content` at MEDIA_ROOT/`relative` (readable by the owner only); returns size
    and sha256. A reader never sees half a file."""
    target = absolute_path(relative)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".report-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o640)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(content), hashlib.sha256(content).hexdigest()
