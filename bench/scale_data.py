"""bench/scale.py's data, made through the product's own services inside a Django process.

Synthetic findings (a deterministic mix of tools, rules, files, severities, CWEs and CVEs),
scans that ingest them and end like a real run (tool result finished, scan fanned in and
finalised: auto-resolve and summary), triage through the findings services, and the
database's size per table read by SQL on table names only, so the figures stay comparable
when the models change.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from apps.accounts.services import api_key_create
from apps.common.roles import ProjectRole
from apps.findings import grouping
from apps.findings.ingest import findings_ingest
from apps.findings.lifecycle import config_digest
from apps.findings.models import OPEN_STATUSES, Finding
from apps.findings.services import BULK_MAX_FINDINGS, findings_bulk_triage
from apps.projects.models import Project, ProjectMembership
from apps.projects.services import project_create
from apps.scans.models import Scan, ScanStatus, ScanToolResult, ScanTrigger, ToolResultStatus
from apps.scans.services.execution import scan_fan_in
from apps.scans.services.tool_results import tool_result_finish
from apps.targets.models import TargetAsset
from apps.tools.adapters.base import NormalizedFinding
from apps.tools.models import ToolDefinition
from apps.tools.sync import tools_sync

STAFF, MEMBER, OWNER = "bench-staff", "bench-member", "bench-owner"
ASSIGNEES = ("bench-dev1", "bench-dev2", "bench-dev3", "bench-dev4")
MEMBER_PROJECTS = 3
FILES_PER_PROJECT = 3000
# (tool slug, target kind, share of a project's findings, rules of that tool)
TOOL_MIX = (
    ("semgrep", "code", 0.40, 150),
    ("bandit", "code", 0.20, 60),
    ("eslint", "code", 0.10, 50),
    ("trivy_fs", "code", 0.15, 0),  # dependency findings: the rule is the advisory
    ("zap_baseline", "web", 0.15, 40),
)
# Cumulative percent of findings up to each severity: few critical, more medium and low.
SEVERITY_CUTS = ((2, "critical"), (15, "high"), (50, "medium"), (85, "low"), (100, "informational"))
CWES = (79, 89, 22, 78, 352, 798, 502, 611, 918, 327, 295, 400, 601, 94, 1321)
# Percent of a project's findings the second scan no longer reports (auto-resolved), then
# triage of the rest: resolved, false positive, accepted risk, confirmed; and assigned.
GONE_PERCENT = 27
TRIAGE_PERCENT = (("resolved", 6), ("false_positive", 3), ("accepted_risk", 2), ("confirmed", 8))
ASSIGNED_PERCENT = 40


def _mix(value: int) -> int:
    """A cheap, deterministic 32-bit scramble of `value` (Knuth's multiplicative hash)."""
    value = (value * 2654435761) & 0xFFFFFFFF
    return value ^ (value >> 15)


def _severity(rule: int) -> str:
    percent = _mix(rule * 31 + 7) % 100
    return next(name for cut, name in SEVERITY_CUTS if percent < cut)


def synthetic_finding(
    *, tool: str, kind: str, rules: int, project: int, identity: int, line_shift: int = 0
) -> NormalizedFinding:
    """Finding `identity` of `tool` in project number `project`; the same arguments give the
    same finding (and fingerprint), `line_shift` moves it without changing its identity."""
    h = _mix(identity * 7 + project)
    # Popular rules report most findings (u² skews towards the low rule numbers).
    u = (h % 10_000) / 10_000
    rule = int(max(rules, 1) * u * u)
    severity = _severity(rule + sum(map(ord, tool)))
    cwe = CWES[(rule + len(tool)) % len(CWES)]
    line = 1 + (h >> 8) % 900 + line_shift
    if tool == "trivy_fs":
        year, number = 2015 + h % 10, 1000 + (h >> 4) % 50_000
        cve = f"CVE-{year}-{number}"
        package = f"lib{identity % 2000}"
        return NormalizedFinding(
            title=f"{cve} in {package}",
            severity=severity,
            rule_id=cve,
            cve=cve,
            cwe=cwe,
            package_name=package,
            package_version=f"{identity // 2000 // 100}.{identity // 2000 % 100}.0",
            fixed_version=f"{identity // 2000 // 100}.{identity // 2000 % 100}.1",
            file_path=("requirements.txt", "package-lock.json", "go.sum")[h % 3],
            description=f"{package} is affected by {cve}: a crafted input can exhaust memory.",
        )
    if kind == "web":
        section = ("account", "search", "admin", "api", "shop")[h % 5]
        return NormalizedFinding(
            title=f"Web weakness {rule}: missing protection",
            severity=severity,
            rule_id=f"zap-{10000 + rule}",
            cwe=cwe,
            url=f"https://app{project}.example.com/{section}/page{identity}?id=1",
            http_method=("GET", "POST")[h % 2],
            parameter=f"q{identity % 13}",
            description=f"The response to this request lacks protection number {rule}. " * 3,
        )
    file_number = (h >> 12) % FILES_PER_PROJECT
    extension = {"bandit": "py", "eslint": "js"}.get(tool, ("py", "js", "go", "java")[h % 4])
    path = f"src/pkg{file_number % 40}/mod{file_number % 300}/handler{file_number}.{extension}"
    return NormalizedFinding(
        title=f"{tool} rule {rule}: dangerous call pattern",
        severity=severity,
        rule_id=f"{tool}.security.rule-{rule}",
        cwe=cwe,
        confidence=("high", "medium", "low")[h % 3],
        file_path=path,
        line_start=line,
        line_end=line + h % 3,
        snippet=f"result_{identity} = dangerous_call_{rule}(request.args['p{identity % 97}'])",
        description=f"Rule {rule} flags a call whose argument comes from the request. " * 3,
    )


@dataclass
class Group:
    """One tool on one target in a project, and the identities it reports in a scan."""

    tool: ToolDefinition
    target: TargetAsset
    kind: str
    rules: int
    project_number: int
    identities: Callable[[], Iterator[int]]
    line_shift: Callable[[int], int] = lambda identity: 0

    def findings(self) -> Iterator[NormalizedFinding]:
        for identity in self.identities():
            yield synthetic_finding(
                tool=self.tool.slug,
                kind=self.kind,
                rules=self.rules,
                project=self.project_number,
                identity=identity,
                line_shift=self.line_shift(identity),
            )


def scan_run_synthetic(*, project: Project, groups: list[Group]) -> Scan:
    """A scan of `groups`, ended like a real one: each result ingested in one transaction and
    finished, then the scan fanned in and finalised (auto-resolve, summary)."""
    now = timezone.now()
    scan = Scan.objects.create(
        project=project,
        trigger=ScanTrigger.API,
        status=ScanStatus.RUNNING,
        queued_at=now,
        started_at=now,
        current_step="bench",
        configuration_snapshot={"name": "bench"},
    )
    for group in groups:
        result = ScanToolResult.objects.create(
            scan=scan,
            tool=group.tool,
            target=group.target,
            status=ToolResultStatus.RUNNING,
            started_at=timezone.now(),
            config_digest=config_digest(tool=group.tool.slug, config={}, target=group.target),
        )
        with transaction.atomic():
            ingested = findings_ingest(
                project=project,
                findings=group.findings(),
                tool=group.tool,
                tool_result=result,
                target=group.target,
            )
        status = ToolResultStatus.COMPLETED if ingested.total else ToolResultStatus.NO_FINDINGS
        tool_result_finish(result, status, findings_count=ingested.total)
    scan_fan_in(scan_id=scan.pk, finalize_here=True)
    scan.refresh_from_db()
    return scan


def _user(username: str, **extra: Any) -> Any:
    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.com", **extra}
    )
    return user


def bench_users() -> dict[str, Any]:
    return {
        "staff": _user(STAFF, is_staff=True),
        "member": _user(MEMBER),
        "owner": _user(OWNER),
        "assignees": [_user(name) for name in ASSIGNEES],
    }


def project_with_targets(
    number: int, users: dict[str, Any], name: str
) -> tuple[Project, TargetAsset, TargetAsset]:
    project = project_create(user=users["owner"], name=name)
    members = list(users["assignees"]) + ([users["member"]] if number <= MEMBER_PROJECTS else [])
    ProjectMembership.objects.bulk_create(
        ProjectMembership(project=project, user=user, role=ProjectRole.MEMBER) for user in members
    )
    code = TargetAsset.objects.create(
        project=project,
        name=f"app{number}-code",
        asset_type="codebase_path",
        identifier=f"/srv/app{number}",
    )
    web = TargetAsset.objects.create(
        project=project,
        name=f"app{number}-web",
        asset_type="url",
        identifier=f"https://app{number}.example.com/",
    )
    return project, code, web


def fill(*, findings: int, projects: int, log: Callable[[str], None]) -> None:
    """`findings` findings in `projects` projects: two scans per project (the second no
    longer reports GONE_PERCENT of them, which its finalisation auto-resolves), their issue
    groups, then triage and assignment through the findings services."""
    # Group inside each ingest, as a small one does: no worker here takes the task a large
    # one hands its grouping to.
    grouping.DEFER_AFTER_CREATED = findings + 1
    tools_sync()
    tools = {tool.slug: tool for tool in ToolDefinition.objects.all()}
    users = bench_users()
    for number in range(1, projects + 1):
        started = time.perf_counter()
        count = findings // projects + (1 if number <= findings % projects else 0)
        project, code, web = project_with_targets(number, users, f"Bench project {number}")
        sizes = [int(count * share) for _, _, share, _ in TOOL_MIX]
        sizes[0] += count - sum(sizes)
        for keep_percent in (100, 100 - GONE_PERCENT):
            groups = [
                Group(
                    tool=tools[slug],
                    target=web if kind == "web" else code,
                    kind=kind,
                    rules=rules,
                    project_number=number,
                    identities=_identities(size, keep_percent),
                )
                for (slug, kind, _, rules), size in zip(TOOL_MIX, sizes, strict=True)
            ]
            scan_run_synthetic(project=project, groups=groups)
        _triage(project=project, users=users)
        log(
            f"  project {number}/{projects}: {count:,} findings in "
            f"{time.perf_counter() - started:.0f} s"
        )


def _identities(size: int, keep_percent: int) -> Callable[[], Iterator[int]]:
    return lambda: (i for i in range(size) if _mix(i + 13) % 100 < keep_percent)


def _triage(*, project: Project, users: dict[str, Any]) -> None:
    """Statuses and assignees by the staff user, through the bulk triage service, in chunks of
    the most it accepts at once."""
    open_ids = list(
        Finding.objects.filter(project=project, status__in=OPEN_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rng = random.Random(project.pk)  # noqa: S311 - test data, not security
    rng.shuffle(open_ids)
    start = 0
    for status, percent in TRIAGE_PERCENT:
        chosen = open_ids[start : start + len(open_ids) * percent // 100]
        start += len(chosen)
        reason = "Bench triage." if status in ("false_positive", "accepted_risk") else ""
        _bulk(chosen, user=users["staff"], status=status, reason=reason)
    # Confirmed (the last triage chunk) and untriaged findings are open; some get assignees.
    still_open = open_ids[start - len(chosen) :]
    assigned = still_open[: len(open_ids) * ASSIGNED_PERCENT // 100]
    assignees = list(users["assignees"])
    if ProjectMembership.objects.filter(project=project, user=users["member"]).exists():
        assignees.append(users["member"])
    for index, assignee in enumerate(assignees):
        _bulk(assigned[index :: len(assignees)], user=users["staff"], assignee_id=assignee.pk)


def _bulk(ids: list[int], *, user: Any, **change: Any) -> None:
    for start in range(0, len(ids), BULK_MAX_FINDINGS):
        chunk = ids[start : start + BULK_MAX_FINDINGS]
        findings_bulk_triage(findings=Finding.objects.filter(pk__in=chunk), user=user, **change)


def request_setup() -> dict[str, Any]:
    """Fresh API keys for the staff user and the member, and what the requests need: the
    member's first project, an existing file's base name and rule there."""
    users = bench_users()
    project = Project.objects.filter(memberships__user=users["member"]).order_by("pk").first()
    if project is None:
        raise SystemExit("The database holds no bench data: run the fill first.")
    findings = Finding.objects.filter(project=project)
    path = findings.exclude(line_start=None).order_by("pk").values_list("file_path", flat=True)[0]
    rule = (
        findings.values("rule_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("rule_id", flat=True)[5]
    )
    return {
        "staff": api_key_create(user=users["staff"], name="bench scale")[1],
        "member": api_key_create(user=users["member"], name="bench scale")[1],
        "project": project.pk,
        "project_findings": findings.count(),
        "file": path.rsplit("/", 1)[-1],
        "rule": rule,
        "total": Finding.objects.count(),
    }


def spread_timestamps(*, days: int = 365) -> None:
    """Spread first sightings over `days` (ingest stamps them all with the fill's time): SQL
    UPDATE of first/last seen, resolution and creation times, then VACUUM FULL and ANALYZE so
    the table is as compact as a grown one, and a plain VACUUM, which sets the visibility map
    as autovacuum would after such an update (VACUUM FULL leaves it empty; this development
    server runs with autovacuum off): without it no index-only scan is one."""
    day = f"interval '1 day' * ((id * 7919) % {int(days)})"
    first = f"now() - {day} - interval '1 second' * ((id * 104729) % 86400)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE findings_finding SET
              first_seen_at = {first},
              created_at = {first},
              last_seen_at = CASE WHEN status = 'auto_resolved'
                THEN ({first}) + (now() - ({first})) * ((id % 7) / 10.0)
                ELSE now() - interval '1 day' * (id % 3) END,
              resolved_at = CASE WHEN resolved_at IS NULL THEN NULL
                ELSE ({first}) + (now() - ({first})) * ((id % 7 + 1) / 10.0) END
            """  # noqa: S608 - no input, the expression is ours
        )
        cursor.execute("VACUUM FULL findings_finding")
        cursor.execute("VACUUM findings_finding")
        cursor.execute("ANALYZE")


def findings_count() -> int:
    return Finding.objects.count()


def table_sizes(
    prefixes: tuple[str, ...] = ("findings_", "scans_"),
) -> dict[str, tuple[int, int, int, int]]:
    """Rows (exact count), bytes (with indexes and TOAST), dead rows and autovacuum runs (the
    statistics' figures) of each table whose name starts with one of `prefixes`, read by
    name so a new history model is counted too."""
    sizes: dict[str, tuple[int, int, int, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_dead_tup, autovacuum_count FROM pg_stat_user_tables "
            "WHERE schemaname = 'public' ORDER BY relname"
        )
        tables = [row for row in cursor.fetchall() if row[0].startswith(prefixes)]
        for name, dead, autovacuums in tables:
            cursor.execute(
                f'SELECT count(*), pg_total_relation_size(%s) FROM "{name}"',  # noqa: S608
                [name],
            )
            rows, size = cursor.fetchone()
            sizes[name] = (int(rows), int(size), int(dead), int(autovacuums))
    return sizes


def database_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return int(cursor.fetchone()[0])
