"""Audit trail benchmarks: the feeds, the audit search and the CSV export, small and large.

    .venv/bin/python bench/activity.py                  # 10^3 then 10^6 events, 20 stores
    .venv/bin/python bench/activity.py --events 100000  # a quicker large set

A throwaway PostgreSQL database is created, migrated and seeded in bulk
(`INSERT ... SELECT ... FROM generate_series`); Backroom is served by `backroom serve`
with production settings; each scenario is timed one request at a time (the latency
of one request, not the throughput under load) on the small set and again on the large
set. The export is timed in rows per second, and the server's peak RSS is measured
during an export of 10^3 and then of 5x10^4 rows (the peak is reset before each one).
The database is dropped at the end.

Targets (issue 11): feeds and audit pages on the large set within 1.3x of the small one;
peak RSS growing less than 20 MiB between the two exports.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

import seed
from harness import server_env
from servers import backroom_server

SMALL_EVENTS = 1_000
DEEP_PAGES = 500
PAGE = 50
SMALL_EXPORT = 1_000
LARGE_EXPORT = 50_000
MIB = 1024 * 1024
ACTIONS = [
    "tracking.item.added",
    "tracking.item.removed",
    "milk_count.session.night_foh_saved",
    "rtde.session.completed",
    "accounts.user.created",
    "milk_count.par_level.updated",
    "auth.login.succeeded",
]
LABELS = ["Vanilla Syrup", "Mocha Sauce", "Oat Milk", "Cold Brew", "Dark Roast", "Lids 12oz"]


@dataclass
class Population:
    stores: list[str]
    admins: list[str]


async def seed_people(conn: asyncpg.Connection, stores: int) -> Population:
    store_ids = [str(uuid.uuid4()) for _ in range(stores)]
    admin_ids = [str(uuid.uuid4()) for _ in range(stores)]
    for number, (store_id, admin_id) in enumerate(zip(store_ids, admin_ids, strict=True)):
        await conn.execute(
            "INSERT INTO store (id, name, timezone, created_at, updated_at) "
            "VALUES ($1, $2, 'America/Los_Angeles', now(), now())",
            uuid.UUID(store_id),
            f"Bench store {number}",
        )
        await seed.insert_select(
            conn,
            "user",
            {
                "id": "$1::uuid",
                "email": "$2",
                "first_name": "'Bench'",
                "last_name": "'Admin'",
                "role": "'admin'",
                "store_id": "$3::uuid",
                "is_active": "true",
                "created_at": "now()",
                "updated_at": "now()",
            },
            "(SELECT 1) AS one",
            admin_id,
            f"admin{number}@bench.example",
            store_id,
        )
    return Population(store_ids, admin_ids)


async def seed_events(conn: asyncpg.Connection, people: Population, first: int, last: int) -> None:
    """Events `first..last`, one a second going back in time, spread over the stores."""
    stores = len(people.stores)
    await seed.insert_select(
        conn,
        "audit_event",
        {
            "id": "gen_random_uuid()",
            "at": "now() - n * interval '1 second'",
            "action": f"($3::text[])[1 + n % {len(ACTIONS)}]",
            "actor_id": f"($5::uuid[])[1 + n % {stores}]",
            "actor_name": "'Bench Admin'",
            "store_id": f"($4::uuid[])[1 + n % {stores}]",
            "target_type": "'tracking_item'",
            "target_id": "n::text",
            "target_label": f"($6::text[])[1 + n % {len(LABELS)}] || ' ' || n",
            "details": (
                "json_build_object('code', lpad((n % 10000)::text, 4, '0'), 'category', "
                f"'syrups', 'name', ($6::text[])[1 + n % {len(LABELS)}])"
            ),
            "request_id": "md5(n::text)",
            "ip": "'127.0.0.1'",
        },
        "generate_series($1::int, $2::int) AS n",
        first,
        last,
        ACTIONS,
        people.stores,
        people.admins,
        LABELS,
    )
    # Settle the bulk load before timing: set the hint bits and the visibility map
    # (VACUUM), refresh the statistics, and write the dirty pages out (CHECKPOINT), so
    # that neither autovacuum nor the checkpointer runs during the timed requests.
    await conn.execute("VACUUM (ANALYZE) audit_event")
    await conn.execute("CHECKPOINT")


def _status(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key}")


def rss(pid: int) -> int:
    """The server's resident set now, in bytes."""
    return _status(pid, "VmRSS")


def reset_peak(pid: int) -> None:
    """Start the peak resident set (VmHWM) afresh from the current one (Linux 4.0+).

    Without it a peak reached before (start-up, an earlier scenario) would hide any
    growth during the export that stays below it.
    """
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_rss(pid: int) -> int:
    """The peak resident set of the server's process since `reset_peak`, in bytes."""
    return _status(pid, "VmHWM")


async def export_peak(
    client: httpx.AsyncClient, pid: int, since: str
) -> tuple[int, float, int, int]:
    """Rows, seconds, and the resident set before and at its peak during one export."""
    reset_peak(pid)
    before = rss(pid)
    rows, seconds = await export(client, since)
    return rows, seconds, before, peak_rss(pid)


async def timed(client: httpx.AsyncClient, path: str, requests: int) -> float:
    """The median latency of `path`, in milliseconds, after a few warm-up requests."""
    for _ in range(5):
        (await client.get(path)).raise_for_status()
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        (await client.get(path)).raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def deep_cursor(client: httpx.AsyncClient) -> str | None:
    cursor = None
    for _ in range(DEEP_PAGES):
        params = {"limit": PAGE, **({"cursor": cursor} if cursor else {})}
        cursor = (await client.get("/api/audit", params=params)).json()["next_cursor"]
        if cursor is None:
            return None
    return cursor


async def export(client: httpx.AsyncClient, since: str | None) -> tuple[int, float]:
    """Rows exported and seconds taken, reading the stream as it comes."""
    rows, started = 0, time.perf_counter()
    params = {"since": since} if since else {}
    async with client.stream("GET", "/api/audit/export", params=params) as response:
        response.raise_for_status()
        async for chunk in response.aiter_bytes():
            rows += chunk.count(b"\r\n")
    return rows - 1, time.perf_counter() - started


async def scenarios(client: httpx.AsyncClient, requests: int) -> dict[str, float]:
    results = {
        "GET /api/activity/recent": await timed(client, "/api/activity/recent", requests),
        "GET /api/admin/activity": await timed(client, "/api/admin/activity", requests),
        "GET /api/audit (page 1)": await timed(client, f"/api/audit?limit={PAGE}", requests),
        "GET /api/audit?q=vani": await timed(client, f"/api/audit?limit={PAGE}&q=vani", requests),
    }
    cursor = await deep_cursor(client)
    if cursor is not None:
        path = f"/api/audit?limit={PAGE}&cursor={cursor}"
        results[f"GET /api/audit (page {DEEP_PAGES + 1})"] = await timed(client, path, requests)
    return results


def _since_for(rows: int, stores: int) -> str:
    """An instant that leaves about `rows` of one store's events after it (1 event/second)."""
    seconds = rows * stores
    instant = time.time() - seconds
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(instant))


async def run(args: argparse.Namespace) -> None:
    name = f"backroom_bench_activity_{secrets.token_hex(4)}"
    await seed.create_database(args.host, args.db_port, name)
    workdir = Path(tempfile.mkdtemp(prefix="backroom-bench-activity-"))
    database_url = f"postgresql+asyncpg://postgres@{args.host}:{args.db_port}/{name}"
    env = server_env(workdir, database_url)
    try:
        seed.migrate(env)
        conn = await asyncpg.connect(seed.database_dsn(args.host, args.db_port, name))
        try:
            people = await seed_people(conn, args.stores)
            await seed_events(conn, people, 1, SMALL_EVENTS)
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
        server = backroom_server(env, args.port, 1, workdir / "backroom.log")
        with server:
            async with httpx.AsyncClient(
                base_url=server.url, headers=headers, timeout=120
            ) as client:
                small = await scenarios(client, args.requests)
                conn = await asyncpg.connect(seed.database_dsn(args.host, args.db_port, name))
                try:
                    await seed_events(conn, people, SMALL_EVENTS + 1, args.events)
                finally:
                    await conn.close()
                large = await scenarios(client, args.requests)
                pid = server.pid
                small_since = _since_for(SMALL_EXPORT, args.stores)
                small_rows, _, before, after_small = await export_peak(client, pid, small_since)
                large_since = _since_for(LARGE_EXPORT, args.stores)
                large_rows, seconds, _, after_large = await export_peak(client, pid, large_since)
        print(f"\n{args.events:,} events over {args.stores} stores; median of {args.requests}\n")
        print(f"| scenario | {SMALL_EVENTS:,} events (ms) | {args.events:,} events (ms) | ratio |")
        print("|---|---:|---:|---:|")
        for key, value in large.items():
            # The small set has no page 501: a deep page is held to page 1's latency.
            base = small.get(key, small["GET /api/audit (page 1)"] if "(page " in key else None)
            if base is None:
                print(f"| {key} | - | {value:.2f} | - |")
            else:
                print(f"| {key} | {base:.2f} | {value:.2f} | {value / base:.2f} |")
        print(
            f"\nexport: {large_rows:,} rows in {seconds:.2f} s ({large_rows / seconds:,.0f} rows/s)"
        )
        print(
            f"server RSS: {before / MIB:.1f} MiB before exporting; peak {after_small / MIB:.1f} "
            f"MiB while exporting {small_rows:,} rows, {after_large / MIB:.1f} MiB while "
            f"exporting {large_rows:,} rows (+{(after_large - after_small) / MIB:.1f} MiB)"
        )
    finally:
        await seed.drop_database(args.host, args.db_port, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per scenario")
    parser.add_argument("--port", type=int, default=8765, help="Backroom's port")
    parser.add_argument("--host", default="127.0.0.1", help="PostgreSQL host")
    parser.add_argument("--db-port", type=int, default=5432)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
