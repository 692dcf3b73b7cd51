"""Two users, Alice and Bob, and their request headers."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import User
from backroom.core.config import Settings
from tests.factories import auth_headers, make_user


@pytest.fixture
async def alice(session: AsyncSession) -> User:
    return await make_user(session, first_name="Alice")


@pytest.fixture
async def bob(session: AsyncSession) -> User:
    return await make_user(session, first_name="Bob")


@pytest.fixture
def as_alice(settings: Settings, alice: User) -> dict[str, str]:
    return auth_headers(settings, alice)


@pytest.fixture
def as_bob(settings: Settings, bob: User) -> dict[str, str]:
    return auth_headers(settings, bob)
