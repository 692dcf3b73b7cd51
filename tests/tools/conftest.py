"""The people of a store tool's tests: a staff member and an admin of `store`.

Each tool's conftest says what `store` is (a store with that tool's defaults seeded);
the crew and their bearer headers are the same for every tool.
"""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role, Store, User
from backroom.core.config import Settings
from tests.factories import auth_headers, make_store, make_user


@pytest.fixture
async def store(session: AsyncSession) -> Store:
    return await make_store(session)


@pytest.fixture
async def staff(session: AsyncSession, store: Store) -> User:
    return await make_user(session, role=Role.STAFF, store=store, first_name="Sam")


@pytest.fixture
async def admin(session: AsyncSession, store: Store) -> User:
    return await make_user(session, role=Role.ADMIN, store=store, first_name="Ada")


@pytest.fixture
def as_staff(settings: Settings, staff: User) -> dict[str, str]:
    return auth_headers(settings, staff)


@pytest.fixture
def as_admin(settings: Settings, admin: User) -> dict[str, str]:
    return auth_headers(settings, admin)
