"""GET and HEAD requests read without a transaction of their own; writes keep theirs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import User
from backroom.core.config import Settings
from backroom.core.db import SessionDep
from tests.factories import auth_headers, make_user
from tests.tools.tasks.factories import make_task


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends (on SQLite, `BEGIN IMMEDIATE` too)."""
    sent: list[str] = []
    engine = app.state.db.engine.sync_engine

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split()).upper())

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", before)


async def test_a_get_reads_while_a_writer_holds_its_transaction_open(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session)
    headers = auth_headers(settings, user)
    task = await make_task(session, user, title="committed")
    # An open write transaction (on SQLite: the one write lock) that is never committed.
    await session.execute(
        text("UPDATE task SET title = 'uncommitted' WHERE id = :id"), {"id": task.id}
    )
    try:
        listed = await client.get("/api/tasks", headers=headers)
        got = await client.get(f"/api/tasks/{task.id}", headers=headers)
    finally:
        await session.rollback()
    assert listed.status_code == 200, listed.text
    assert [item["title"] for item in listed.json()] == ["committed"]
    assert got.json()["title"] == "committed"


async def test_a_get_sends_its_selects_and_nothing_else(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session)
    headers = auth_headers(settings, user)
    task = await make_task(session, user)
    await client.get("/api/auth/me", headers=headers)  # the auth state is cached from here
    with statements(app) as sent:
        assert (await client.get(f"/api/tasks/{task.id}", headers=headers)).status_code == 200
    assert len(sent) == 1, sent
    assert sent[0].startswith("SELECT")


async def test_the_statements_of_a_get_are_not_wrapped_in_one_transaction(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Inside a transaction the clock of the database stands still; outside it moves."""

    if app.state.db.engine.dialect.name != "postgresql":
        return  # SQLite: `test_a_get_sends_its_selects_and_nothing_else` shows no BEGIN

    @app.get("/test/two-clocks")
    async def two_clocks(db: SessionDep) -> dict[str, str]:
        first = await db.scalar(text("SELECT now()"))
        await db.execute(text("SELECT pg_sleep(0.01)"))
        second = await db.scalar(text("SELECT now()"))
        return {"first": str(first), "second": str(second)}

    response = await client.get("/test/two-clocks")
    assert response.status_code == 200
    # now() is the start of the transaction: each statement of a GET is one of its own.
    assert response.json()["first"] != response.json()["second"]


async def test_a_post_still_runs_in_one_transaction(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session)
    headers = auth_headers(settings, user)
    await client.get("/api/auth/me", headers=headers)
    with statements(app) as sent:
        created = await client.post("/api/tasks", json={"title": "t"}, headers=headers)
    assert created.status_code == 201
    if app.state.db.engine.dialect.name == "sqlite":
        assert sent[0] == "BEGIN IMMEDIATE"


async def test_a_get_that_tries_to_write_fails_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user_id = (await make_user(session, first_name="Before")).id
    await session.rollback()

    @app.get("/test/writes-on-get")
    async def writes_on_get(db: SessionDep) -> dict[str, str]:
        row = await db.get(User, user_id)
        assert row is not None
        row.first_name = "After"
        await db.flush()
        return {"status": "written"}

    response = await client.get("/test/writes-on-get")
    assert response.status_code == 500
    stored = await session.get(User, user_id)
    assert stored is not None
    assert stored.first_name == "Before"


async def test_an_idempotent_create_claims_and_saves_its_key_in_two_statements(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session)
    headers = {**auth_headers(settings, user), "Idempotency-Key": "k-1"}
    with statements(app) as sent:
        created = await client.post("/api/tasks", json={"title": "t"}, headers=headers)
    assert created.status_code == 201
    keyed = [s for s in sent if "IDEMPOTENCY_KEY" in s]
    assert [s.split()[0] for s in keyed] == ["INSERT", "UPDATE"], keyed
    assert not [s for s in sent if s.startswith(("SAVEPOINT", "RELEASE"))]
    replay = await client.post("/api/tasks", json={"title": "t"}, headers=headers)
    assert replay.status_code == 201
    assert replay.json() == created.json()
