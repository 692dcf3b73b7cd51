"""CPU per request of single routes, in-process: no wrk, no uvicorn, no other noise.

Backroom's app is built in this process and called through ASGI (httpx's transport),
one request at a time, against the database a `bench/run --keep-db` left behind; the
process CPU time (`time.process_time`) per request is reported as the minimum of
several rounds. It is the quickest way to check that a change makes a route cheaper:

    bench/run --keep-db --runs 1 --duration 1 --only health --workers 1 --no-big
    .venv/bin/python bench/inprocess.py /api/auth/me '/api/tasks?limit=20'
    .venv/bin/python bench/inprocess.py --profile /api/auth/me   # + cProfile, top 40
    .venv/bin/python bench/inprocess.py 'POST /api/tasks'        # a write, with --body

The figures include the test client's own work (about 0.1 ms per request) and are
lower than under load (no contention), so compare them with each other, not with
the wrk table.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import time
from pathlib import Path
from typing import Any

import httpx

LAST_ENV = Path(__file__).resolve().parent / "results" / "last-env.json"


DEFAULT_BODY = '{"title": "Restock milk", "priority": "high", "tags": ["dairy", "urgent"]}'


def _split(spec: str) -> tuple[str, str]:
    """`/path` is a GET; `POST /path` names the method."""
    method, _, path = spec.partition(" ")
    return (method.upper(), path) if path else ("GET", spec)


async def measure(
    paths: list[str], requests: int, rounds: int, profile: bool, body: str = DEFAULT_BODY
) -> None:
    from backroom.app import create_app
    from backroom.core.config import load_settings

    app = create_app(load_settings())
    token = os.environ["BENCH_TOKEN"]
    headers = {"Authorization": f"Bearer {token}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for spec in paths:
                method, path = _split(spec)
                content = None if method == "GET" else body.encode()
                send: dict[str, Any] = {
                    "method": method,
                    "url": path,
                    "headers": headers,
                    "content": content,
                }
                if content is not None:
                    send["headers"] = {**headers, "Content-Type": "application/json"}
                for _ in range(20):  # warm caches, pool and statement cache
                    response = await client.request(**send)
                if response.status_code >= 300:
                    print(f"{spec}: {response.status_code} {response.text[:200]}")
                    continue
                best = float("inf")
                for _ in range(rounds):
                    started = time.process_time()
                    for _ in range(requests):
                        await client.request(**send)
                    best = min(best, (time.process_time() - started) / requests)
                print(f"{1000 * best:7.3f} ms CPU/request  {method} {path}")
                counts = await _count(client, send, requests, profile=profile)
                print(
                    f"{'':22}{counts['calls']:.0f} Python calls, {counts['sends']:.1f} database "
                    f"round trips, {counts['hops']:.1f} thread-pool hops per request"
                )


async def _count(
    client: httpx.AsyncClient,
    send: dict[str, Any],
    requests: int,
    *,
    profile: bool,
) -> dict[str, float]:
    """Deterministic costs per request: Python calls, socket sends (database round trips:
    the ASGI transport uses no socket) and hops to the thread pool (sync dependencies)."""
    import anyio.to_thread

    hops = 0
    original = anyio.to_thread.run_sync

    async def counting(*args: object, **kwargs: object) -> object:
        nonlocal hops
        hops += 1
        return await original(*args, **kwargs)  # type: ignore[arg-type]

    anyio.to_thread.run_sync = counting  # type: ignore[assignment]
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        for _ in range(requests):
            await client.request(**send)
        profiler.disable()
    finally:
        anyio.to_thread.run_sync = original
    stats = pstats.Stats(profiler)
    sends = sum(
        entry[1]
        for (_, _, name), entry in stats.stats.items()  # type: ignore[attr-defined]
        if name == "<method 'send' of '_socket.socket' objects>"
    )
    if profile:
        by_package: dict[str, int] = {}
        for (filename, _, _), entry in stats.stats.items():  # type: ignore[attr-defined]
            package = _package(filename)
            by_package[package] = by_package.get(package, 0) + entry[1]
        for package, calls in sorted(by_package.items(), key=lambda item: -item[1]):
            print(f"{'':22}{calls / requests:8.0f} calls/request in {package}")
        stats.sort_stats("tottime").print_stats(40)
    return {
        "calls": stats.total_calls / requests,  # type: ignore[attr-defined]
        "sends": sends / requests,
        "hops": hops / requests,
    }


def _package(filename: str) -> str:
    """The top-level package a profiled function lives in."""
    for marker in ("site-packages/", "/src/"):
        if marker in filename:
            return filename.split(marker, 1)[1].split("/", 1)[0]
    return "stdlib" if filename.startswith(("/", "<frozen")) else "builtins"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "paths", nargs="+", help="GET paths (/api/auth/me) or 'METHOD /path' (POST /api/tasks)"
    )
    parser.add_argument("--body", default=DEFAULT_BODY, help="JSON body of non-GET requests")
    parser.add_argument("--requests", type=int, default=300, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best is kept")
    parser.add_argument("--profile", action="store_true", help="cProfile one more round")
    parser.add_argument("--env", type=Path, default=LAST_ENV, help="written by --keep-db")
    args = parser.parse_args()
    os.environ.update(json.loads(args.env.read_text()))
    asyncio.run(measure(args.paths, args.requests, args.rounds, args.profile, args.body))


if __name__ == "__main__":
    main()
