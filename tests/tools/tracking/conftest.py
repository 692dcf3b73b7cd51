"""A store with its templates, another store with a staff member, a `user` account.

The store's staff member and admin come from `tests/tools/conftest.py`.
"""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role, Store, User
from backroom.core.config import Settings
from tests.factories import auth_headers, make_user
from tests.tools.tracking.factories import make_tracking_store


@pytest.fixture
async def store(session: AsyncSession) -> Store:
    return await make_tracking_store(session)


@pytest.fixture
async def other_store(session: AsyncSession) -> Store:
    return await make_tracking_store(session)


@pytest.fixture
async def other_staff(session: AsyncSession, other_store: Store) -> User:
    return await make_user(session, role=Role.STAFF, store=other_store, first_name="Olga")


@pytest.fixture
def as_other_staff(settings: Settings, other_staff: User) -> dict[str, str]:
    return auth_headers(settings, other_staff)


@pytest.fixture
async def as_user_account(session: AsyncSession, settings: Settings) -> dict[str, str]:
    """A `user` account: signed in, but of no store."""
    return auth_headers(settings, await make_user(session, role=Role.USER))
