"""bench/scale.py's client side: the issue's requests timed over HTTP, the CSV export, and
the tables it prints."""

from __future__ import annotations

import csv
import http.client
import io
import statistics
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from _common import get_json

DEEP_ROW = 50_000  # page 2,000 of 25
FAST_PAGE = 500  # the largest page size, to reach the deep row quickly (untimed)
WARM_UPS = 2  # one per gunicorn worker, likely
YEAR = 365


def request_paths(setup: dict[str, Any], deep: str) -> list[tuple[str, str, float]]:
    """(label, path, goal in ms) of each row of the issue's table."""
    return [
        ("list, first page", "/api/v1/findings/", 50),
        (
            "open + high, newest first",
            "/api/v1/findings/?status=new,confirmed,reopened&severity=high&ordering=-first_seen_at",
            50,
        ),
        ("one project's findings", f"/api/v1/findings/?project={setup['project']}", 50),
        ("page 2,000", deep, 100),
        ("search= a file name", "/api/v1/findings/?" + urlencode({"search": setup["file"]}), 150),
        ("filter by rule", "/api/v1/findings/?" + urlencode({"rule_id": setup["rule"]}), 50),
        ("dashboard", "/api/v1/dashboard/", 200),
        # Not in the table: the web app's default findings view since issue 13.
        ("issue groups, open (web app default)", "/api/v1/issue-groups/?status=open", 50),
        # Issue 14's metrics, which the dashboard page loads beside /dashboard/.
        ("metrics, last 90 days", "/api/v1/metrics/", 200),
    ]


def timed_get(port: int, path: str, key: str) -> tuple[float, bytes]:
    """Seconds from sending the request to the body's last byte, and the body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Token {key}"})
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    if response.status != 200:
        raise SystemExit(f"GET {path}: {response.status} {body[:500]!r}")
    return elapsed, body


def _local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _with_page_size(path: str, size: int) -> str:
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "page_size"]
    return parts.path + "?" + urlencode([*query, ("page_size", str(size))])


def deep_page_path(port: int, key: str) -> str:
    """The path of the list's page at row DEEP_ROW (or the last page, on a smaller database):
    by following `next` cursors when the list pages by cursor (untimed, FAST_PAGE rows at a
    time), else by page number."""
    page = get_json(port, f"/api/v1/findings/?page_size={FAST_PAGE}", key)
    following = page.get("next") or ""
    if "cursor=" not in following:
        last = max(1, -(-int(page.get("count") or 0) // 25))
        return f"/api/v1/findings/?page={min(DEEP_ROW // 25, last)}"
    rows, deepest = len(page["results"]), following
    while rows < DEEP_ROW and following:
        deepest = following
        page = get_json(port, _local(following), key)
        rows += len(page["results"])
        following = page.get("next") or ""
    return _with_page_size(_local(following or deepest), 25)


def time_requests(
    port: int, key: str, *, setup: dict[str, Any], deep: str, repeat: int
) -> dict[str, list[float]]:
    """Seconds of each request, `repeat` times after WARM_UPS untimed ones."""
    out: dict[str, list[float]] = {}
    for label, path, _goal in request_paths(setup, deep):
        for _ in range(WARM_UPS):
            timed_get(port, path, key)
        out[label] = [timed_get(port, path, key)[0] for _ in range(repeat)]
    return out


def export_csv(port: int, key: str, project: int) -> dict[str, float]:
    seconds, body = timed_get(port, f"/api/v1/findings/export/?project={project}&format=csv", key)
    rows = sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8")))) - 1
    return {"seconds": seconds, "rows": float(rows), "mb": len(body) / 1e6}


def _p95(values: list[float]) -> float:
    return (
        statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]
    )


def summarise(
    timings: dict[str, dict[str, list[float]]], rows: list[tuple[str, str, float]]
) -> str:
    users = list(timings)
    head = "| request | goal | " + " | ".join(f"{u} p50 | {u} p95" for u in users) + " | verdict |"
    lines = [head, "|---" * (3 + 2 * len(users)) + "|"]
    for label, _path, goal in rows:
        cells, worst = [], 0.0
        for user in users:
            values = timings[user][label]
            p95 = _p95(values)
            worst = max(worst, p95)
            cells += [_ms(statistics.median(values)), _ms(p95)]
        verdict = "OK" if worst * 1000 <= goal else "MISS"
        lines.append(f"| {label} | {goal:.0f} ms | " + " | ".join(cells) + f" | {verdict} |")
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def history_report(result: dict[str, Any]) -> str:
    """Seconds per scan and what the re-scans added, per table."""
    seconds, days = result["seconds"], result["days"]
    rescans = seconds[1:]
    lines = [
        f"  first scan {seconds[0]:.1f} s; re-scans: median {statistics.median(rescans):.2f} s, "
        f"max {max(rescans):.2f} s, total {sum(seconds):.0f} s"
        if rescans
        else f"  first scan {seconds[0]:.1f} s"
    ]
    lines.append(
        f"  database: {_mb(result['size_before'])} before, {_mb(result['size_after_first'])} "
        f"after day 0, {_mb(result['size_after'])} after day {days}"
        + (
            f" (+{_mb((result['size_after'] - result['size_after_first']) // days)} per re-scan)"
            if days
            else ""
        )
    )
    lines.append(
        "  | table | rows before | rows after day 0 | rows after | rows per re-scan "
        "| size after day 0 | size after | dead rows after | autovacuums |"
    )
    lines.append("  |---|---|---|---|---|---|---|---|---|")
    for table, (rows_after, size_after, dead, vacuums) in result["after"].items():
        rows_before = result["before"].get(table, (0,))[0]
        rows_first, size_first = result["after_first"].get(table, (0, 0))[:2]
        per_day = (rows_after - rows_first) / days if days else 0
        if not (rows_after or rows_before):
            continue
        lines.append(
            f"  | {table} | {rows_before:,} | {rows_first:,} | {rows_after:,} | "
            f"{per_day:,.0f} | {_mb(size_first)} | {_mb(size_after)} | {dead:,} | {vacuums} |"
        )
    if days and days < YEAR:
        growth = (result["size_after"] - result["size_after_first"]) / days * YEAR
        tables = ", ".join(
            f"{table} +{(rows - result['after_first'].get(table, (0, 0))[0]) / days * YEAR:,.0f}"
            for table, (rows, *_) in result["after"].items()
            if rows > result["after_first"].get(table, (0, 0))[0]
        )
        lines.append(
            f"  extrapolated linearly to {YEAR} re-scans: database +{_mb(int(growth))}; "
            f"rows {tables}"
        )
    return "\n".join(lines)
