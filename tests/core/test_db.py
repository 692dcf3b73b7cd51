"""One transaction per request, integrity conflicts and the retry helper, on a real database."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Store, User
from backroom.core.db import SessionDep, is_retryable, run_transaction


async def store_count(app: FastAPI) -> int:
    async with app.state.db.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Store)) or 0)


@pytest.fixture
def write_routes(app: FastAPI) -> FastAPI:
    """Two writes: one that commits, one whose COMMIT fails on a deferred constraint."""

    @app.post("/test/stores")
    async def create_store(session: SessionDep) -> dict[str, str]:
        session.add(Store(name="Pike Place", timezone="America/Los_Angeles"))
        await session.flush()
        return {"created": "yes"}

    @app.post("/test/stores/broken")
    async def create_store_then_fail_at_commit(session: SessionDep) -> dict[str, str]:
        session.add(Store(name="Never saved", timezone="America/Los_Angeles"))
        if session.bind.dialect.name == "sqlite":
            # Checked at COMMIT only: a user pointing at a store that does not exist.
            await session.execute(text("PRAGMA defer_foreign_keys=ON"))
            session.add(User(first_name="A", last_name="B", role="staff", store_id=uuid.uuid4()))
        else:
            await session.execute(
                text(
                    "CREATE TEMP TABLE commit_probe (id int UNIQUE DEFERRABLE INITIALLY DEFERRED)"
                    " ON COMMIT DROP"
                )
            )
            await session.execute(text("INSERT INTO commit_probe VALUES (1), (1)"))
        await session.flush()  # everything is sent; only COMMIT can fail now
        return {"created": "yes"}

    return app


async def test_a_commit_that_fails_reaches_the_client_as_an_error_and_saves_nothing(
    write_routes: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await client.post("/test/stores/broken")
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "integrity_conflict"
    assert "commit_probe" not in response.text
    assert await store_count(write_routes) == 0


async def test_a_write_is_committed_before_the_response(
    write_routes: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await client.post("/test/stores")
    assert response.status_code == 200
    assert await store_count(write_routes) == 1


class LockHolder:
    """A second connection that holds the write lock on `store` until released."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.session: AsyncSession | None = None

    async def take(self) -> None:
        self.session = self.app.state.db.sessionmaker()
        assert self.session is not None
        if self.session.bind.dialect.name == "sqlite":
            await self.session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE takes the lock
        else:
            await self.session.execute(text("LOCK TABLE store IN EXCLUSIVE MODE"))

    async def release(self) -> None:
        if self.session is not None:
            await self.session.rollback()
            await self.session.close()
            self.session = None


async def add_store_waiting_briefly(session: AsyncSession) -> None:
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SET LOCAL lock_timeout = '100ms'"))
    session.add(Store(name=f"Store {uuid.uuid4().hex[:8]}", timezone="UTC"))
    await session.flush()


@pytest.mark.parametrize("settings_overrides", [{"SQLITE_BUSY_TIMEOUT_MS": 100}])
async def test_run_transaction_retries_a_write_that_found_the_table_locked(app: FastAPI) -> None:
    holder = LockHolder(app)
    await holder.take()
    calls = 0

    async def work(session: AsyncSession) -> str:
        nonlocal calls
        calls += 1
        if calls == 2:
            await holder.release()
        await add_store_waiting_briefly(session)
        return "done"

    try:
        assert await run_transaction(app.state.db.sessionmaker, work, backoff=0.01) == "done"
    finally:
        await holder.release()
    assert calls == 2
    assert await store_count(app) == 1


@pytest.mark.parametrize("settings_overrides", [{"SQLITE_BUSY_TIMEOUT_MS": 100}])
async def test_run_transaction_gives_up_after_its_attempts(app: FastAPI) -> None:
    holder = LockHolder(app)
    await holder.take()
    calls = 0

    async def work(session: AsyncSession) -> None:
        nonlocal calls
        calls += 1
        await add_store_waiting_briefly(session)

    try:
        with pytest.raises(DBAPIError) as raised:
            await run_transaction(app.state.db.sessionmaker, work, attempts=3, backoff=0.01)
    finally:
        await holder.release()
    assert is_retryable(raised.value)
    assert calls == 3
    assert await store_count(app) == 0


async def test_run_transaction_does_not_retry_a_bad_query(app: FastAPI) -> None:
    calls = 0

    async def work(session: AsyncSession) -> None:
        nonlocal calls
        calls += 1
        await session.execute(text("SELECT no_such_column FROM store"))

    with pytest.raises(DBAPIError) as raised:
        await run_transaction(app.state.db.sessionmaker, work, backoff=0.01)
    assert not is_retryable(raised.value)
    assert calls == 1
