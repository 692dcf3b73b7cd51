"""CPU and statements per request of the milk count's hot routes, in-process.

The app is built in this process and called through ASGI, one request at a time, on a
throwaway database of its own (PostgreSQL by default, SQLite with --sqlite), filled with
one store, its nine default milk types and --history completed sessions. For each
scenario it prints the process CPU time per request (the best of --rounds) and the
statements sent to the database per request, which must not grow with the number of
milk types (--extra-types adds more and shows it):

    .venv/bin/python bench/milk.py                   # PostgreSQL on 127.0.0.1:5432
    .venv/bin/python bench/milk.py --sqlite --extra-types 31

Like bench/inprocess.py, the figures include the test client's own work and no
contention: compare them with each other and with inprocess.py's tasks figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from backroom.accounts.models import Role, User
from backroom.accounts.service.stores import create_store
from backroom.app import create_app
from backroom.core.clock import FixedClock, SystemClock
from backroom.core.config import load_settings
from backroom.core.migrations import upgrade
from backroom.core.security import create_access_token

M = "/api/milk-count"
PG_BASE = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
SECRET = "bench-secret-key-" + "x" * 32


@asynccontextmanager
async def throwaway_database(sqlite: bool) -> AsyncIterator[str]:
    if sqlite:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'milk-bench.db'}"
        return
    name = f"backroom_milk_bench_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_BASE).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


class Statements:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: Any) -> None:
        self.count += 1


Client = httpx.AsyncClient


async def _ok(response: Awaitable[httpx.Response]) -> dict[str, Any]:
    done = await response
    if done.status_code >= 300:
        raise SystemExit(
            f"{done.request.method} {done.request.url}: {done.status_code} {done.text}"
        )
    body: dict[str, Any] = done.json()
    return body


def _lines(types: list[dict[str, Any]], field: str, value: int) -> list[dict[str, Any]]:
    return [{"milk_type_id": t["id"], field: value} for t in types]


async def _cycle(client: Client, staff: dict[str, str], types: list[dict[str, Any]]) -> str:
    sid: str = (await _ok(client.post(f"{M}/sessions/start", headers=staff)))["session"]["id"]
    morning = [{"milk_type_id": t["id"], "method": "boh_count", "current_boh": 30} for t in types]
    for path, body in (
        ("night-foh", {"counts": _lines(types, "foh_count", 10)}),
        ("night-boh", {"counts": _lines(types, "boh_count", 20)}),
        ("morning", {"counts": morning}),
        ("on-order", {"on_orders": _lines(types, "on_order", 5)}),
    ):
        await _ok(client.put(f"{M}/sessions/{sid}/{path}", json=body, headers=staff))
    return sid


async def seed(
    app: Any, client: Client, history: int, extra_types: int
) -> tuple[dict[str, str], dict[str, str], list[dict[str, Any]]]:
    settings = app.state.settings
    async with app.state.db.sessionmaker() as session:
        store = await create_store(session, "Bench Store", "America/Los_Angeles")
        users = [
            User(first_name=role.value.title(), role=role.value, store_id=store.id)
            for role in (Role.STAFF, Role.ADMIN)
        ]
        session.add_all(users)
        await session.commit()
    staff, admin = (
        {
            "Authorization": "Bearer "
            + create_access_token(settings, subject=u.id, role=u.role, store_id=u.store_id)
        }
        for u in users
    )
    for number in range(extra_types):
        body = {"name": f"Bench milk {number}", "category": "dairy"}
        await _ok(client.post(f"{M}/admin/milk-types", json=body, headers=admin))
    types = (await _ok(client.get(f"{M}/milk-types", headers=staff)))["milk_types"]
    for milk_type in types:
        await _ok(
            client.put(
                f"{M}/admin/par-levels/{milk_type['id']}", json={"par_value": 50}, headers=admin
            )
        )
    clock = FixedClock(dt.datetime.now(dt.UTC) - dt.timedelta(days=history + 1))
    app.state.clock = clock
    for _ in range(history):
        await _cycle(client, staff, types)
        clock.advance(dt.timedelta(days=1))
    app.state.clock = SystemClock()
    return staff, admin, types


async def measure(
    label: str,
    run: Callable[[], Awaitable[None]],
    statements: Statements,
    *,
    requests: int,
    rounds: int,
    untimed: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """The best CPU per request of `run` over `rounds`; `untimed` resets state in between."""
    for _ in range(10):
        await run()
        if untimed:
            await untimed()
    best = float("inf")
    per_request = 0.0
    for _ in range(rounds):
        spent, sent = 0.0, 0
        for _ in range(requests):
            before, started = statements.count, time.process_time()
            await run()
            spent += time.process_time() - started
            sent += statements.count - before
            if untimed:
                await untimed()
        best = min(best, spent / requests)
        per_request = sent / requests
    print(f"{1000 * best:7.3f} ms CPU/request  {per_request:4.1f} statements  {label}")


async def main(args: argparse.Namespace) -> None:
    async with throwaway_database(args.sqlite) as url:
        await asyncio.to_thread(upgrade, url)
        settings = load_settings(
            DATABASE_URL=url, SECRET_KEY=SECRET, PIN_PEPPER=SECRET, ENVIRONMENT="development",
            LOG_LEVEL="WARNING", RATE_LIMIT_ENABLED=False, DATA_DIR=Path(tempfile.gettempdir()),
        )  # fmt: skip
        app = create_app(settings)
        statements = Statements()
        event.listen(app.state.db.engine.sync_engine, "before_cursor_execute", statements)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                staff, admin, types = await seed(app, client, args.history, args.extra_types)
                sid = (await _ok(client.post(f"{M}/sessions/start", headers=staff)))["session"][
                    "id"
                ]
                done = await _ok(client.get(f"{M}/history?status=completed&limit=1", headers=staff))
                finished = done["sessions"][0]["id"]
                engine = "SQLite" if args.sqlite else "PostgreSQL"
                print(f"{engine}, {len(types)} milk types, {args.history} completed sessions")
                kwargs = {"requests": args.requests, "rounds": args.rounds}

                async def today() -> None:
                    await _ok(client.get(f"{M}/sessions/today", headers=staff))

                foh = {"counts": _lines(types, "foh_count", 7)}

                async def save() -> None:
                    await _ok(client.put(f"{M}/sessions/{sid}/night-foh", json=foh, headers=staff))

                async def reopen() -> None:
                    body = {"phase": "night_foh"}
                    await _ok(client.put(f"{M}/sessions/{sid}/reopen", json=body, headers=admin))

                async def summary() -> None:
                    await _ok(client.get(f"{M}/sessions/{finished}/summary", headers=staff))

                async def history() -> None:
                    await _ok(client.get(f"{M}/history?limit=30", headers=staff))

                await measure("GET sessions/today", today, statements, **kwargs)
                await measure(
                    f"PUT night-foh ({len(types)} types)",
                    save,
                    statements,
                    untimed=reopen,
                    **kwargs,
                )
                await measure("GET sessions/{id}/summary", summary, statements, **kwargs)
                await measure("GET history?limit=30", history, statements, **kwargs)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file")
    parser.add_argument("--history", type=int, default=60, help="completed sessions to seed")
    parser.add_argument("--extra-types", type=int, default=0, help="milk types beyond the nine")
    parser.add_argument("--requests", type=int, default=200, help="requests per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best is kept")
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    cli()
