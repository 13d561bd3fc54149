"""gunicorn settings, read from backend/ (entrypoint.sh and scripts/up.sh start it there).

Request limits sit above nginx's (large_client_header_buffers 4 6k in nginx/templates), so a
request nginx lets through is never refused by gunicorn with its plain-text 400, and every
oversized request gets nginx's JSON error instead. Command-line flags still win.
"""

# The longest request line and header line gunicorn accepts (its maximum).
limit_request_line = 8190
limit_request_field_size = 8190
# Header count: nginx bounds the total header size (4 x 6 KiB), not the count.
limit_request_fields = 32768


def post_worker_init(worker: object) -> None:
    """Load every view, then move the worker's long-lived objects (modules, classes, the URL
    conf) out of the garbage collector's reach with gc.freeze(). Otherwise each full
    collection walks all ~140,000 of them: measured 50-60 ms, once every ~200 requests, a
    pause that lands on some request's latency. Frozen, a full collection takes ~5 ms."""
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URL conf and every view it names
    gc.collect()
    gc.freeze()
