"""One transaction per request, integrity conflicts and the retry helper, on a real database.

The tests write to two tables of their own, created for each test and dropped after
it, so that they depend on no domain's schema.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.core.db import SessionDep, UTCDateTime
from backroom.core.db_errors import is_retryable, run_transaction

PROBE_TABLES = (
    "CREATE TABLE probe_parent (id INTEGER PRIMARY KEY)",
    # Checked at COMMIT only, on SQLite and PostgreSQL alike.
    "CREATE TABLE probe_child (id INTEGER PRIMARY KEY, parent_id INTEGER,"
    " CONSTRAINT fk_probe_child_parent FOREIGN KEY (parent_id) REFERENCES probe_parent (id)"
    " DEFERRABLE INITIALLY DEFERRED)",
)


@pytest.fixture
async def probe(app: FastAPI) -> AsyncIterator[FastAPI]:
    async with app.state.db.engine.begin() as connection:
        for statement in PROBE_TABLES:
            await connection.execute(text(statement))
    try:
        yield app
    finally:
        async with app.state.db.engine.begin() as connection:
            await connection.execute(text("DROP TABLE probe_child"))
            await connection.execute(text("DROP TABLE probe_parent"))


async def parent_count(app: FastAPI) -> int:
    async with app.state.db.sessionmaker() as session:
        return int(await session.scalar(text("SELECT count(*) FROM probe_parent")) or 0)


@pytest.fixture
def write_routes(probe: FastAPI) -> FastAPI:
    """Two writes: one that commits, one whose COMMIT fails on the deferred foreign key."""

    @probe.post("/test/parents")
    async def create_parent(session: SessionDep) -> dict[str, str]:
        await session.execute(text("INSERT INTO probe_parent (id) VALUES (1)"))
        return {"created": "yes"}

    @probe.post("/test/parents/broken")
    async def create_parent_then_fail_at_commit(session: SessionDep) -> dict[str, str]:
        await session.execute(text("INSERT INTO probe_parent (id) VALUES (1)"))
        await session.execute(text("INSERT INTO probe_child (id, parent_id) VALUES (1, 999)"))
        return {"created": "yes"}  # everything is sent; only COMMIT can fail now

    return probe


async def test_a_commit_that_fails_reaches_the_client_as_an_error_and_saves_nothing(
    write_routes: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await client.post("/test/parents/broken")
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "integrity_conflict"
    assert "probe" not in response.text
    assert await parent_count(write_routes) == 0


async def test_a_write_is_committed_before_the_response(
    write_routes: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await client.post("/test/parents")
    assert response.status_code == 200
    assert await parent_count(write_routes) == 1


class LockHolder:
    """A second connection that holds the write lock on `probe_parent` until released."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.session: AsyncSession | None = None

    async def take(self) -> None:
        self.session = self.app.state.db.sessionmaker()
        assert self.session is not None
        if self.session.bind.dialect.name == "sqlite":
            await self.session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE takes the lock
        else:
            await self.session.execute(text("LOCK TABLE probe_parent IN EXCLUSIVE MODE"))

    async def release(self) -> None:
        if self.session is not None:
            await self.session.rollback()
            await self.session.close()
            self.session = None


async def add_parent_waiting_briefly(session: AsyncSession) -> None:
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SET LOCAL lock_timeout = '100ms'"))
    await session.execute(text("INSERT INTO probe_parent (id) VALUES (7)"))


@pytest.mark.parametrize("settings_overrides", [{"SQLITE_BUSY_TIMEOUT_MS": 100}])
async def test_run_transaction_retries_a_write_that_found_the_table_locked(probe: FastAPI) -> None:
    holder = LockHolder(probe)
    await holder.take()
    calls = 0

    async def work(session: AsyncSession) -> str:
        nonlocal calls
        calls += 1
        if calls == 2:
            await holder.release()
        await add_parent_waiting_briefly(session)
        return "done"

    try:
        assert await run_transaction(probe.state.db.sessionmaker, work, backoff=0.01) == "done"
    finally:
        await holder.release()
    assert calls == 2
    assert await parent_count(probe) == 1


@pytest.mark.parametrize("settings_overrides", [{"SQLITE_BUSY_TIMEOUT_MS": 100}])
async def test_run_transaction_gives_up_after_its_attempts(probe: FastAPI) -> None:
    holder = LockHolder(probe)
    await holder.take()
    calls = 0

    async def work(session: AsyncSession) -> None:
        nonlocal calls
        calls += 1
        await add_parent_waiting_briefly(session)

    try:
        with pytest.raises(DBAPIError) as raised:
            await run_transaction(probe.state.db.sessionmaker, work, attempts=3, backoff=0.01)
    finally:
        await holder.release()
    assert is_retryable(raised.value)
    assert calls == 3
    assert await parent_count(probe) == 0


async def test_run_transaction_does_not_retry_a_bad_query(probe: FastAPI) -> None:
    calls = 0

    async def work(session: AsyncSession) -> None:
        nonlocal calls
        calls += 1
        await session.execute(text("SELECT no_such_column FROM probe_parent"))

    with pytest.raises(DBAPIError) as raised:
        await run_transaction(probe.state.db.sessionmaker, work, backoff=0.01)
    assert not is_retryable(raised.value)
    assert calls == 1


async def test_a_timestamp_reads_back_as_the_same_instant_in_utc_whatever_the_server_zone(
    app: FastAPI,
) -> None:
    """UTCDateTime: aware UTC on the way out on every engine (asyncpg decodes it so by
    itself, SQLite keeps no offset), even when the database session runs in another zone."""
    table = Table(
        "probe_moment",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime()),
    )
    async with app.state.db.engine.begin() as connection:
        await connection.run_sync(table.create)
    written = dt.datetime(
        2026, 3, 29, 1, 30, 15, 250_000, tzinfo=dt.timezone(dt.timedelta(hours=2))
    )
    try:
        async with app.state.db.sessionmaker() as session:
            if session.get_bind().dialect.name == "postgresql":
                await session.execute(text("SET TIME ZONE 'Asia/Kolkata'"))
            await session.execute(insert(table).values(id=1, at=written))
            read = await session.scalar(select(table.c.at))
            await session.rollback()
    finally:
        async with app.state.db.engine.begin() as connection:
            await connection.run_sync(table.drop)
    assert isinstance(read, dt.datetime)
    assert read == written
    assert read.utcoffset() == dt.timedelta(0)
    assert read.isoformat() == "2026-03-28T23:30:15.250000+00:00"
