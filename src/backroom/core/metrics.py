"""Prometheus metrics, correct with one worker or many.

With several worker processes (`backroom serve --workers N`) each process writes
its samples under `PROMETHEUS_MULTIPROC_DIR` and `/metrics` adds them up, whichever
worker answers the scrape. `backroom serve --workers N` prepares a fresh directory
for that before it starts the workers; a directory named by the operator is created
here if missing, since prometheus_client opens its files there as metrics are defined.

Metrics other domains increment (import them from here; the label values are a
small fixed set, never user input):

- `backroom_login_failures_total{method}`: failed sign-ins; `method` is `password` or `pin`.
- `backroom_lockouts_total{method}`: accounts locked after repeated failures.
- `backroom_rate_limited_total{limit}`: requests refused with 429; `limit` names the
  limit (`login`, `register`, `refresh`, ...).
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
if _multiproc_dir := os.environ.get(MULTIPROC_ENV):
    os.makedirs(_multiproc_dir, exist_ok=True)

HTTP_REQUESTS = Counter(
    "backroom_http_requests_total",
    "HTTP requests answered, by method, route template and status class (2xx, 4xx, ...).",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "backroom_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and status class.",
    ["route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DB_POOL_SIZE = Gauge(
    "backroom_db_pool_size",
    "Database connections the pool keeps (summed over live workers).",
    multiprocess_mode="livesum",
)
DB_POOL_CHECKED_OUT = Gauge(
    "backroom_db_pool_checked_out",
    "Database connections in use right now (summed over live workers).",
    multiprocess_mode="livesum",
)
REPLICA_READS = Counter(
    "backroom_replica_reads_total",
    "Requests that may read from the replica, by who served them (replica or primary).",
    ["served_by"],
)
LOGIN_FAILURES = Counter(
    "backroom_login_failures_total",
    "Failed sign-in attempts, by method (password or pin).",
    ["method"],
)
LOCKOUTS = Counter(
    "backroom_lockouts_total",
    "Accounts locked after repeated failed sign-ins, by method (password or pin).",
    ["method"],
)
RATE_LIMITED = Counter(
    "backroom_rate_limited_total",
    "Requests refused with 429 Too Many Requests, by limit name.",
    ["limit"],
)

# Anything else a client invents is counted as OTHER, so labels stay a small set.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


# The labelled children of the request metrics, by (method, route, status class): the
# label sets are few (route templates), and `labels()` re-validates them on every call.
_request_children: dict[tuple[str, str, str], tuple[Any, Any]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    key = (method if method in _METHODS else "OTHER", route, f"{status // 100}xx")
    children = _request_children.get(key)
    if children is None:
        children = (HTTP_REQUESTS.labels(*key), HTTP_DURATION.labels(route, key[2]))
        _request_children[key] = children
    children[0].inc()
    children[1].observe(seconds)


def render() -> bytes:
    """The exposition text: this process's registry, or every worker's samples."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def process_stopped() -> None:
    """Drop this worker's live gauges, so a stopped worker no longer counts."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_PLAIN_0_0_4: {}}, "description": "Metrics"}},
)
def metrics() -> Response:
    """Prometheus metrics: requests, latency, database pool, sign-in failures, lockouts, 429s."""
    return Response(render(), media_type=CONTENT_TYPE_PLAIN_0_0_4)
