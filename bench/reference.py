"""The reference server: what this machine's stack can do with no framework work at all.

Raw Starlette routes over an asyncpg pool, run by uvicorn exactly like Backroom (same
loop, same HTTP parser, same worker count). It runs the same SQL as Backroom's task and
account routes, but trusts a bearer token it was handed at start (no JWT decode) and
skips everything else Backroom does per request: validation models, rate limits,
audit rows, idempotency, metrics, request ids and security headers. Each Backroom
result is shown as a fraction of this one.

    BENCH_REFERENCE_DSN=postgresql://postgres@127.0.0.1:5432/db \
    BENCH_REFERENCE_TOKENS=<token>=<user uuid>[,...] \
    uvicorn reference:create_app --factory --app-dir bench
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TASK_COLUMNS = (
    "id, user_id, title, description, completed, priority, due_at, "
    "created_at, updated_at, completed_at, version"
)
PRIORITIES = {1: "low", 2: "medium", 3: "high"}
PRIORITY_RANKS = {label: rank for rank, label in PRIORITIES.items()}
TAGS_SQL = "SELECT task_id, name FROM task_tag WHERE task_id = ANY($1::int[]) ORDER BY position"
GET_SQL = f"SELECT {TASK_COLUMNS} FROM task WHERE id = $1 AND user_id = $2"
INSERT_SQL = (
    "INSERT INTO task (user_id, title, title_key, description, completed, priority, "
    "created_at, updated_at, version) "
    "VALUES ($1, $2::varchar, lower($2::varchar), $3, false, $4, now(), now(), 1) "
    f"RETURNING {TASK_COLUMNS}"
)
INSERT_TAG_SQL = (
    "INSERT INTO task_tag (task_id, name, name_key, user_id, position) "
    "VALUES ($1, $2::varchar, lower($2::varchar), $3, $4)"
)
# Every column, as the ORM loads the whole row.
ME_SQL = 'SELECT * FROM "user" WHERE id = $1'

UNAUTHORIZED = Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _task(row: asyncpg.Record, tags: list[str]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "user_id": str(row["user_id"]),
        "title": row["title"],
        "description": row["description"],
        "completed": row["completed"],
        "priority": PRIORITIES[row["priority"]],
        "due_date": _iso(row["due_at"]),
        "tags": tags,
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
        "completed_at": _iso(row["completed_at"]),
        "version": row["version"],
    }


async def _with_tags(conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> list[dict[str, Any]]:
    tags: dict[int, list[str]] = {row["id"]: [] for row in rows}
    if tags:
        for tag in await conn.fetch(TAGS_SQL, list(tags)):
            tags[tag["task_id"]].append(tag["name"])
    return [_task(row, tags[row["id"]]) for row in rows]


def _list_filters(params: Any, user_id: uuid.UUID) -> tuple[str, list[object]]:
    """The WHERE clause of the list: owner, status, search (title or description), tags."""
    clauses, args = ["user_id = $1"], [user_id]
    status = params.get("status", "all").lower()
    if status in {"pending", "active", "completed"}:
        clauses.append("completed" if status == "completed" else "NOT completed")
    if search := params.get("search"):
        args += [f"%{search.casefold()}%", f"%{search}%"]
        clauses.append(
            f"(title_key LIKE ${len(args) - 1} ESCAPE '\\' "
            f"OR description ILIKE ${len(args)} ESCAPE '\\')"
        )
    for tag in params.getlist("tag"):
        args.append(tag.casefold())
        clauses.append(
            f"id IN (SELECT task_id FROM task_tag WHERE user_id = $1 AND name_key = ${len(args)})"
        )
    return " AND ".join(clauses), args


async def _no_reset(_conn: asyncpg.Connection) -> None:
    return None


def create_app() -> Starlette:
    dsn = os.environ["BENCH_REFERENCE_DSN"]
    tokens: dict[str, uuid.UUID] = {}
    for pair in os.environ.get("BENCH_REFERENCE_TOKENS", "").split(","):
        if "=" in pair:
            token, user_id = pair.split("=", 1)
            tokens[f"Bearer {token}"] = uuid.UUID(user_id)
    pool: asyncpg.Pool | None = None

    def caller(request: Request) -> uuid.UUID | None:
        return tokens.get(request.headers.get("authorization", ""))

    def db() -> asyncpg.Pool:
        assert pool is not None
        return pool

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def me(request: Request) -> Response:
        user_id = caller(request)
        if user_id is None:
            return UNAUTHORIZED
        row = await db().fetchrow(ME_SQL, user_id)
        if row is None:
            return UNAUTHORIZED
        name = row["display_name"] or " ".join(
            part for part in (row["first_name"], row["last_name"]) if part
        )
        return JSONResponse(
            {
                "user": {
                    "id": str(row["id"]),
                    "email": row["email"],
                    "partner_number": row["partner_number"],
                    "name": name,
                    "first_name": row["first_name"],
                    "last_name": row["last_name"],
                    "role": row["role"],
                    "store_id": str(row["store_id"]) if row["store_id"] else None,
                    "is_active": row["is_active"],
                    "created_at": _iso(row["created_at"]),
                    "updated_at": _iso(row["updated_at"]),
                }
            }
        )

    async def list_tasks(request: Request) -> Response:
        user_id = caller(request)
        if user_id is None:
            return UNAUTHORIZED
        limit = int(request.query_params.get("limit", "50"))
        where, args = _list_filters(request.query_params, user_id)
        page_where = where
        if after := request.query_params.get("after_id"):
            args.append(int(after))
            page_where += f" AND id < ${len(args)}"
        args.append(limit + 1)
        page_sql = (
            f"SELECT {TASK_COLUMNS} FROM task WHERE {page_where} "
            f"ORDER BY id DESC LIMIT ${len(args)}"
        )
        async with db().acquire() as conn, conn.transaction():
            rows = await conn.fetch(page_sql, *args)
            body = await _with_tags(conn, rows[:limit])
            count_args = args[: len(args) - (2 if after else 1)]
            total = await conn.fetchval(f"SELECT count(*) FROM task WHERE {where}", *count_args)
        headers = {"X-Total-Count": str(total)}
        if len(rows) > limit:
            headers["Link"] = (
                f'</api/tasks?limit={limit}&after_id={rows[limit - 1]["id"]}>; rel="next"'
            )
        return JSONResponse(body, headers=headers)

    async def get_task(request: Request) -> Response:
        user_id = caller(request)
        if user_id is None:
            return UNAUTHORIZED
        async with db().acquire() as conn, conn.transaction():
            row = await conn.fetchrow(GET_SQL, request.path_params["task_id"], user_id)
            if row is None:
                return JSONResponse({"detail": "Task not found"}, status_code=404)
            (task,) = await _with_tags(conn, [row])
        return JSONResponse(task, headers={"ETag": f'"{row["version"]}"'})

    async def create_task(request: Request) -> Response:
        user_id = caller(request)
        if user_id is None:
            return UNAUTHORIZED
        body = await request.json()
        tags = list(dict.fromkeys(body.get("tags", [])))
        async with db().acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                INSERT_SQL,
                user_id,
                body["title"].strip(),
                body.get("description"),
                PRIORITY_RANKS[body.get("priority", "medium").lower()],
            )
            assert row is not None
            await conn.executemany(
                INSERT_TAG_SQL,
                [(row["id"], tag, user_id, position) for position, tag in enumerate(tags)],
            )
        return JSONResponse(
            _task(row, tags), status_code=201, headers={"Location": f"/api/tasks/{row['id']}"}
        )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        # No reset query on release: every handler ends its own transaction.
        pool = await asyncpg.create_pool(dsn, min_size=2, max_size=20, reset=_no_reset)
        try:
            yield
        finally:
            await pool.close()

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/api/auth/me", me),
            Route("/api/tasks", list_tasks, methods=["GET"]),
            Route("/api/tasks", create_task, methods=["POST"]),
            Route("/api/tasks/{task_id:int}", get_task),
        ],
        lifespan=lifespan,
    )
