"""Benchmark: a million findings, read through the real HTTP stack (issue 12).

Three phases, each runnable alone (--only):

fill      N findings (default 1,000,000) in P projects through the product's own ingest:
          per project a code target (semgrep, bandit, eslint, trivy_fs) and a web target
          (zap_baseline); 300 rules plus the dependency findings' advisories (CVE ids),
          thousands of files, CWEs. Two scans per project end like real ones; the second no
          longer reports 27 % of the findings, so its finalisation auto-resolves them. The
          bulk triage service then resolves, marks false positive / accepted risk /
          confirmed and assigns (a few users). First sightings are then spread over a year
          by SQL (ingest stamps them all "now"), and the findings table is VACUUM FULLed,
          VACUUMed (the visibility map autovacuum would set) and ANALYZEd. A staff user,
          a member of 3 projects and their API keys are made with the accounts service.
requests  gunicorn (2 workers) on a loopback port; each request of the issue's table timed
          over HTTP (--repeat times after two warm-ups), as staff and as the member, p50/p95
          next to the goal; the CSV export of one project's findings (seconds, rows/s, the
          gunicorn workers' peak RSS). --explain adds EXPLAIN (ANALYZE, BUFFERS) of the
          list's queries on findings_finding, captured in-process.
history   a fresh database (<name>_history): one project of --history-findings findings
          scanned --history times, once a day, with --churn of it changed daily; seconds
          per scan, database size and rows/bytes per findings_* and scans_* table before
          and after, and rows added per re-scan.

    backend/.venv/bin/python bench/scale.py                       # everything, 1M findings
    backend/.venv/bin/python bench/scale.py --only requests --explain   # on the filled database
    backend/.venv/bin/python bench/scale.py --only history --history 30

Uses DATABASE_URL if set, else postgres://postgres@127.0.0.1:5432/seculite_bench_scale
(created and migrated on first use; never the `postgres` database). The filled database is
kept (clone it: CREATE DATABASE x TEMPLATE seculite_bench_scale); the history database is
dropped at the end unless --keep-history-db. Not part of the test suite's pass/fail.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import GUNICORN_WORKERS, Servers, free_port, peak_rss_mb, process_tree
from ingest import BACKEND, ensure_database, manage
from scale_http import (
    deep_page_path,
    export_csv,
    history_report,
    request_paths,
    summarise,
    time_requests,
)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/seculite_bench_scale"
DEFAULT_BROKER = "redis://127.0.0.1:6379/1"
PHASES = ("fill", "requests", "history")
EXPORT_GOAL_SECONDS, EXPORT_GOAL_ROWS_PER_S, EXPORT_GOAL_MB = 5.0, 20_000, 200


# --- phases inside a Django process (this script, run again with --child) -------------------


def child(phase: str, io_path: Path) -> None:
    """Runs one phase's Django side; reads its arguments from io_path, writes its result to
    io_path + '.out'."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seculite_api.settings")
    sys.path.insert(0, str(BACKEND))
    import django

    django.setup()
    warnings.filterwarnings("ignore", "No directory at")  # no collected static files here
    import scale_data

    args = json.loads(io_path.read_text())
    result: Any = None

    def log(line: str) -> None:
        print(line, flush=True)

    if phase == "count":
        result = scale_data.findings_count()
    elif phase == "fill":
        scale_data.fill(findings=args["findings"], projects=args["projects"], log=log)
        log("  spreading first sightings over a year (SQL UPDATE), VACUUM FULL, VACUUM, ANALYZE")
        scale_data.spread_timestamps()
        result = scale_data.findings_count()
    elif phase == "setup":
        result = scale_data.request_setup()
    elif phase == "explain":
        from scale_explain import explain

        result = explain(usernames=args["usernames"], requests=args["requests"])
    elif phase == "history":
        from scale_history import history

        result = history(days=args["days"], count=args["count"], churn=args["churn"], log=log)
    Path(f"{io_path}.out").write_text(json.dumps(result))


def run_child(phase: str, env: dict[str, str], **arguments: Any) -> Any:
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        io_path = Path(tmp) / "io.json"
        io_path.write_text(json.dumps(arguments))
        subprocess.run(  # noqa: S603 - this script, fixed argv
            [sys.executable, __file__, "--child", phase, str(io_path)], check=True, env=env
        )
        return json.loads(Path(f"{io_path}.out").read_text())


# --- the phases, driven from here ------------------------------------------------------------


def server_env(url: str, var_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", DEFAULT_BROKER),
        "SECULITE_VAR_DIR": str(var_dir),
        "SECULITE_ENV": "development",
        "SECURE_COOKIES": "false",
        "CACHE_URL": os.environ.get("CACHE_URL", "locmemcache://"),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "WARNING",
    }


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: on a shared machine, the figures' context."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def phase_fill(args: argparse.Namespace, env: dict[str, str]) -> None:
    url = env["DATABASE_URL"]
    ensure_database(url)
    held = run_child("count", env)
    if args.reuse and held == args.findings:
        print(f"fill: skipped, {url.rsplit('/', 1)[1]} already holds {held:,} findings (--reuse)")
        return
    if held:
        manage(url, "flush", "--noinput")
    print(f"fill: {args.findings:,} findings in {args.projects} projects through findings_ingest")
    started = time.perf_counter()
    total = run_child("fill", env, findings=args.findings, projects=args.projects)
    print(
        f"fill: {total:,} findings in {time.perf_counter() - started:.0f} s "
        f"(load average {load_average()})"
    )


def phase_requests(args: argparse.Namespace, env: dict[str, str], log_dir: Path) -> None:
    setup = run_child("setup", env)
    servers = Servers(port=free_port(), env=env, log_dir=log_dir, in_process=True)
    users = {"staff": setup["staff"], "member": setup["member"]}
    load_before = load_average()
    try:
        servers.start()
        deep = {user: deep_page_path(servers.port, key) for user, key in users.items()}
        timings = {
            user: time_requests(servers.port, key, setup=setup, deep=deep[user], repeat=args.repeat)
            for user, key in users.items()
        }
        workers = process_tree(servers.procs["gunicorn"].pid)
        rss_before_export = max(peak_rss_mb(pid) for pid in workers)
        exports = {
            user: [export_csv(servers.port, key, setup["project"]) for _ in range(args.export_runs)]
            for user, key in users.items()
        }
        rss_after_export = max(peak_rss_mb(pid) for pid in workers)
    finally:
        servers.stop()
    print(
        f"\nrequests over HTTP: gunicorn ({GUNICORN_WORKERS} workers), "
        f"{setup['total']:,} findings; staff sees all, the member 3 projects; "
        f"{args.repeat} timed requests each after 2 warm-ups; p95 interpolated; load average "
        f"{load_before} before, {load_average()} after (2 cores, shared)"
    )
    print(summarise(timings, request_paths(setup, deep["member"])))
    _print_exports(exports, setup["project_findings"], rss_before_export, rss_after_export)
    for user, path in deep.items():
        print(f"  page 2,000 as {user}: {path}")
    print(f"  search: {setup['file']!r}; rule: {setup['rule']!r}; project id {setup['project']}")
    if args.explain:
        requests = [
            [name, path]
            for name, path, _ in request_paths(setup, deep["member"])
            if path.startswith("/api/v1/findings/")
        ]
        plans = run_child(
            "explain", env, usernames=["bench-staff", "bench-member"], requests=requests
        )
        _print_plans(plans)


def _print_exports(
    exports: dict[str, list[dict[str, float]]], expected: int, rss_before: float, rss_after: float
) -> None:
    print(
        f"\nCSV export of one project ({expected:,} findings) over HTTP, goal <= "
        f"{EXPORT_GOAL_SECONDS:.0f} s, >= {EXPORT_GOAL_ROWS_PER_S:,} rows/s, "
        f"<= {EXPORT_GOAL_MB} MB per worker"
    )
    for user, runs in exports.items():
        for run in runs:
            rate = run["rows"] / run["seconds"]
            ok = run["seconds"] <= EXPORT_GOAL_SECONDS and rate >= EXPORT_GOAL_ROWS_PER_S
            print(
                f"  {user:<7} {run['seconds']:6.2f} s {run['rows']:>9,.0f} rows "
                f"{rate:>9,.0f} rows/s {run['mb']:6.1f} MB  {'OK' if ok else 'MISS'}"
            )
    verdict = "OK" if rss_after <= EXPORT_GOAL_MB else "MISS"
    print(
        f"  gunicorn peak RSS (VmHWM, highest process): {rss_before:.0f} MB before the exports, "
        f"{rss_after:.0f} MB after  {verdict}"
    )


def _print_plans(plans: list[dict[str, Any]]) -> None:
    print("\nEXPLAIN (ANALYZE, BUFFERS) of the list's queries on findings_finding")
    for plan in plans:
        seq = "SEQ SCAN on findings_finding" if plan["seq_scan"] else "no seq scan"
        print(
            f"  {plan['user']:<12} {plan['request']:<28} {plan['kind']:<5} "
            f"{plan['ms']:9.1f} ms {plan['buffers']:>8} buffers  {seq}"
        )
        print(f"      {' > '.join(plan['nodes'])}")


def phase_history(args: argparse.Namespace, env: dict[str, str]) -> None:
    import psycopg

    url = env["DATABASE_URL"] + "_history"
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    ensure_database(url)
    print(
        f"\nhistory: {name}, one project of {args.history_findings:,} findings, "
        f"{args.history} daily re-scans with {args.churn:.1%} churn (a third gone, a third "
        f"new, a third moved 3 lines), each ingested and finalised like a scan; load average "
        f"before: {load_average()}"
    )
    try:
        result = run_child(
            "history",
            {**env, "DATABASE_URL": url},
            days=args.history,
            count=args.history_findings,
            churn=args.churn,
        )
    finally:
        if not args.keep_history_db:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    print(history_report(result))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        autovacuum = conn.execute("SHOW autovacuum").fetchone()
    if autovacuum and autovacuum[0] == "off":
        print(
            "  autovacuum is off on this server: dead rows (each re-scan's rewritten findings) "
            "are never reclaimed here, so the sizes include them; the row counts do not"
        )
    print(f"  load average after: {load_average()}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--findings", type=int, default=1_000_000, help="findings to fill")
    parser.add_argument("--projects", type=int, default=10, help="projects to fill")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="skip the fill when the database already holds --findings",
    )
    parser.add_argument(
        "--only",
        choices=PHASES,
        action="append",
        help="run only this phase (repeatable); default all three",
    )
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per row")
    parser.add_argument("--export-runs", type=int, default=2, help="CSV exports per user")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) the list's queries"
    )
    parser.add_argument("--history", type=int, default=365, help="daily re-scans to simulate")
    parser.add_argument(
        "--history-findings", type=int, default=100_000, help="findings of the history project"
    )
    parser.add_argument(
        "--churn",
        type=float,
        default=0.01,
        help="share of the history project's findings changed per day",
    )
    parser.add_argument(
        "--keep-history-db",
        action="store_true",
        help="keep <database>_history after the simulation",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    if url.rsplit("/", 1)[1] in ("", "postgres"):
        raise SystemExit("Refusing to use the `postgres` database; set DATABASE_URL.")
    phases = args.only or list(PHASES)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        env = server_env(url, Path(tmp) / "var")
        if "fill" in phases:
            phase_fill(args, env)
        if "requests" in phases:
            phase_requests(args, env, Path(tmp))
        if "history" in phases:
            phase_history(args, env)
    print("\nreproduce: backend/.venv/bin/python bench/scale.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
