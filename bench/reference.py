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
import json
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
    "id, user_id, title, description, completed, priority, due_date, tags, "
    "created_at, updated_at, completed_at, version"
)
LIST_SQL = (
    f"SELECT {TASK_COLUMNS} FROM task WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
)
COUNT_SQL = "SELECT count(*) FROM task WHERE user_id = $1"
AFTER_SQL = (
    f"SELECT {TASK_COLUMNS} FROM task WHERE user_id = $1 AND (created_at, id) < ($3, $4) "
    "ORDER BY created_at DESC, id DESC LIMIT $2"
)
GET_SQL = f"SELECT {TASK_COLUMNS} FROM task WHERE id = $1 AND user_id = $2"
INSERT_SQL = (
    "INSERT INTO task (user_id, title, description, completed, priority, due_date, tags, "
    "created_at, updated_at, completed_at, version) "
    "VALUES ($1, $2, $3, false, $4, NULL, $5, now(), now(), NULL, 1) "
    f"RETURNING {TASK_COLUMNS}"
)
ME_SQL = (
    "SELECT id, email, partner_number, first_name, last_name, display_name, role, store_id, "
    'is_active, created_at, updated_at FROM "user" WHERE id = $1'
)
UNAUTHORIZED = Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _task(row: asyncpg.Record) -> dict[str, Any]:
    tags = row["tags"]
    return {
        "id": row["id"],
        "user_id": str(row["user_id"]),
        "title": row["title"],
        "description": row["description"],
        "completed": row["completed"],
        "priority": row["priority"],
        "due_date": _iso(row["due_date"]),
        "tags": json.loads(tags) if isinstance(tags, str) else list(tags or []),
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
        "completed_at": _iso(row["completed_at"]),
        "version": row["version"],
    }


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
        )

    async def list_tasks(request: Request) -> Response:
        user_id = caller(request)
        if user_id is None:
            return UNAUTHORIZED
        limit = int(request.query_params.get("limit", "50"))
        async with db().acquire() as conn:
            rows = await conn.fetch(LIST_SQL, user_id, limit)
            total = await conn.fetchval(COUNT_SQL, user_id)
        return JSONResponse([_task(row) for row in rows], headers={"X-Total-Count": str(total)})

    async def get_task(request: Request) -> Response:
        user_id = caller(request)
        if user_id is None:
            return UNAUTHORIZED
        row = await db().fetchrow(GET_SQL, request.path_params["task_id"], user_id)
        if row is None:
            return JSONResponse({"detail": "Task not found"}, status_code=404)
        return JSONResponse(_task(row), headers={"ETag": f'"{row["version"]}"'})

    async def create_task(request: Request) -> Response:
        user_id = caller(request)
        if user_id is None:
            return UNAUTHORIZED
        body = await request.json()
        row = await db().fetchrow(
            INSERT_SQL,
            user_id,
            body["title"].strip(),
            body.get("description"),
            body.get("priority", "medium"),
            json.dumps(body.get("tags", [])),
        )
        assert row is not None
        return JSONResponse(
            _task(row), status_code=201, headers={"Location": f"/api/tasks/{row['id']}"}
        )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(dsn, min_size=2, max_size=20)
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
