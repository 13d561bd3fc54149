"""Benchmark: ingest a generated Semgrep report through the findings service into PostgreSQL.

Prints findings per second and peak memory for a first import and a re-import of the same
report, at 10,000 and 100,000 findings. Each size runs in a fresh process so its peak RSS is
its own. Not part of the test suite's pass/fail.

    backend/.venv/bin/python bench/ingest.py            # 10k and 100k
    backend/.venv/bin/python bench/ingest.py 10000      # one size

Uses DATABASE_URL if set, else postgres://postgres@127.0.0.1:5432/seculite_bench (created and
migrated on first use; never the `postgres` database itself).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BACKEND = Path(__file__).resolve().parent.parent / "backend"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/seculite_bench"
GOAL_SECONDS_10K = 1.0
GOAL_PEAK_MB_100K = 300
PEER_FIRST_10K_SECONDS = 34.0  # the leading open-source peer, same report, same machine
PEER_REIMPORT_10K_SECONDS = 11.0


def generate_semgrep_report(path: Path, count: int) -> None:
    """A Semgrep JSON report with `count` distinct findings over 500 files and 50 rules, listing
    the files as scanned."""
    with open(path, "w") as out:
        out.write('{"version": "1.185.0", "errors": [], "results": [')
        for i in range(count):
            if i:
                out.write(",")
            rule = i % 50
            line = (i // 500) % 4000 + 1
            json.dump(
                {
                    "check_id": f"bench.rules.python-rule-{rule}",
                    "path": f"src/pkg{i % 20}/module{i % 500}.py",
                    "start": {"line": line, "col": 5, "offset": 0},
                    "end": {"line": line, "col": 40, "offset": 0},
                    "extra": {
                        "message": f"Dangerous call pattern number {rule} detected.",
                        "severity": ("ERROR", "WARNING", "INFO")[rule % 3],
                        "metadata": {
                            "cwe": [f"CWE-{78 + rule}: sample"],
                            "confidence": "HIGH",
                        },
                        "lines": f"    result = dangerous_call_{rule}(user_input_{i})",
                        "fingerprint": "requires login",
                    },
                },
                out,
            )
        # As Semgrep does, the report lists the files it scanned (imports read coverage there).
        scanned = sorted({f"src/pkg{i % 20}/module{i % 500}.py" for i in range(min(count, 500))})
        out.write('], "paths": {"scanned": ' + json.dumps(scanned) + "}}")


def run_size(count: int) -> dict[str, float]:
    """Runs inside a fresh process (see main)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seculite_api.settings")
    sys.path.insert(0, str(BACKEND))
    import django

    django.setup()
    from apps.common.testing.factories import (
        ProjectFactory,
        ScanFactory,
        ScanToolResultFactory,
        TargetAssetFactory,
        ToolDefinitionFactory,
    )
    from apps.findings.ingest import findings_ingest
    from apps.tools.adapters.base import PreparedTarget
    from apps.tools.adapters.registry import ADAPTERS

    adapter = ADAPTERS["semgrep"]
    project = ProjectFactory()
    target = TargetAssetFactory(
        project=project, asset_type="codebase_path", identifier="/code"
    )
    tool = ToolDefinitionFactory(slug="semgrep")
    prepared = PreparedTarget(asset_type="codebase_path", identifier="/code", path=None)
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "semgrep.json"
        generate_semgrep_report(report, count)
        figures["report_mb"] = report.stat().st_size / 1e6
        baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for phase in ("first", "reimport"):
            scan = ScanFactory(project=project)
            result = ScanToolResultFactory(scan=scan, tool=tool, target=target)
            started = time.perf_counter()
            outcome = findings_ingest(
                project=project,
                findings=adapter.parse(output_path=report, target=prepared),
                tool=tool,
                tool_result=result,
                target=target,
            )
            elapsed = time.perf_counter() - started
            assert outcome.total == count, outcome
            figures[f"{phase}_seconds"] = elapsed
            figures[f"{phase}_created"] = outcome.created
        figures["peak_rss_mb"] = (
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        )
        figures["baseline_rss_mb"] = baseline_kb / 1024
    return figures


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    manage(url, "migrate", "-v", "0")


def manage(url: str, *command: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=BACKEND, check=True, env={**os.environ, "DATABASE_URL": url},
    )  # fmt: skip


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(run_size(int(sys.argv[2]))))
        return
    sizes = [int(arg) for arg in sys.argv[1:]] or [10_000, 100_000]
    url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    os.environ["DATABASE_URL"] = url
    ensure_database(url)
    print(
        f"findings ingest into PostgreSQL ({url.rsplit('/', 1)[1]}), Semgrep JSON report"
    )
    print(f"{'findings':>9} {'report':>8} {'first s':>8} {'first/s':>9} {'re-imp s':>9} "
          f"{'re-imp/s':>9} {'peak RSS':>9}")  # fmt: skip
    for size in sizes:
        manage(
            url, "flush", "--noinput"
        )  # each size starts from an empty bench database
        child = subprocess.run(
            [sys.executable, __file__, "--child", str(size)],
            check=True, capture_output=True, text=True, env=os.environ.copy(),
        )  # fmt: skip
        f = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"{size:>9,} {f['report_mb']:>6.1f}MB {f['first_seconds']:>8.2f} "
            f"{size / f['first_seconds']:>9,.0f} {f['reimport_seconds']:>9.2f} "
            f"{size / f['reimport_seconds']:>9,.0f} {f['peak_rss_mb']:>7.0f}MB"
        )
        if size == 10_000:
            first_ratio = PEER_FIRST_10K_SECONDS / f["first_seconds"]
            reimport_ratio = PEER_REIMPORT_10K_SECONDS / f["reimport_seconds"]
            print(
                f"          vs peer: first import {first_ratio:.0f}x faster, re-import "
                f"{reimport_ratio:.0f}x faster (goal: under {GOAL_SECONDS_10K:.0f} s, >30x)"
            )
        if size == 100_000:
            verdict = "within" if f["peak_rss_mb"] < GOAL_PEAK_MB_100K else "OVER"
            print(f"          peak RSS {verdict} the {GOAL_PEAK_MB_100K} MB goal "
                  f"(process baseline {f['baseline_rss_mb']:.0f} MB)")  # fmt: skip


if __name__ == "__main__":
    main()
