"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from backroom.core.db import Database
from backroom.core.errors import PROBLEM_JSON, Problem, ServiceUnavailable, problem_response
from backroom.core.migrations import current_revision, head_revision
from backroom.core.replica import ReplicaState, ReplicaStatus

router = APIRouter(tags=["health"])

READY_TIMEOUT_SECONDS = 1.5
T = TypeVar("T")


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]
    migrations: Literal["ok"]
    redis: Literal["ok", "disabled"]
    replica: ReplicaState = Field(
        description="The read replica's state (`DATABASE_REPLICA_URL`); reported, never "
        "failing readiness: when it is not `ok` the primary serves its reads."
    )
    replica_lag_seconds: float | None = Field(
        description="How far the replica is behind the primary, when it says."
    )


@router.get("/health")
async def health() -> Health:
    """Liveness: the process answers. No I/O."""
    return Health()


async def _within_deadline(probe: Coroutine[Any, Any, T]) -> T | None:
    """The probe's result, or None once `READY_TIMEOUT_SECONDS` have passed or it failed.

    A driver that is slow to give up on a hanging server (its own connect timeout may be
    longer) is left to finish in the background: the answer never waits for it.
    """
    task = asyncio.ensure_future(probe)
    task.add_done_callback(_retrieve)
    done, _ = await asyncio.wait({task}, timeout=READY_TIMEOUT_SECONDS)
    if not done:
        task.cancel()
        return None
    if task.cancelled() or task.exception() is not None:
        return None
    return task.result()


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a late probe's failure as seen, so asyncio does not report it."""
    if not task.cancelled():
        task.exception()


async def _database_probe(database: Database) -> tuple[str, str]:
    async with database.engine.connect() as conn:
        revision = await conn.run_sync(current_revision)
    return "ok", "ok" if revision == head_revision() else "behind"


async def _database_state(database: Database) -> tuple[str, str]:
    state = await _within_deadline(_database_probe(database))
    return state or ("unavailable", "unknown")


class RedisProbe:
    """Pings the Redis at `url` for readiness, over one client for the app's lifetime."""

    def __init__(self, url: str) -> None:
        import coredis

        self._client = coredis.Redis.from_url(url)

    async def __call__(self) -> bool:
        return bool(await self._client.ping())

    def close(self) -> None:
        self._client.connection_pool.disconnect()


async def _redis_state(request: Request) -> str:
    ping = getattr(request.app.state, "redis_ping", None)
    if ping is None:
        return "disabled"
    answered = await _within_deadline(ping())
    return "ok" if answered else "unavailable"


async def _replica_state(database: Database) -> ReplicaStatus:
    if database.replica is None:
        return ReplicaStatus(ReplicaState.DISABLED)
    status = await _within_deadline(database.replica.status())
    return status or ReplicaStatus(ReplicaState.UNAVAILABLE)


@router.get(
    "/health/ready",
    response_model=Readiness,
    responses={503: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "Not ready"}},
)
async def ready(request: Request) -> Readiness | JSONResponse:
    """Readiness: the database answers, its schema is at the newest migration, Redis answers.

    The replica's state is reported beside them; a replica that is down or behind does
    not make the instance unready, since the primary then serves its reads.
    """
    # Side by side, so that the answer comes within one timeout even when all hang.
    (database, migrations), redis, replica = await asyncio.gather(
        _database_state(request.app.state.db),
        _redis_state(request),
        _replica_state(request.app.state.db),
    )
    parts = {"database": database, "migrations": migrations, "redis": redis}
    failing = [name for name, state in parts.items() if state not in {"ok", "disabled"}]
    if not failing:
        return Readiness(
            status="ok",
            database="ok",
            migrations="ok",
            redis=redis,  # type: ignore[arg-type]
            replica=replica.state,
            replica_lag_seconds=replica.lag_seconds,
        )
    error = ServiceUnavailable(f"Not ready: {', '.join(failing)}")
    return problem_response(
        error.status_code,
        "not_ready",
        error.detail,
        headers=error.headers,
        extra={
            **parts,
            "replica": replica.state.value,
            "replica_lag_seconds": replica.lag_seconds,
        },
    )
