"""Database errors: which ones running the transaction again fixes, and how the others
reach a client (a 409 for a race a service could not see, a 503 for an outage, never
the SQL or its values).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backroom.core.errors import (
    AppError,
    Conflict,
    DatabaseUnavailable,
    problem_response,
    unexpected_error,
)

logger = logging.getLogger("backroom.db")


def is_unavailable(error: BaseException) -> bool:
    """True when the database cannot be reached or is too busy, as opposed to a bad query."""
    if isinstance(error, exc.TimeoutError | OSError | TimeoutError):
        return True
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        return isinstance(error, exc.OperationalError | exc.InterfaceError)
    return False


class IntegrityConflict(Conflict):
    code = "integrity_conflict"
    detail = "The change conflicts with data saved meanwhile; reload and try again"


async def _database_error(request: Request, error: Exception) -> JSONResponse:
    problem: AppError
    if isinstance(error, exc.IntegrityError):
        # Services check their rules first; this is a race they could not see (or a
        # deferred constraint failing at COMMIT). The message may hold row values: not logged.
        logger.warning("integrity error: %s", type(error.orig).__name__)
        problem = IntegrityConflict()
    elif is_unavailable(error):
        logger.warning("database unavailable: %s", type(error).__name__)
        problem = DatabaseUnavailable()
    else:
        return await unexpected_error(request, error)
    return problem_response(
        problem.status_code, problem.code, problem.detail, headers=problem.headers
    )


def install_database_error_handlers(app: FastAPI) -> None:
    for error_type in (exc.DBAPIError, exc.TimeoutError, OSError, TimeoutError):
        app.add_exception_handler(error_type, _database_error)


# PostgreSQL: serialization failure, deadlock, lock not available.
_RETRY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")

T = TypeVar("T")


def is_retryable(error: BaseException) -> bool:
    """True when a write lost a race with another and may simply be run again."""
    if not isinstance(error, exc.DBAPIError):
        return False
    if getattr(error.orig, "sqlstate", None) in _RETRY_SQLSTATES:
        return True
    message = str(error.orig).lower()
    return isinstance(error, exc.OperationalError) and any(busy in message for busy in _SQLITE_BUSY)


async def run_transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
    work: Callable[[AsyncSession], Awaitable[T]],
    *,
    attempts: int = 3,
    backoff: float = 0.05,
) -> T:
    """Run `work` in its own transaction and commit; run it again when it loses a race.

    `work` must be safe to repeat: it starts from scratch on a fresh session each time.
    """
    attempt = 1
    while True:
        async with sessionmaker() as session:
            try:
                result = await work(session)
                await session.commit()
            except exc.DBAPIError as error:
                await session.rollback()
                if attempt >= attempts or not is_retryable(error):
                    raise
                logger.info("retrying a transaction that lost a race (attempt %d)", attempt)
            else:
                return result
        # Jitter spreads the retries of writers that collided at the same moment.
        await asyncio.sleep(backoff * 2 ** (attempt - 1) * (0.5 + random.random()))  # noqa: S311
        attempt += 1
