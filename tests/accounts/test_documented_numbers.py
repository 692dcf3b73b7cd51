"""The numbers SECURITY.md and API.md promise, as literals: a default that drifts from
the documents fails here, not silently in every test that reads it from the settings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role, User
from backroom.core.config import Settings
from backroom.core.db import utcnow
from tests.accounts.conftest import pin_login
from tests.conftest import TEST_PEPPER, TEST_SECRET
from tests.factories import make_user

PIN = "4821"
DOCUMENTED = {
    "LOCKOUT_THRESHOLD": 5,
    "LOCKOUT_BASE_SECONDS": 15 * 60,
    "LOCKOUT_MAX_SECONDS": 24 * 3600,
    "RATE_LIMIT_LOGIN": "10/minute",
    "RATE_LIMIT_REGISTER": "5/minute",
    "RATE_LIMIT_REFRESH": "30/minute",
    "RATE_LIMIT_FAILED_SIGN_IN": "10/hour",
}


def test_settings_defaults_from_a_fresh_environment_are_the_documented_ones(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in DOCUMENTED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    fresh = Settings(ENVIRONMENT="test", SECRET_KEY=TEST_SECRET, PIN_PEPPER=TEST_PEPPER)
    assert {name: getattr(fresh, name) for name in DOCUMENTED} == DOCUMENTED


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"RATE_LIMIT_ENABLED": False}


async def _lock_once(client: httpx.AsyncClient, session: AsyncSession, user: User) -> float:
    """Five wrong PINs; the seconds the lock then lasts."""
    statuses = [(await pin_login(client, "DOC001", "0000")).status_code for _ in range(5)]
    assert statuses == [401] * 5
    await session.refresh(user)
    await session.commit()
    assert user.locked_until is not None
    return (user.locked_until - utcnow()).total_seconds()


async def _lift(session: AsyncSession, user: User) -> None:
    """Let the lock run out (its end moves into the past; the repeat count stays)."""
    past = utcnow() - dt.timedelta(seconds=1)
    await session.execute(update(User).where(User.id == user.id).values(locked_until=past))
    await session.commit()


async def test_five_failures_lock_for_15_minutes_doubling_up_to_24_hours(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(
        session, role=Role.STAFF, partner_number="DOC001", pin=PIN, settings=settings
    )
    # Four failures do not lock: the right PIN still works (and resets the count).
    for _ in range(4):
        assert (await pin_login(client, "DOC001", "0000")).status_code == 401
    assert (await pin_login(client, "DOC001", PIN)).status_code == 200

    first = await _lock_once(client, session, user)
    assert 15 * 60 - 30 < first <= 15 * 60
    await _lift(session, user)
    second = await _lock_once(client, session, user)
    assert 30 * 60 - 30 < second <= 30 * 60
    for _ in range(6):  # 1 h, 2 h, 4 h, 8 h, 16 h, then the 24 h cap
        await _lift(session, user)
        longest = await _lock_once(client, session, user)
    assert 24 * 3600 - 30 < longest <= 24 * 3600
