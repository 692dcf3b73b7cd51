"""A store with its default milk types, another store, and a clock frozen at 22:00 in
the store's zone (America/Los_Angeles). The crew comes from `tests/tools/conftest.py`.
"""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role, Store
from backroom.core.clock import FixedClock
from backroom.core.config import Settings
from tests.factories import auth_headers, make_user
from tests.tools.milk_count.factories import make_milk_store

# 22:00 on 25 November 2026 in Los Angeles (PST, UTC-8).
EVENING = dt.datetime(2026, 11, 26, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock(app: FastAPI) -> FixedClock:
    frozen = FixedClock(EVENING)
    app.state.clock = frozen
    return frozen


@pytest.fixture
async def store(session: AsyncSession) -> Store:
    return await make_milk_store(session)


@pytest.fixture
async def other_store(session: AsyncSession) -> Store:
    return await make_milk_store(session)


@pytest.fixture
async def as_other_admin(
    session: AsyncSession, settings: Settings, other_store: Store
) -> dict[str, str]:
    """An admin of another store: every row of `store` is a 404 to them."""
    user = await make_user(session, role=Role.ADMIN, store=other_store, first_name="Otto")
    return auth_headers(settings, user)


@pytest.fixture
async def as_user(session: AsyncSession, settings: Settings) -> dict[str, str]:
    """A `user` account: signed in, but no store."""
    return auth_headers(settings, await make_user(session))
