"""The bench database: created, migrated, filled in bulk and dropped.

Rows are generated inside PostgreSQL (`INSERT ... SELECT ... FROM generate_series`),
so a million tasks take seconds and no Python loop. The column lists are read from
the migrated schema, so a NOT NULL column added later still gets a value of its type.
Argon2id hashes are computed once by Backroom itself and copied to every bench user.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
BENCH_PASSWORD = "bench-password-correct-horse"
BENCH_PIN = "4826"
TITLE_WORDS = [
    "restock the milk fridge",
    "order cups",
    "clean the espresso machine",
    "count syrups",
    "check the pastry case",
    "call the district manager",
    "rotate the RTD&E shelf",
    "update the schedule",
    "descale the kettles",
    "file the waste log",
    "prep cold brew",
    "train the new partner",
    "fix the door sign",
    "print labels",
    "empty the grounds bin",
    "review the deployment",
    "count lids",
    "wipe the condiment bar",
    "email the landlord",
    "plan the holiday launch",
]
TAGS = ["urgent", "weekly", "opening", "closing", "inventory", "people", "cleaning", "admin"]
# The filtered-list scenario asks for pending tasks tagged `urgent` whose text holds "milk".
FILTER_QUERY = "status=pending&tag=urgent&search=milk"

# A value for a NOT NULL column the seeder does not know, by PostgreSQL type.
_TYPE_DEFAULTS = {
    "boolean": "false",
    "integer": "0",
    "bigint": "0",
    "smallint": "0",
    "character varying": "''",
    "text": "''",
    "uuid": "gen_random_uuid()",
    "timestamp with time zone": "now()",
    "timestamp without time zone": "now()",
    "date": "current_date",
    "json": "'{}'::json",
    "jsonb": "'{}'::jsonb",
}


def admin_dsn(host: str, port: int) -> str:
    return f"postgresql://postgres@{host}:{port}/postgres"


def database_dsn(host: str, port: int, name: str) -> str:
    return f"postgresql://postgres@{host}:{port}/{name}"


async def create_database(host: str, port: int, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn(host, port))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(host: str, port: int, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn(host, port))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def migrate(env: dict[str, str]) -> None:
    """`backroom db upgrade`, exactly as an operator would run it."""
    backroom = Path(sys.executable).with_name("backroom")
    subprocess.run([str(backroom), "db", "upgrade"], env=env, check=True, cwd=ROOT)


@dataclass
class Column:
    name: str
    type: str
    nullable: bool
    has_default: bool


async def columns(conn: asyncpg.Connection, table: str) -> dict[str, Column]:
    rows = await conn.fetch(
        "SELECT column_name, data_type, is_nullable, column_default, is_identity "
        "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
        table,
    )
    return {
        row["column_name"]: Column(
            name=row["column_name"],
            type=row["data_type"],
            nullable=row["is_nullable"] == "YES",
            has_default=row["column_default"] is not None or row["is_identity"] == "YES",
        )
        for row in rows
    }


async def insert_select(
    conn: asyncpg.Connection, table: str, values: dict[str, str], source: str, *args: object
) -> str:
    """INSERT INTO table SELECT <values> FROM <source>; unknown NOT NULL columns get defaults."""
    known = await columns(conn, table)
    if not known:
        raise RuntimeError(f"table {table!r} does not exist in the migrated schema")
    chosen = {name: expr for name, expr in values.items() if name in known}
    for column in known.values():
        if column.name not in chosen and not column.nullable and not column.has_default:
            if column.type not in _TYPE_DEFAULTS:
                raise RuntimeError(f"{table}.{column.name}: no bench value for type {column.type}")
            chosen[column.name] = _TYPE_DEFAULTS[column.type]
    names = ", ".join(f'"{name}"' for name in chosen)
    exprs = ", ".join(chosen.values())
    return str(
        await conn.execute(f'INSERT INTO "{table}" ({names}) SELECT {exprs} FROM {source}', *args)
    )


@dataclass
class Population:
    """Who the bench signs in as, and which ids it asks for."""

    store_id: str = ""
    owner_id: str = ""
    owner_email: str = "owner@bench.example"
    login_emails: list[str] = field(default_factory=list)
    login_partners: list[str] = field(default_factory=list)
    filler_users: int = 0


async def seed_users(
    conn: asyncpg.Connection, password_hash: str, pin_hash: str | None, logins: int, fillers: int
) -> Population:
    """A store, the bench owner, `logins` users to sign in as, `fillers` owners of other tasks."""
    store_id = await conn.fetchval(
        "INSERT INTO store (id, name, timezone, created_at, updated_at) "
        "VALUES (gen_random_uuid(), 'Bench store', 'America/Los_Angeles', now(), now()) "
        "RETURNING id::text"
    )
    common = {
        "id": "gen_random_uuid()",
        "password_hash": "$1",
        "pin_hash": "$2",
        "role": "'staff'",
        "store_id": "$3::uuid",
        "is_active": "true",
        "failed_login_count": "0",
        "lockout_count": "0",
        "created_at": "now() - g * interval '1 minute'",
        "updated_at": "now() - g * interval '1 minute'",
    }
    await insert_select(
        conn,
        "user",
        {
            **common,
            "email": "'owner@bench.example'",
            "partner_number": "'90000000'",
            "first_name": "'Bench'",
            "last_name": "'Owner'",
        },
        "generate_series(0, 0) AS g",
        password_hash,
        pin_hash,
        store_id,
    )
    await insert_select(
        conn,
        "user",
        {
            **common,
            "email": "'login' || g || '@bench.example'",
            "partner_number": "(91000000 + g)::text",
            "first_name": "'Login'",
            "last_name": "'User ' || g",
        },
        "generate_series(1, $4) AS g",
        password_hash,
        pin_hash,
        store_id,
        logins,
    )
    await insert_select(
        conn,
        "user",
        {
            **common,
            "email": "'filler' || g || '@bench.example'",
            "first_name": "'Filler'",
            "last_name": "'User ' || g",
            "role": "'user'",
        },
        "generate_series(1, $4) AS g",
        password_hash,
        pin_hash,
        store_id,
        fillers,
    )
    owner_id = await conn.fetchval(
        "SELECT id::text FROM \"user\" WHERE email = 'owner@bench.example'"
    )
    return Population(
        store_id=str(store_id),
        owner_id=str(owner_id),
        login_emails=[f"login{i}@bench.example" for i in range(1, logins + 1)],
        login_partners=[str(91000000 + i) for i in range(1, logins + 1)],
        filler_users=fillers,
    )


def _task_values(table_columns: dict[str, Column]) -> dict[str, str]:
    """SQL expressions for the columns of a task numbered g (the owner is added by the caller).

    Both spellings of a column the schema may use are given; only those that exist are used.
    """
    words = "ARRAY[" + ", ".join(f"'{word}'" for word in TITLE_WORDS) + "]"
    title = f"initcap(({words})[1 + g % {len(TITLE_WORDS)}]) || ' #' || g"
    created = "(now() - g * interval '37 seconds')"
    due = f"CASE WHEN g % 2 = 1 THEN {created} + (g % 30) * interval '1 day' END"
    priority = table_columns.get("priority")
    values = {
        "title": title,
        "title_key": f"lower({title})",
        "description": "CASE WHEN g % 4 = 0 THEN NULL ELSE 'Notes for task ' || g END",
        "completed": "(g % 3 = 0)",
        "priority": "1 + g % 3"
        if priority is not None and priority.type in {"integer", "smallint", "bigint"}
        else "(ARRAY['low', 'medium', 'high'])[1 + g % 3]",
        "due_date": due,
        "due_at": due,
        "created_at": created,
        "updated_at": created,
        "completed_at": f"CASE WHEN g % 3 = 0 THEN {created} + interval '1 hour' END",
        "version": "1",
    }
    tags_column = table_columns.get("tags")
    if tags_column is not None:
        pair = f"{_tag_sql('g', 0)}, {_tag_sql('g', 1)}"
        if tags_column.type == "ARRAY":
            values["tags"] = f"ARRAY[{pair}]"
        elif tags_column.type in {"json", "jsonb"}:
            values["tags"] = f"{tags_column.type}_build_array({pair})"
        else:
            values["tags"] = f"json_build_array({pair})::text"
    return values


def _tag_sql(number: str, position: int) -> str:
    """The tag at `position` (0 or 1) of task `number`: two different tags per task."""
    tags = "ARRAY[" + ", ".join(f"'{tag}'" for tag in TAGS) + "]"
    first = f"({number} % {len(TAGS)})"
    if position == 0:
        return f"({tags})[1 + {first}]"
    return f"({tags})[1 + ({first} + 1 + ({number} / {len(TAGS)}) % {len(TAGS) - 1}) % {len(TAGS)}]"


async def _seed_tag_rows(conn: asyncpg.Connection) -> None:
    """Tags in their own table (task_id, name, folded name, owner, position), when it exists."""
    if not await columns(conn, "task_tag"):
        return
    await conn.execute('TRUNCATE TABLE "task_tag"')
    for position in (0, 1):
        tag = _tag_sql("t.id", position)
        await insert_select(
            conn,
            "task_tag",
            {
                "task_id": "t.id",
                "name": tag,
                "name_key": f"lower({tag})",
                "user_id": "t.user_id",
                "position": str(position),
            },
            "task AS t",
        )


async def seed_tasks(
    conn: asyncpg.Connection, population: Population, owner_count: int, total: int
) -> None:
    """`owner_count` tasks for the bench owner, the rest of `total` spread over the fillers."""
    counted = await conn.fetchval("SELECT to_regclass('task_count') IS NOT NULL")
    await conn.execute(
        'TRUNCATE TABLE "task"'
        + (', "task_count"' if counted else "")
        + " RESTART IDENTITY CASCADE"
    )
    # Row triggers (the per-owner counters) off for the bulk load; the counts are
    # recomputed in one statement at the end.
    await conn.execute("SET session_replication_role = replica")
    table_columns = await columns(conn, "task")
    values = _task_values(table_columns)
    await insert_select(
        conn,
        "task",
        {**values, "user_id": "$1::uuid"},
        "generate_series(1, $2) AS g",
        population.owner_id,
        owner_count,
    )
    if total > owner_count and population.filler_users:
        await insert_select(
            conn,
            "task",
            {**values, "user_id": "fillers.ids[1 + g % cardinality(fillers.ids)]"},
            "generate_series(1, $1) AS g, "
            "(SELECT array_agg(id) AS ids FROM \"user\" WHERE email LIKE 'filler%') AS fillers",
            total - owner_count,
        )
    await _seed_tag_rows(conn)
    await conn.execute("SET session_replication_role = DEFAULT")
    if counted:
        await conn.execute(
            "INSERT INTO task_count (user_id, total, completed) "
            "SELECT user_id, count(*), count(*) FILTER (WHERE completed) FROM task GROUP BY user_id"
        )
    await conn.execute("VACUUM ANALYZE")


async def sample_task_ids(conn: asyncpg.Connection, owner_id: str, count: int) -> list[int]:
    rows = await conn.fetch(
        "SELECT id FROM task WHERE user_id = $1::uuid ORDER BY random() LIMIT $2", owner_id, count
    )
    return [int(row["id"]) for row in rows]


async def copy_to_sqlite(source_url: str, target_url: str) -> None:
    """Every row of the bench database into a migrated SQLite file, table by table.

    `task_count` is left out: the SQLite triggers count the copied tasks themselves.
    """
    from sqlalchemy import insert, select
    from sqlalchemy.ext.asyncio import create_async_engine

    from backroom.models import metadata

    source = create_async_engine(source_url)
    target = create_async_engine(target_url)
    try:
        async with source.connect() as reader, target.begin() as writer:
            for table in metadata.sorted_tables:
                if table.name == "task_count":
                    continue
                rows = [dict(row) for row in (await reader.execute(select(table))).mappings()]
                if rows:
                    await writer.execute(insert(table), rows)
    finally:
        await source.dispose()
        await target.dispose()
