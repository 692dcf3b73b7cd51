"""RTD&E scenarios, in-process: what the tablet does most, on a display of 40 items.

    .venv/bin/python bench/rtde.py                 # a throwaway SQLite file
    .venv/bin/python bench/rtde.py --postgres      # a throwaway PostgreSQL database
                                                   # (127.0.0.1:5432, user postgres)

Scenarios: `PUT .../count` in a loop over the 40 items (the debounced saves of a walk
along the display), `GET sessions/{id}` with 40 items, and the pull list with the
uncounted items. For each: wall and CPU time per request (the best of several rounds,
one request at a time through ASGI, no uvicorn), and the SQL statements per request,
which must not grow with the number of items. The figures include the test client's
own work, so compare them with each other, not with the wrk table of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine

from backroom.accounts.models import Role, Store, User
from backroom.app import create_app
from backroom.core.config import load_settings
from backroom.core.db import utcnow
from backroom.core.migrations import upgrade
from backroom.core.security import create_access_token
from backroom.tools.rtde.models import RTDEItem

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


async def _postgres_database(create: bool, name: str) -> None:
    admin = create_async_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        statement = (
            f'CREATE DATABASE "{name}"' if create else f'DROP DATABASE "{name}" WITH (FORCE)'
        )
        await connection.execute(text(statement))
    await admin.dispose()


async def _seed(app: Any, items: int) -> tuple[str, list[str]]:
    """A store, a staff member (their bearer token) and `items` display items."""
    async with app.state.db.sessionmaker() as session:
        store = Store(name="Bench Store", timezone="America/Los_Angeles")
        session.add(store)
        await session.flush()
        staff = User(first_name="Bench", last_name="Staff", role="staff", store_id=store.id)
        rows = [
            RTDEItem(
                store_id=store.id,
                name=f"Item {number:02d}",
                par_level=6,
                display_order=number,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
            for number in range(1, items + 1)
        ]
        session.add_all([staff, *rows])
        await session.commit()
        token = create_access_token(
            app.state.settings, subject=staff.id, role=Role.STAFF.value, store_id=store.id
        )
        return token, [str(row.id) for row in rows]


async def _time(
    call: Callable[[int], Awaitable[httpx.Response]], requests: int, rounds: int
) -> tuple[float, float]:
    """The best wall and CPU milliseconds per request over `rounds` rounds."""
    best_wall = best_cpu = float("inf")
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        for number in range(requests):
            response = await call(number)
            if response.status_code != 200:
                raise SystemExit(f"unexpected {response.status_code}: {response.text[:200]}")
        best_wall = min(best_wall, (time.perf_counter() - wall) / requests)
        best_cpu = min(best_cpu, (time.process_time() - cpu) / requests)
    return 1000 * best_wall, 1000 * best_cpu


async def run(database_url: str, data_dir: Path, items: int, rounds: int) -> None:
    await asyncio.to_thread(upgrade, database_url)
    settings = load_settings(
        DATABASE_URL=database_url, DATA_DIR=data_dir, LOG_LEVEL="WARNING", METRICS_ENABLED=False
    )
    app = create_app(settings)
    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    async with app.router.lifespan_context(app):
        token, item_ids = await _seed(app, items)
        headers = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            started = await client.post("/api/rtde/sessions/start", json={}, headers=headers)
            url = f"/api/rtde/sessions/{started.json()['session_id']}"
            scenarios: dict[str, Callable[[int], Awaitable[httpx.Response]]] = {
                "GET /api/auth/me (for comparison)": lambda _n: client.get(
                    "/api/auth/me", headers=headers
                ),
                f"PUT count, looping over {items} items": lambda n: client.put(
                    f"{url}/count",
                    json={"item_id": item_ids[n % items], "counted_quantity": n % 10},
                    headers=headers,
                ),
                f"GET session ({items} items)": lambda _n: client.get(url, headers=headers),
                "GET pull list (include_uncounted)": lambda _n: client.get(
                    f"{url}/pull-list?include_uncounted=true", headers=headers
                ),
            }
            engine = app.state.db.engine.sync_engine
            print(f"{'scenario':40} {'wall ms':>8} {'CPU ms':>8} {'SQL/req':>8}")
            for title, call in scenarios.items():
                for number in range(20):  # warm the pool and the statement caches
                    await call(number)
                wall, cpu = await _time(call, requests=4 * items, rounds=rounds)
                statements = 0
                event.listen(engine, "before_cursor_execute", count)
                await call(0)
                event.remove(engine, "before_cursor_execute", count)
                print(f"{title:40} {wall:8.3f} {cpu:8.3f} {statements:8d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL database")
    parser.add_argument("--items", type=int, default=40, help="items on the display")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best is kept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="backroom-rtde-bench-") as folder:
        if not args.postgres:
            url = f"sqlite+aiosqlite:///{folder}/bench.db"
            asyncio.run(run(url, Path(folder), args.items, args.rounds))
            return
        name = f"backroom_bench_rtde_{uuid.uuid4().hex[:8]}"
        asyncio.run(_postgres_database(True, name))
        try:
            url = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
            asyncio.run(run(url, Path(folder), args.items, args.rounds))
        finally:
            asyncio.run(_postgres_database(False, name))


if __name__ == "__main__":
    main()
