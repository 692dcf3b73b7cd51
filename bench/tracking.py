"""CPU per request of the tracking routes beside `get one task` and `create a task`.

In-process, like bench/inprocess.py: a throwaway PostgreSQL database is created and
migrated, the app is built in this process and called through ASGI one request at a
time, and the process CPU time per request is the best of several rounds. Data:

- store A: 10^4 items, 200 of them active (the list reads those 200), a staff member
  with one task (the tasks baseline);
- store B: 9,500 active codes (create without a code takes the lowest free one);
- store C: active items to remove by code.

    bash bench/run --tracking            # or: .venv/bin/python bench/tracking.py

Also prints the SQL statements each request runs: creating without a code in the
nearly full store must take one or two SELECTs, never a loop of guesses. The figures
include the test client's own work; compare them with each other (the ratio column),
not with the wrk table.

The seeded tables are settled (VACUUM, ANALYZE, CHECKPOINT) before timing, as
autovacuum keeps a live store's: a table never analysed makes PostgreSQL's generic
plan of a prepared statement scan the store, from its sixth run on.

This machine's CPU time per request wanders by 2x between rounds of the same code.
The ratio column is therefore the median of the per-round ratios: each round times
every scenario back to back, so a round's pair shares the machine's state. The CPU
column is the best round.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import os
import secrets
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event, insert

import seed

# Store B starts at 9,500 active codes and gains one per create: it stays dense
# (over 9,000) and never fills up in WARM_UP + ROUNDS * REQUESTS creates.
REQUESTS = 20
ROUNDS = 15
WARM_UP = 10
LIMIT_RATIO = 1.5


def _settings_env(database_url: str) -> dict[str, str]:
    return {
        "ENVIRONMENT": "development",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "PIN_PEPPER": secrets.token_urlsafe(48),
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_ENABLED": "false",
        "DATA_DIR": os.environ.get("TMPDIR", "/tmp"),
    }


def _items(store_id: uuid.UUID, codes: range, *, removed: bool) -> Iterator[dict[str, Any]]:
    now = dt.datetime.now(dt.UTC)
    names = itertools.cycle(["Vanilla Syrup", "Caramel Syrup", "Dome Lids", "Mocha Sauce"])
    for number, name in zip(codes, names, strict=False):
        yield {
            "id": uuid.uuid4(),
            "store_id": store_id,
            "name": name,
            "name_key": name.casefold(),
            "category": "syrups" if "Syrup" in name else "other",
            "code": f"{number % 10_000:04d}",
            "added_at": now - dt.timedelta(seconds=number),
            "is_removed": removed,
            "removed_at": now if removed else None,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }


async def _seed(app: Any) -> dict[str, Any]:
    from backroom.accounts.models import Role, User
    from backroom.accounts.service.stores import create_store
    from backroom.core.security import create_access_token
    from backroom.tools.tasks.models import Task
    from backroom.tools.tracking.models import TrackingItem

    settings = app.state.settings
    async with app.state.db.sessionmaker() as session:
        stores = [await create_store(session, f"Bench {name}", "UTC") for name in "ABC"]
        users = [
            User(first_name="Bench", last_name=f"Staff {n}", role=Role.STAFF, store_id=store.id)
            for n, store in enumerate(stores)
        ]
        session.add_all(users)
        await session.flush()
        task = Task(user_id=users[0].id, title="Restock milk", title_key="restock milk")
        session.add(task)
        a, b, c = (store.id for store in stores)
        await session.execute(insert(TrackingItem), list(_items(a, range(200), removed=False)))
        removed = list(_items(a, range(200, 10_000), removed=True))
        await session.execute(insert(TrackingItem), removed)
        await session.execute(insert(TrackingItem), list(_items(b, range(9_500), removed=False)))
        removable = WARM_UP + ROUNDS * REQUESTS + 1  # one more to count its SQL
        await session.execute(
            insert(TrackingItem), list(_items(c, range(removable), removed=False))
        )
        await session.commit()
        tokens = [
            create_access_token(settings, subject=u.id, role=u.role, store_id=u.store_id)
            for u in users
        ]
    return {"tokens": tokens, "task_id": task.id, "removable": removable}


def _scenarios(data: dict[str, Any]) -> list[tuple[str, str, str, Callable[[], dict[str, Any]]]]:
    """(title, baseline title, token, request maker) per scenario."""
    a, b, c = data["tokens"]
    task_body = {"title": "Restock milk", "priority": "high", "tags": ["dairy"]}
    item_body = {"name": "Vanilla Syrup", "category": "syrups"}
    codes = iter(f"{n:04d}" for n in range(data["removable"]))
    return [
        ("get one task", "", a, lambda: {"method": "GET", "url": f"/api/tasks/{data['task_id']}"}),
        (
            "create a task",
            "",
            a,
            lambda: {"method": "POST", "url": "/api/tasks", "json": task_body},
        ),
        (
            "tracking: list 200 active of 10^4",
            "get one task",
            a,
            lambda: {"method": "GET", "url": "/api/tracking/items?limit=200"},
        ),
        (
            "tracking: search suggestions",
            "get one task",
            a,
            lambda: {"method": "GET", "url": "/api/tracking/items/search?q=syr&category=syrups"},
        ),
        (
            "tracking: create, no code, 9,500 active",
            "create a task",
            b,
            lambda: {"method": "POST", "url": "/api/tracking/items", "json": item_body},
        ),
        (
            "tracking: remove by code",
            "create a task",
            c,
            lambda: {"method": "DELETE", "url": f"/api/tracking/items/{next(codes)}"},
        ),
    ]


async def _settle(host: str, port: int, name: str) -> None:
    """Hint bits, visibility map and statistics set, dirty pages written: as a live
    store's tables are, and so that no autovacuum or checkpoint runs while timing."""
    conn = await asyncpg.connect(seed.database_dsn(host, port, name))
    try:
        await conn.execute("VACUUM (ANALYZE)")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


async def _measure(
    client: httpx.AsyncClient, scenarios: list[tuple[str, str, Callable[[], dict[str, Any]]]]
) -> dict[str, list[float]]:
    """CPU per request of each scenario in every round, rounds interleaved.

    The machine's CPU time per request wanders between rounds of the same code, so the
    scenarios take turns round by round and a drift touches them all alike: the ratios
    of one round stay comparable even when the absolute figures move.
    """
    rounds: dict[str, list[float]] = {title: [] for title, _, _ in scenarios}
    statuses: list[int] = []
    for _title, token, make in scenarios:
        for _ in range(WARM_UP):
            response = await client.request(**make(), headers=_bearer(token))
            response.raise_for_status()
    for _ in range(ROUNDS):
        for title, token, make in scenarios:
            headers = _bearer(token)
            started = time.process_time()
            statuses.extend(
                [
                    (await client.request(**make(), headers=headers)).status_code
                    for _ in range(REQUESTS)
                ]
            )
            rounds[title].append((time.process_time() - started) / REQUESTS)
    failed = [status for status in statuses if status >= 400]
    if failed:  # a 409 or 404 costs less than the work it stands for
        raise RuntimeError(f"{len(failed)} timed requests failed: {sorted(set(failed))}")
    return rounds


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def run_all(host: str, port: int) -> int:
    name = f"backroom_bench_tracking_{secrets.token_hex(4)}"
    url = f"postgresql+asyncpg://postgres@{host}:{port}/{name}"
    await seed.create_database(host, port, name)
    try:
        os.environ.update(_settings_env(url))
        from backroom.app import create_app
        from backroom.core.config import load_settings
        from backroom.core.migrations import upgrade

        await asyncio.to_thread(upgrade, url)
        app = create_app(load_settings())
        async with app.router.lifespan_context(app):
            data = await _seed(app)
            await _settle(host, port, name)
            statements: list[str] = []
            event.listen(
                app.state.db.engine.sync_engine,
                "before_cursor_execute",
                lambda _c, _cu, statement, *_a: statements.append(statement),
            )
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                return await _report(client, data, statements)
    finally:
        await seed.drop_database(host, port, name)


async def _report(client: httpx.AsyncClient, data: dict[str, Any], statements: list[str]) -> int:
    scenarios = _scenarios(data)
    rounds = await _measure(client, [(t, token, make) for t, _, token, make in scenarios])
    cost = {title: min(values) for title, values in rounds.items()}
    ratio = {
        title: statistics.median(x / y for x, y in zip(rounds[title], rounds[base], strict=True))
        for title, base, _, _ in scenarios
        if base
    }
    statements_per_request: dict[str, int] = {}
    for title, _, token, make in scenarios:
        statements.clear()
        await client.request(**make(), headers=_bearer(token))
        statements_per_request[title] = len(statements)
    print(f"{'scenario':42} {'CPU ms/req':>10} {'ratio':>6} {'SQL/req':>8}")
    for title, baseline, _, _ in scenarios:
        shown = f"{ratio[title]:.2f}" if baseline else ""
        sql = statements_per_request[title]
        print(f"{title:42} {1000 * cost[title]:10.3f} {shown:>6} {sql:8.0f}")
    over = [title for title, value in ratio.items() if value > LIMIT_RATIO]
    if over:
        print(f"over {LIMIT_RATIO}x their baseline: {', '.join(over)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    args = parser.parse_args(argv)
    return asyncio.run(run_all(args.pg_host, args.pg_port))


if __name__ == "__main__":
    raise SystemExit(main())
