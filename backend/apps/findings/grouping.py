"""Correlation: findings of different tools or rules that point at the same problem form one
issue group, kept as scans come and go.

Two findings of one project are the same problem when
- they lie on the same target, in the same file, on overlapping lines, and their CWEs are the
  same or related (RELATED_CWES: one family of weaknesses, e.g. SQL injection 89/564/943);
- or they lie on the same target, in the same file and start on the same line, and one of
  them has no specific CWE (none, or a class as vague as CWE-20 "improper input validation"):
  what a tool reports there without naming the weakness is one thing to fix at that place
  (one Dockerfile instruction, one Kubernetes resource, one shell line). Two findings there
  with specific, unrelated CWEs stay apart;
- or they are at the same URL and parameter with the same or related CWE (web scanners);
- or they hold the same secret value, wherever it is in the project: compared by a keyed
  hash (HMAC with the server's key; apps.findings.secrets computes it while it still sees the
  value, and only the hash is kept, in `IssueGroupMember.key`);
- or they are about the same package and advisory (a CVE, or a GHSA id when no CVE alias is
  known), from the CVE field, the references and the evidence.
The relation is closed transitively: a group is a connected set of findings.

Groups are computed at ingest for the findings the ingest created or changed (an unchanged
re-import changes no `updated_at`, so it does no group work), and recounted whenever a member's
status changes (triage, auto-resolve, reopen). A finding whose location changes leaves its
group and joins the one where it now is; groups never split by themselves otherwise.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from apps.findings.models import (
    OPEN_STATUSES,
    Finding,
    FindingStatus,
    IssueGroup,
    IssueGroupMember,
    Severity,
)
from apps.findings.secrets import SecretMasker

# Families of CWEs that name one weakness at different levels of detail. A CWE in no family
# is related only to itself. Kept explicit on purpose: a wrong merge hides a problem.
RELATED_CWES: tuple[frozenset[int], ...] = (
    frozenset({89, 564, 943}),  # SQL / ORM / NoSQL query injection
    # Running attacker input: OS command, argument and code injection (eval). Bandit files
    # eval() under CWE-78, Semgrep and ESLint under CWE-95: one problem on one line.
    frozenset({77, 78, 88, 94, 95, 96}),
    frozenset({79, 80, 83, 87}),  # cross-site scripting
    frozenset({22, 23, 36, 73}),  # path traversal
    frozenset({259, 260, 321, 798}),  # hard-coded credentials and keys
    frozenset({295, 297, 599}),  # certificate validation
    frozenset({326, 327, 328, 916}),  # weak cryptography and hashes
    frozenset({377, 379}),  # insecure temporary files
    frozenset({250, 269, 732}),  # running with too much privilege
    frozenset({494, 829}),  # code fetched without an integrity check
    frozenset({611, 776}),  # XML external entities
    # Regular expressions built from input (ReDoS): ESLint says CWE-1333, njsscan CWE-400.
    frozenset({400, 407, 1333}),
)
_FAMILY: dict[int, int] = {cwe: min(family) for family in RELATED_CWES for cwe in family}
# Classes and pillars too vague to tell two problems apart: treated as no CWE.
VAGUE_CWES = frozenset({20, 284, 664, 691, 693, 707, 710})

_ADVISORY = re.compile(r"\b(CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3})\b", re.IGNORECASE)
# Changed findings are grouped this many at a time.
CHUNK = 5_000
_LOCK_NAMESPACE = 0x5EC17E  # pg_advisory_xact_lock(namespace, project id)

_FIELDS = (
    "id", "tool_id", "target_id", "file_path", "line_start", "line_end", "url", "parameter",
    "cwe", "cve", "package_name", "references", "evidence", "rule_id",
)  # fmt: skip
# A finding's membership, read with it.
_GROUP, _KEY = "group_membership__group_id", "group_membership__key"


def cwe_family(cwe: int | None) -> int | None:
    """The family a CWE belongs to (its smallest member), None when it says too little."""
    if cwe is None or cwe in VAGUE_CWES:
        return None
    return _FAMILY.get(cwe, cwe)


@dataclass
class _Member:
    id: int
    target_id: int | None
    bucket: str
    start: int | None
    end: int | None
    family: int | None
    group_id: int | None
    key: str


def advisory_key(row: Mapping[str, Any]) -> str:
    """ "a:<package>:<advisory>" for a dependency finding, "" otherwise. The advisory is the
    smallest CVE id among the finding's aliases, or its smallest GHSA id when it has no CVE,
    so two tools that name one advisory by different aliases meet."""
    package = str(row.get("package_name") or "").strip().lower()
    if not package:
        return ""
    text = " ".join(
        [str(row.get("cve") or ""), *map(str, row.get("references") or [])]
        + [str(v) for v in (row.get("evidence") or {}).values() if isinstance(v, (str, list))]
    )
    ids = {m.group(1).upper() for m in _ADVISORY.finditer(text)}
    if not ids:
        cve = str(row.get("cve") or "").strip().upper()
        if not cve:
            return ""
        ids = {cve}
    cves = sorted(i for i in ids if i.startswith("CVE-"))
    advisory = cves[0] if cves else sorted(ids)[0]
    return f"a:{package}:{advisory}"[:100]


def _member(row: Mapping[str, Any], key: str) -> _Member:
    if row["file_path"]:
        bucket, start = f"f:{row['file_path']}", row["line_start"]
    elif row["url"]:
        bucket, start = f"u:{row['url']}|{row['parameter']}", None
    else:
        bucket, start = "", None
    end = row["line_end"] if row["line_end"] and start and row["line_end"] >= start else start
    return _Member(
        id=row["id"], target_id=row["target_id"], bucket=bucket, start=start, end=end,
        family=cwe_family(row["cwe"]), group_id=row[_GROUP], key=key,
    )  # fmt: skip


def related(a: _Member, b: _Member) -> bool:
    """Whether two findings of one bucket (target and file, or URL) are the same problem."""
    if a.start is None or b.start is None:  # a URL, or a file without lines
        return a.bucket.startswith("u:") and a.family is not None and a.family == b.family
    if a.family is None or b.family is None:
        return a.start == b.start
    assert a.end is not None and b.end is not None
    return a.family == b.family and a.start <= b.end and b.start <= a.end


class _Components:
    """Union-find over finding ids."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        self.parent.setdefault(item, item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _link_bucket(members: list[_Member], components: _Components) -> None:
    """Union the related findings of one bucket: a sweep over line ranges sorted by start,
    comparing each finding only with those whose range is still open."""
    with_lines = sorted((m for m in members if m.start is not None), key=lambda m: m.start or 0)
    active: list[_Member] = []
    for member in with_lines:
        assert member.start is not None
        active = [a for a in active if (a.end or 0) >= member.start]
        for other in active:
            if related(member, other):
                components.union(member.id, other.id)
        active.append(member)
    without = [m for m in members if m.start is None]
    for index, member in enumerate(without):
        for other in without[index + 1 :]:
            if related(member, other):
                components.union(member.id, other.id)


# A first import of thousands of findings groups them in a task of its own, after the
# ingest's transaction: about 1.4 s for 10,000 findings that the scan need not wait for (its
# groups appear a moment after it ends). Smaller ingests group before the scan ends.
DEFER_AFTER_CREATED = 2_000


def issue_groups_after_ingest(
    *,
    project: Any,
    tool: Any,
    target: Any,
    since: Any,
    masker: SecretMasker | None = None,
    created: int = 0,
) -> None:
    """Group the findings of `project` that an ingest of `tool` on `target` created or
    changed: their `updated_at` is at or after `since`, the ingest's clock (an unchanged
    sighting keeps it on PostgreSQL, so a re-import of unchanged findings groups nothing)."""
    secrets = masker.secret_hashes if masker is not None else {}
    scope = {
        "project_id": project.pk,
        "tool_id": tool.pk,
        "target_id": target.pk if target is not None else None,
    }
    if created < DEFER_AFTER_CREATED:
        issue_groups_group_ingested(**scope, since=since, secrets=secrets)
        return
    from apps.findings.tasks import issue_groups_group_ingested as task

    listed = [[*key, value] for key, value in secrets.items()]
    transaction.on_commit(lambda: task.delay(**scope, since=since.isoformat(), secrets=listed))


def issue_groups_group_ingested(
    *,
    project_id: int,
    tool_id: int,
    target_id: int | None,
    since: Any,
    secrets: Mapping[tuple[str, int | None, str], str],
) -> None:
    """Group the findings of one tool on one target changed at or after `since`."""
    changed = Finding.objects.filter(
        project_id=project_id, tool_id=tool_id, target_id=target_id, updated_at__gte=since
    ).values_list("pk", flat=True)
    ids = list(changed.order_by("pk"))
    if ids:
        issue_groups_assign(project_id=project_id, finding_ids=ids, secrets=secrets)


def _lock_project(project_id: int) -> None:
    """Serialise grouping per project: two tools ingesting at once would otherwise each miss
    the other's uncommitted findings and start two groups for one problem. Held to the end of
    the transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, project_id])


@transaction.atomic
def issue_groups_assign(
    *,
    project_id: int,
    finding_ids: list[int],
    secrets: Mapping[tuple[str, int | None, str], str] | None = None,
    keys: Mapping[int, str] | None = None,
) -> None:
    """Put each of `finding_ids` (new or changed findings of one project) in its issue group:
    the group of the findings it is related to (merging groups it bridges), or a new one.
    `secrets` maps (file, line, rule) of the ingest's secret findings to their keyed hash;
    `keys` gives keys known from before by finding id (a rebuild)."""
    _lock_project(project_id)
    for start in range(0, len(finding_ids), CHUNK):
        chunk = finding_ids[start : start + CHUNK]
        _assign_chunk(project_id, chunk, secrets or {}, keys or {})


def _assign_chunk(
    project_id: int,
    ids: list[int],
    secrets: Mapping[tuple[str, int | None, str], str],
    known: Mapping[int, str],
) -> None:
    rows = list(Finding.objects.filter(pk__in=ids).values(*_FIELDS, _GROUP, _KEY))
    keys: dict[int, str] = {}
    for row in rows:
        secret = secrets.get((row["file_path"], row["line_start"], row["rule_id"]))
        stored = row[_KEY] or known.get(row["id"], "")
        keys[row["id"]] = f"s:{secret}" if secret else advisory_key(row) or stored
    changed = {row["id"]: _member(row, keys[row["id"]]) for row in rows}
    members = dict(changed)
    files = {(m.target_id, m.bucket) for m in changed.values() if m.bucket}
    wanted_keys = {m.key for m in changed.values() if m.key}
    old_groups = {row[_GROUP] for row in rows if row[_GROUP]}
    candidates = Finding.objects.filter(project_id=project_id).exclude(pk__in=ids)
    for row in _candidate_rows(project_id, candidates, files, wanted_keys):
        members.setdefault(row["id"], _member(row, row[_KEY] or ""))
    components = _Components()
    buckets: dict[tuple[int | None, str], list[_Member]] = defaultdict(list)
    by_key: dict[str, list[int]] = defaultdict(list)
    for member in members.values():
        components.find(member.id)
        if member.bucket and (member.target_id, member.bucket) in files:
            buckets[(member.target_id, member.bucket)].append(member)
        if member.key:
            by_key[member.key].append(member.id)
    for bucket in buckets.values():
        _link_bucket(bucket, components)
    for same in by_key.values():
        for other in same[1:]:
            components.union(same[0], other)
    _write(project_id, members, changed, components, old_groups)


def _candidate_rows(
    project_id: int, candidates: Any, files: set[tuple[int | None, str]], keys: set[str]
) -> Iterable[Mapping[str, Any]]:
    """The project's other findings that may relate to the changed ones: those in the same
    files or at the same URLs, and those with the same secret or advisory key."""
    paths = {bucket[2:] for _, bucket in files if bucket.startswith("f:")}
    urls = {bucket[2:].split("|", 1)[0] for _, bucket in files if bucket.startswith("u:")}
    if paths:
        yield from candidates.filter(file_path__in=paths).values(*_FIELDS, _GROUP, _KEY)
    if urls:
        yield from candidates.filter(file_path="", url__in=urls).values(*_FIELDS, _GROUP, _KEY)
    if keys:
        holders = IssueGroupMember.objects.filter(project_id=project_id, key__in=keys)
        yield from candidates.filter(pk__in=holders.values("finding_id")).values(
            *_FIELDS, _GROUP, _KEY
        )


def _write(
    project_id: int,
    members: dict[int, _Member],
    changed: dict[int, _Member],
    components: _Components,
    old_groups: set[int],
) -> None:
    """Give each component one group: the oldest group its unchanged members are in (the
    others are merged into it), or a new one; then recount every group touched."""
    by_root: dict[int, list[_Member]] = defaultdict(list)
    for member in members.values():
        by_root[components.find(member.id)].append(member)
    assignments: dict[int, tuple[int, str]] = {}
    merges: dict[int, int] = {}
    needing_new: list[list[_Member]] = []
    for component in by_root.values():
        kept = sorted({m.group_id for m in component if m.id not in changed and m.group_id})
        if not kept and not any(m.id in changed for m in component):
            continue
        if not kept:
            needing_new.append(component)
            continue
        target = kept[0]
        for other in kept[1:]:
            merges[other] = target
        for member in component:
            if member.id in changed or member.group_id is None:
                assignments[member.id] = (target, member.key)
    created = _groups_create(project_id, len(needing_new))
    for group_id, component in zip(created, needing_new, strict=True):
        for member in component:
            if member.id in changed or member.group_id is None:
                assignments[member.id] = (group_id, member.key)
    touched = set(old_groups) | {group for group, _ in assignments.values()}
    for merged, into in merges.items():
        IssueGroupMember.objects.filter(group_id=merged).update(group_id=into)
        touched.add(into)
    _assign(project_id, assignments)
    issue_groups_recount(group_ids=sorted(touched | set(merges)))


def _groups_create(project_id: int, count: int) -> list[int]:
    """`count` empty groups (their summary is written by the recount); one statement on
    PostgreSQL, where bulk_create would compile every column of every row in Python (most
    of a 10,000-finding first import's grouping)."""
    if not count:
        return []
    if connection.vendor != "postgresql":
        created = IssueGroup.objects.bulk_create(
            [IssueGroup(project_id=project_id) for _ in range(count)]
        )
        return [group.pk for group in created]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO findings_issuegroup (project_id, created_at, updated_at, severity, "
            "severity_rank, status, is_open, member_count, open_count, tools, title, "
            "file_path, package_name, url) SELECT %s, now(), now(), %s, 0, %s, TRUE, 0, 0, "
            "'[]'::jsonb, '', '', '', '' FROM generate_series(1, %s) RETURNING id",
            [project_id, Severity.UNKNOWN, FindingStatus.NEW, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _assign(project_id: int, assignments: dict[int, tuple[int, str]]) -> None:
    """Write the group and key of each finding's membership (one statement on PostgreSQL);
    a membership already as it should be is left untouched."""
    if not assignments:
        return
    if connection.vendor == "postgresql":
        ids = list(assignments)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO findings_issuegroupmember (finding_id, group_id, project_id, key) "
                "SELECT v.id, v.g, %s, v.k "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS v(id, g, k) "
                "ON CONFLICT (finding_id) DO UPDATE SET group_id = EXCLUDED.group_id, "
                "key = EXCLUDED.key WHERE (findings_issuegroupmember.group_id, "
                "findings_issuegroupmember.key) IS DISTINCT FROM (EXCLUDED.group_id, EXCLUDED.key)",
                [
                    project_id,
                    ids,
                    [assignments[i][0] for i in ids],
                    [assignments[i][1] for i in ids],
                ],
            )
        return
    IssueGroupMember.objects.bulk_create(
        [
            IssueGroupMember(finding_id=pk, group_id=group_id, project_id=project_id, key=key)
            for pk, (group_id, key) in assignments.items()
        ],
        update_conflicts=True,
        unique_fields=["finding"],
        update_fields=["group", "key"],
        batch_size=500,
    )


def issue_groups_for_findings(finding_ids: Iterable[int]) -> list[int]:
    """The groups of the given findings."""
    return list(
        IssueGroupMember.objects.filter(finding_id__in=list(finding_ids))
        .values_list("group_id", flat=True)
        .distinct()
    )


def issue_groups_recount_resolved(*, scan: Any) -> None:
    """Recount the groups of the findings `scan` auto-resolved (their open count and
    severity change)."""
    groups = (
        IssueGroupMember.objects.filter(finding__resolved_in_scan=scan)
        .values_list("group_id", flat=True)
        .distinct()
    )
    issue_groups_recount(group_ids=list(groups))


# Recomputes each group's summary from its members in one statement; deletes empty groups.
_RECOUNT = """
WITH m AS (
    SELECT gm.group_id, f.id, f.status, f.severity, f.severity_rank, f.title, f.file_path,
           f.line_start, f.cwe, f.package_name, f.url, f.last_seen_at, t.slug,
           f.status = ANY(%(open)s) AS open
    FROM findings_issuegroupmember gm JOIN findings_finding f ON f.id = gm.finding_id
    LEFT JOIN tools_tooldefinition t ON t.id = f.tool_id
    WHERE gm.group_id = ANY(%(ids)s)
), agg AS (
    SELECT group_id, count(*) AS n, count(*) FILTER (WHERE open) AS n_open,
           CASE WHEN count(DISTINCT status) = 1 THEN min(status) ELSE 'mixed' END AS status,
           coalesce(jsonb_agg(DISTINCT slug) FILTER (WHERE slug IS NOT NULL), '[]'::jsonb)
               AS tools,
           max(last_seen_at) AS last_seen_at
    FROM m GROUP BY group_id
), rep AS (
    SELECT DISTINCT ON (group_id) * FROM m ORDER BY group_id, open DESC, severity_rank DESC, id
)
UPDATE findings_issuegroup g SET
    member_count = agg.n, open_count = agg.n_open, is_open = agg.n_open > 0,
    status = agg.status, tools = agg.tools, last_seen_at = agg.last_seen_at,
    severity = rep.severity, severity_rank = rep.severity_rank, representative_id = rep.id,
    title = rep.title, file_path = rep.file_path, line_start = rep.line_start, cwe = rep.cwe,
    package_name = rep.package_name, url = rep.url, updated_at = now()
FROM agg JOIN rep USING (group_id)
WHERE g.id = agg.group_id
"""
_DELETE_EMPTY = (
    "DELETE FROM findings_issuegroup g WHERE g.id = ANY(%s) AND NOT EXISTS "
    "(SELECT 1 FROM findings_issuegroupmember m WHERE m.group_id = g.id)"
)


def issue_groups_recount(*, group_ids: Iterable[int]) -> None:
    """Recompute the summary of each group (severity and open count from its open members,
    status, tools, representative) and delete those left without members."""
    ids = sorted(set(group_ids))
    if not ids:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_RECOUNT, {"ids": ids, "open": [str(s) for s in OPEN_STATUSES]})
            cursor.execute(_DELETE_EMPTY, [ids])
        return
    _recount_orm(ids, {str(s) for s in OPEN_STATUSES})


def _recount_orm(ids: list[int], open_statuses: set[str]) -> None:
    """The recount through the ORM, for databases other than PostgreSQL."""
    members: dict[int, list[Any]] = defaultdict(list)
    memberships = IssueGroupMember.objects.filter(group_id__in=ids).select_related("finding__tool")
    for membership in memberships.order_by("finding_id"):
        members[membership.group_id].append(membership.finding)
    IssueGroup.objects.filter(pk__in=[i for i in ids if i not in members]).delete()
    groups = list(IssueGroup.objects.filter(pk__in=list(members)))
    for group in groups:
        found = members[group.pk]
        open_ones = [f for f in found if f.status in open_statuses]
        rep = sorted(open_ones or found, key=lambda f: (-f.severity_rank, f.pk))[0]
        statuses = {f.status for f in found}
        group.member_count, group.open_count = len(found), len(open_ones)
        group.is_open = bool(open_ones)
        group.status = statuses.pop() if len(statuses) == 1 else "mixed"
        group.tools = sorted({f.tool.slug for f in found if f.tool is not None})
        group.last_seen_at = max((f.last_seen_at for f in found if f.last_seen_at), default=None)
        group.severity, group.severity_rank, group.representative_id = (
            rep.severity, rep.severity_rank, rep.pk,
        )  # fmt: skip
        group.title, group.file_path, group.line_start = rep.title, rep.file_path, rep.line_start
        group.cwe, group.package_name, group.url = rep.cwe, rep.package_name, rep.url
    IssueGroup.objects.bulk_update(
        groups,
        [
            "member_count", "open_count", "is_open", "status", "tools", "last_seen_at",
            "severity", "severity_rank", "representative", "title", "file_path", "line_start",
            "cwe", "package_name", "url", "updated_at",
        ],
    )  # fmt: skip


def issue_groups_rebuild(*, project_id: int) -> int:
    """Group every finding of a project from scratch (the data migration and the
    `issue_groups_rebuild` command), keeping the secret and advisory keys already known.
    Findings ingested before grouping existed have no secret key, so their secrets group by
    location only. Returns the number of groups."""
    with transaction.atomic():
        _lock_project(project_id)
        known = dict(
            IssueGroupMember.objects.filter(project_id=project_id).values_list("finding_id", "key")
        )
        IssueGroup.objects.filter(project_id=project_id).delete()
        ids = list(
            Finding.objects.filter(project_id=project_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        issue_groups_assign(project_id=project_id, finding_ids=ids, keys=known)
    return IssueGroup.objects.filter(project_id=project_id).count()
