"""Benchmark: a report of a 100,000-finding project, generated as the worker generates it.

Seeds (once; later runs reuse it) a project of N findings (default 100,000) in its own
database: five tools, 300 rules, 2,000 files, every severity, first sightings spread over a
year, 20 % fixed, 2 % accepted risks with an expiry and their acceptance event. Then, for each
format (pdf, html), a fresh process requests a report and runs `report_generate` (the body of
the Celery task `reports.generate`) in-process, and prints its seconds and the peak RSS
(VmHWM) of that process next to the goals: 60 s and 500 MB. Not part of the test suite.

    backend/.venv/bin/python bench/report.py            # 100,000 findings
    backend/.venv/bin/python bench/report.py 20000      # another size (a project per size)

Uses BENCH_REPORT_DATABASE_URL if set, else postgres://postgres@127.0.0.1:5432/
seculite_bench_report (created and migrated on first use; never the `postgres` database).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import peak_rss_mb
from ingest import BACKEND, ensure_database

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/seculite_bench_report"
GOAL_SECONDS, GOAL_MB = 60.0, 500.0
FORMATS = ("pdf", "html")
TOOLS = ("semgrep", "bandit", "trivy_fs", "zap_baseline", "gitleaks")
SEVERITIES = ("critical", "high", "medium", "low", "informational")
SEVERITY_WEIGHTS = (1, 6, 30, 45, 18)


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seculite_api.settings")
    sys.path.insert(0, str(BACKEND))
    import django

    django.setup()


def seed(count: int) -> int:
    """The bench project of `count` findings (made once), its id."""
    _setup()
    import random
    from datetime import UTC, datetime, timedelta

    from django.db import transaction

    from apps.findings.models import SEVERITY_RANK, Finding, FindingEvent
    from apps.projects.models import Project
    from apps.tools.models import ToolDefinition

    name = f"bench-report-{count}"
    existing = Project.objects.filter(name=name).first()
    if existing is not None and Finding.objects.filter(project=existing).count() == count:
        return existing.pk
    if existing is not None:
        existing.delete()
    from django.contrib.auth import get_user_model

    owner, _ = get_user_model().objects.get_or_create(username="bench-report-owner")
    project = Project.objects.create(name=name, owner_user=owner)
    tools = [
        ToolDefinition.objects.get_or_create(slug=slug, defaults={"name": slug.title()})[0]
        for slug in TOOLS
    ]
    rng = random.Random(14)  # noqa: S311 - reproducible test data, not a secret
    now = datetime.now(UTC)
    batch: list[Finding] = []
    started = time.perf_counter()
    with transaction.atomic():
        for i in range(count):
            severity = rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0]
            roll = rng.random()
            status = "resolved" if roll < 0.2 else "accepted_risk" if roll < 0.22 else "new"
            first_seen = now - timedelta(days=rng.randrange(365), seconds=rng.randrange(86400))
            tool = tools[i % len(tools)]
            batch.append(
                Finding(
                    project=project, tool=tool, fingerprint=f"{i:064x}",
                    title=f"Rule {i % 300} matched: user input reaches a sink ({i})",
                    severity=severity, severity_rank=SEVERITY_RANK[severity], status=status,
                    rule_id=f"{tool.slug}.rule-{i % 300}", file_path=f"src/module{i % 2000}.py",
                    line_start=1 + i % 500, first_seen_at=first_seen, last_seen_at=now,
                    resolved_at=now - timedelta(days=rng.randrange(30))
                    if status == "resolved" else None,
                    accepted_until=(now + timedelta(days=rng.randrange(1, 200))).date()
                    if status == "accepted_risk" else None,
                    status_reason="Mitigated by the WAF" if status == "accepted_risk" else "",
                    cwe=79 + i % 20,
                )
            )  # fmt: skip
            if len(batch) == 5000:
                Finding.objects.bulk_create(batch)
                batch = []
        Finding.objects.bulk_create(batch)
        accepted = Finding.objects.filter(project=project, status="accepted_risk")
        FindingEvent.objects.bulk_create(
            FindingEvent(finding_id=pk, event_type="status_changed", from_value="new",
                         to_value="accepted_risk", comment="Mitigated by the WAF")
            for pk in accepted.values_list("id", flat=True)
        )  # fmt: skip
    print(f"seeded {count} findings in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return project.pk


def generate(project_id: int, fmt: str) -> dict[str, float]:
    """Runs in a fresh process: request a report and generate it as the worker does."""
    _setup()
    from apps.projects.models import Project
    from apps.reports.models import Report
    from apps.reports.services import report_generate

    project = Project.objects.get(pk=project_id)
    # Created directly: report_request would enqueue the task, and here this process is the
    # worker.
    from apps.reports.services import report_period

    start, end = report_period(start=None, end=None)
    report = Report.objects.create(project=project, format=fmt, period_start=start, period_end=end)
    rss_before = peak_rss_mb(os.getpid())
    cpu_before = time.process_time()
    started = time.perf_counter()
    done = report_generate(report_id=report.pk)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_before
    assert done is not None and done.status == "ready", done and done.error
    return {
        "seconds": round(seconds, 2),
        # This process's CPU time: on a shared, loaded machine the wall time also counts the
        # waits for a core (and for PostgreSQL).
        "cpu_seconds": round(cpu_seconds, 2),
        "peak_rss_mb": round(peak_rss_mb(os.getpid()), 1),
        "rss_before_mb": round(rss_before, 1),
        "size_kb": round((done.size or 0) / 1024, 1),
    }


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == "--child-seed":
        print(json.dumps({"project_id": seed(int(sys.argv[2]))}))
        return
    if len(sys.argv) >= 2 and sys.argv[1] == "--child-generate":
        print(json.dumps(generate(int(sys.argv[2]), sys.argv[3])))
        return
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    url = os.environ.get("BENCH_REPORT_DATABASE_URL", DEFAULT_DB)
    if url.rsplit("/", 1)[1] == "postgres":
        sys.exit("refusing to use the postgres database itself")
    ensure_database(url)
    with tempfile.TemporaryDirectory(prefix="seculite-bench-report-") as media:
        env = {**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": media}
        env.pop("CELERY_TASK_ALWAYS_EAGER", None)

        def child(*args: str) -> dict:
            out = subprocess.run(  # noqa: S603 - this script with fixed arguments
                [sys.executable, __file__, *args], cwd=BACKEND, env=env, check=False,
                capture_output=True, text=True, timeout=1800,
            )  # fmt: skip
            if out.returncode:
                sys.exit(out.stderr[-3000:])
            return json.loads(out.stdout.strip().splitlines()[-1])

        project_id = child("--child-seed", str(count))["project_id"]
        print(f"Report of a {count:,}-finding project, generated as the worker does")
        header = ("format", "seconds", "goal", "peak RSS MB", "goal", "size KB")
        print("{:<7}{:>9}{:>7}{:>13}{:>7}{:>10}".format(*header))
        for fmt in FORMATS:
            r = child("--child-generate", str(project_id), fmt)
            within = r["seconds"] < GOAL_SECONDS and r["peak_rss_mb"] < GOAL_MB
            print(
                f"{fmt:<7}{r['seconds']:>9.1f}{GOAL_SECONDS:>7.0f}{r['peak_rss_mb']:>13.0f}"
                f"{GOAL_MB:>7.0f}{r['size_kb']:>10.0f}"
                f"   {'OK' if within else 'OVER'}"
                f"  (CPU {r['cpu_seconds']:.1f} s;"
                f" RSS before generating: {r['rss_before_mb']:.0f} MB)"
            )


if __name__ == "__main__":
    main()
