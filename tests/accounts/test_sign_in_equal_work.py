"""A failed sign-in does the same database work whether the account exists or not, so
its timing does not tell an attacker which emails and partner numbers are real: the
same statements, in the same transactions, and one Argon2 verify each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role
from backroom.core.config import Settings
from backroom.core.db import utcnow
from tests.accounts.conftest import CountingArgon2, password_login, pin_login
from tests.factories import make_user

PIN = "4821"
PASSWORD = "correct horse battery"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"RATE_LIMIT_ENABLED": False}


@pytest.fixture
def statements(app: FastAPI) -> Iterator[list[str]]:
    """Every statement the app's engine sends, and every COMMIT, in order."""
    sent: list[str] = []
    engine = app.state.db.engine.sync_engine

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split()))

    def on_commit(_conn: Any) -> None:
        sent.append("COMMIT")

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)


async def _work(statements: list[str], response: httpx.Response) -> list[str]:
    assert response.status_code == 401
    done = list(statements)
    statements.clear()
    return done


async def test_known_and_unknown_partner_numbers_do_the_same_database_work(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    statements: list[str],
    counting_hasher: CountingArgon2,
) -> None:
    await make_user(session, role=Role.STAFF, partner_number="KNOWN1", pin=PIN, settings=settings)
    locked = await make_user(
        session, role=Role.STAFF, partner_number="LOCKED1", pin=PIN, settings=settings
    )
    locked.locked_until = utcnow() + dt.timedelta(minutes=5)
    await session.commit()
    statements.clear()

    unknown = await _work(statements, await pin_login(client, "NOBODY1", PIN))
    wrong = await _work(statements, await pin_login(client, "KNOWN1", "0000"))
    refused = await _work(statements, await pin_login(client, "LOCKED1", PIN))

    assert wrong == unknown
    assert refused == unknown
    assert unknown.count("COMMIT") == 2
    assert sum(s.startswith("UPDATE") for s in unknown) == 2  # the attempt, the lock check
    assert counting_hasher.verifies == 3


async def test_known_and_unknown_emails_do_the_same_database_work(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    statements: list[str],
    counting_hasher: CountingArgon2,
) -> None:
    await make_user(session, email="known@example.com", password=PASSWORD, settings=settings)
    statements.clear()
    unknown = await _work(statements, await password_login(client, "nobody@example.com", PASSWORD))
    wrong = await _work(statements, await password_login(client, "known@example.com", "nope nope"))
    assert wrong == unknown
    assert counting_hasher.verifies == 2
