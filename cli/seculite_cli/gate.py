"""The merge gate: which scan to judge, its comparison with a base ref, and the verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seculite_cli.client import Api, CliError
from seculite_cli.scans import COMPARABLE_STATUSES, FINAL_STATUSES

# Worse is higher; `unknown` ranks below informational, as on the server.
SEVERITY_RANK: dict[str, int] = {
    "critical": 5,
    "high": 4,
    "medium": 3,
    "low": 2,
    "informational": 1,
    "unknown": 0,
}
FAIL_ON_CHOICES = ("critical", "high", "medium", "low", "informational", "none")
# The most new findings one comparison lists (the server's cap).
COMPARE_LIMIT = 1000


def severity_rank(finding: dict[str, Any]) -> int:
    return SEVERITY_RANK.get(str(finding.get("severity", "unknown")), 0)


def failing_findings(new: list[dict[str, Any]], fail_on: str) -> list[dict[str, Any]]:
    """The new findings at or above `fail_on` (none for `none`)."""
    if fail_on == "none":
        return []
    threshold = SEVERITY_RANK[fail_on]
    return [finding for finding in new if severity_rank(finding) >= threshold]


def scan_of_ref(api: Api, project: dict[str, Any], ref: str) -> dict[str, Any]:
    """The project's latest scan of `ref` (newest first, whatever its state).

    Asks the server to filter with `?ref=`, and checks each row's `ref` itself too, so a
    server without that filter still gives the right scan (after reading more pages)."""
    for scan in api.pages(
        f"/projects/{project['id']}/scans/", {"ref": ref, "ordering": "-created_at"}
    ):
        if scan.get("ref") == ref:
            return scan
    raise CliError(
        f"no scan of ref {ref!r} in project {project.get('name', project['id'])!r}: "
        "run `seculite import` or `seculite scan` for it first"
    )


def scan_check_judgeable(scan: dict[str, Any]) -> None:
    """A gate judges only a scan that ended completed (with or without errors)."""
    status = scan.get("status")
    if status in FINAL_STATUSES and status not in COMPARABLE_STATUSES:
        reason = f": {scan['error_message']}" if scan.get("error_message") else ""
        raise CliError(
            f"scan {scan.get('id')} ended {status}{reason}; the gate cannot judge it "
            "(fix the scan or import, then run the gate again)"
        )


def compare_get(api: Api, scan_id: int, base: str | None) -> dict[str, Any]:
    """GET /scans/{id}/compare/?base=…: new, fixed and unchanged findings against `base`
    (without it, each target's default branch)."""
    params: dict[str, Any] = {"limit": COMPARE_LIMIT}
    if base:
        params["base"] = base
    body = api.get(f"/scans/{scan_id}/compare/", params)
    if not isinstance(body, dict) or not isinstance(body.get("new"), list):
        raise CliError(f"unexpected answer to the comparison of scan {scan_id}: no `new` list")
    return body


@dataclass(frozen=True)
class Verdict:
    """The comparison and what the gate makes of it."""

    compare: dict[str, Any]
    fail_on: str
    failing: list[dict[str, Any]]

    @property
    def new(self) -> list[dict[str, Any]]:
        return list(self.compare.get("new") or [])

    @property
    def failed(self) -> bool:
        return bool(self.failing)

    def count(self, name: str) -> int:
        counts = self.compare.get("counts") or {}
        value = counts.get(name) if isinstance(counts, dict) else None
        if isinstance(value, int):
            return value
        return len(self.compare.get(name) or [])


def verdict_make(compare: dict[str, Any], fail_on: str) -> Verdict:
    new = sorted(compare.get("new") or [], key=lambda f: (-severity_rank(f), f.get("id") or 0))
    compare = {**compare, "new": new}
    return Verdict(compare=compare, fail_on=fail_on, failing=failing_findings(new, fail_on))
