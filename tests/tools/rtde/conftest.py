"""A second staff member, a second store with its admin, and a frozen clock (the store,
its admin and staff member come from `tests/tools/conftest.py`)."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role, Store, User
from backroom.core.clock import FixedClock
from backroom.core.config import Settings
from tests.factories import auth_headers, make_store, make_user

START = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock(app: FastAPI) -> FixedClock:
    frozen = FixedClock(START)
    app.state.clock = frozen
    return frozen


@pytest.fixture
async def other_store(session: AsyncSession) -> Store:
    return await make_store(session)


@pytest.fixture
async def coworker(session: AsyncSession, store: Store) -> User:
    return await make_user(session, role=Role.STAFF, store=store, first_name="Kim")


@pytest.fixture
async def outsider(session: AsyncSession, other_store: Store) -> User:
    """An admin of another store."""
    return await make_user(session, role=Role.ADMIN, store=other_store, first_name="Oz")


@pytest.fixture
def as_coworker(settings: Settings, coworker: User) -> dict[str, str]:
    return auth_headers(settings, coworker)


@pytest.fixture
def as_outsider(settings: Settings, outsider: User) -> dict[str, str]:
    return auth_headers(settings, outsider)
