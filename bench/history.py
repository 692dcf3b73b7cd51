"""History-list benchmarks: tracking history, milk-count history and RTD&E history, small
and large.

    .venv/bin/python bench/history.py                    # 10^6 tracking rows, 20 stores
    .venv/bin/python bench/history.py --rows 100000      # a quicker large set

Like bench/activity.py: a throwaway PostgreSQL database, migrated and seeded in bulk
(`INSERT ... SELECT ... FROM generate_series`), settled (`VACUUM (ANALYZE)`,
`CHECKPOINT`), Backroom served by `backroom serve` with production settings, each list
timed one request at a time on the small set and again on the large one.

Sizes of the large set (over all stores): tracking history `--rows` rows; RTD&E
sessions a tenth of that, completed; milk-count sessions one per store and day for
`--rows / (100 x stores)` days. The small set (3,000 rows, 1,000 sessions, 40 days)
fills the first page of every list in every store, so both sets page and count alike.

Target (issue 13): each history list on the large set within 1.3x of the small one.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import tempfile
import uuid
from pathlib import Path

import asyncpg
import httpx

import seed
from activity import Population, seed_people, timed
from harness import server_env
from servers import backroom_server

ITEMS_PER_STORE = 10
SCENARIOS = {
    "GET /api/tracking/history": "/api/tracking/history?limit=100",
    "GET /api/tracking/history?action=remove": "/api/tracking/history?limit=100&action=remove",
    "GET /api/milk-count/history": "/api/milk-count/history?limit=30",
    "GET /api/rtde/sessions/history": "/api/rtde/sessions/history?limit=30",
}


async def seed_items(conn: asyncpg.Connection, people: Population) -> None:
    """A few tracking items per store, for the history rows to name."""
    await seed.insert_select(
        conn,
        "tracking_item",
        {
            "id": "gen_random_uuid()",
            "store_id": f"($1::uuid[])[1 + n % {len(people.stores)}]",
            "name": "'Vanilla Syrup ' || n",
            "category": "'syrups'",
            "code": "lpad(n::text, 4, '0')",
            "added_by": f"($2::uuid[])[1 + n % {len(people.stores)}]",
            "added_at": "now()",
            "is_removed": "false",
            "version": "1",
            "created_at": "now()",
            "updated_at": "now()",
        },
        f"generate_series(0, {ITEMS_PER_STORE * len(people.stores) - 1}) AS n",
        people.stores,
        people.admins,
    )


Span = tuple[int, int]


def sizes(rows: int, stores: int) -> tuple[int, int, int]:
    """Tracking rows, RTD&E sessions and milk-count days of a set of `rows`."""
    return rows, rows // 10, max(1, rows // (100 * stores))


# The small set fills every list's first page in every store (100 tracking rows, 30
# sessions), so both sets serialise the same page and count the same way.
SMALL = (3_000, 1_000, 40)


async def seed_history(
    conn: asyncpg.Connection, people: Population, tracking: Span, rtde: Span, milk_days: Span
) -> None:
    """The rows of each span, going back in time (a minute, ten minutes, a day apart)."""
    stores = len(people.stores)
    await seed.insert_select(
        conn,
        "tracking_history",
        {
            "id": "gen_random_uuid()",
            "store_id": "i.store_id",
            "item_id": "i.id",
            "item_name": "i.name",
            "item_code": "i.code",
            "action": "CASE WHEN n % 2 = 0 THEN 'ADD' ELSE 'REMOVE' END",
            "user_id": "i.added_by",
            "user_name": "'Bench Admin'",
            "timestamp": "now() - n * interval '1 minute'",
        },
        "generate_series($1::int, $2::int) AS n JOIN LATERAL (SELECT * FROM tracking_item "
        f"WHERE store_id = ($3::uuid[])[1 + n % {stores}] OFFSET n % {ITEMS_PER_STORE} "
        "LIMIT 1) AS i ON true",
        *tracking,
        people.stores,
    )
    await seed.insert_select(
        conn,
        "rtde_session",
        {
            "id": "gen_random_uuid()",
            "store_id": f"($3::uuid[])[1 + n % {stores}]",
            "user_id": f"($4::uuid[])[1 + n % {stores}]",
            "status": "'completed'",
            "started_at": "now() - n * interval '10 minutes'",
            "expires_at": "now() - n * interval '10 minutes' + interval '30 minutes'",
            "completed_at": "now() - n * interval '10 minutes' + interval '12 minutes'",
            "created_at": "now()",
            "updated_at": "now()",
        },
        "generate_series($1::int, $2::int) AS n",
        *rtde,
        people.stores,
        people.admins,
    )
    if milk_days[1] >= milk_days[0]:
        await seed.insert_select(
            conn,
            "milk_session",
            {
                "id": "gen_random_uuid()",
                "store_id": "s.id",
                "business_date": "current_date - d",
                "status": "'completed'",
                "completed_at": "now() - d * interval '1 day'",
                "created_at": "now() - d * interval '1 day'",
                "updated_at": "now() - d * interval '1 day'",
            },
            "generate_series($1::int, $2::int) AS d CROSS JOIN unnest($3::uuid[]) AS s(id)",
            *milk_days,
            people.stores,
        )
    for table in ("tracking_history", "rtde_session", "milk_session"):
        await conn.execute(f"VACUUM (ANALYZE) {table}")
    await conn.execute("CHECKPOINT")


async def run(args: argparse.Namespace) -> None:
    name = f"backroom_bench_history_{secrets.token_hex(4)}"
    await seed.create_database(args.host, args.db_port, name)
    workdir = Path(tempfile.mkdtemp(prefix="backroom-bench-history-"))
    database_url = f"postgresql+asyncpg://postgres@{args.host}:{args.db_port}/{name}"
    env = server_env(workdir, database_url)
    dsn = seed.database_dsn(args.host, args.db_port, name)
    try:
        seed.migrate(env)
        conn = await asyncpg.connect(dsn)
        try:
            people = await seed_people(conn, args.stores)
            await seed_items(conn, people)
            await seed_history(conn, people, *((1, size) for size in SMALL))
        finally:
            await conn.close()
        from backroom.core.config import load_settings
        from backroom.core.security import create_access_token

        names = ("ENVIRONMENT", "SECRET_KEY", "PIN_PEPPER", "DATA_DIR", "ACCESS_TOKEN_TTL")
        settings = load_settings(**{key: env[key] for key in names})
        token = create_access_token(
            settings,
            subject=uuid.UUID(people.admins[0]),
            role="admin",
            store_id=uuid.UUID(people.stores[0]),
        )
        headers = {"Authorization": f"Bearer {token}"}
        with backroom_server(env, args.port, 1, workdir / "backroom.log") as server:
            async with httpx.AsyncClient(
                base_url=server.url, headers=headers, timeout=120
            ) as client:
                small = {
                    key: await timed(client, path, args.requests) for key, path in SCENARIOS.items()
                }
                conn = await asyncpg.connect(dsn)
                try:
                    targets = sizes(args.rows, args.stores)
                    spans = [(have + 1, want) for have, want in zip(SMALL, targets, strict=True)]
                    await seed_history(conn, people, *spans)
                finally:
                    await conn.close()
                after = {
                    key: await timed(client, path, args.requests) for key, path in SCENARIOS.items()
                }
        print(
            f"\n{args.rows:,} tracking rows over {args.stores} stores; median of {args.requests}\n"
        )
        print(f"| scenario | {SMALL[0]:,} rows (ms) | {args.rows:,} rows (ms) | ratio |")
        print("|---|---:|---:|---:|")
        for key, value in after.items():
            print(f"| {key} | {small[key]:.2f} | {value:.2f} | {value / small[key]:.2f} |")
    finally:
        await seed.drop_database(args.host, args.db_port, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per scenario")
    parser.add_argument("--port", type=int, default=8766, help="Backroom's port")
    parser.add_argument("--host", default="127.0.0.1", help="PostgreSQL host")
    parser.add_argument("--db-port", type=int, default=5432)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
