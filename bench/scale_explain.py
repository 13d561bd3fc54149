"""bench/scale.py --explain: the plans PostgreSQL runs for the findings list's queries.

Each list request runs in-process through Django's test client (the same views, filters and
role check as over HTTP) while its SQL is captured; each SELECT on findings_finding is then
run again under EXPLAIN (ANALYZE, BUFFERS) and summarised: node types, whether a sequential
scan of findings_finding appears, execution time and buffers.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

TABLE = "findings_finding"


def _walk(plan: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes += _walk(child)
    return nodes


def _node_name(node: dict[str, Any]) -> str:
    where = node.get("Index Name") or node.get("Relation Name")
    return f"{node['Node Type']}({where})" if where else str(node["Node Type"])


def _kind(sql: str) -> str:
    head = sql.lstrip()[:60].upper()
    if head.startswith("SELECT COUNT(*)"):
        return "count"
    return "page" if " LIMIT " in sql.upper() else "rows"


def explain_plan(sql: str) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        document = cursor.fetchone()[0]
    top = document[0] if isinstance(document, list) else document
    nodes = _walk(top["Plan"])
    seq = any(
        node["Node Type"] == "Seq Scan" and node.get("Relation Name") == TABLE for node in nodes
    )
    names: list[str] = []
    for node in nodes:
        if _node_name(node) not in names:
            names.append(_node_name(node))
    return {
        "kind": _kind(sql),
        "ms": float(top.get("Execution Time", 0.0)),
        "seq_scan": seq,
        "nodes": names,
        "buffers": int(top["Plan"].get("Shared Hit Blocks", 0))
        + int(top["Plan"].get("Shared Read Blocks", 0)),
        "sql": " ".join(sql.split())[:160],
    }


def explain(*, usernames: list[str], requests: list[list[str]]) -> list[dict[str, Any]]:
    """Plans of every findings query of each (name, path) request, for each user."""
    out: list[dict[str, Any]] = []
    for username in usernames:
        client = Client(HTTP_HOST="localhost")
        client.force_login(get_user_model().objects.get(username=username))
        for name, path in requests:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} as {username}: {response.status_code}")
            for query in captured.captured_queries:
                sql = query["sql"]
                if TABLE in sql and sql.lstrip().upper().startswith("SELECT"):
                    out.append({"user": username, "request": name, **explain_plan(sql)})
    return out
