"""/metrics counts failed sign-ins, lockouts and 429s.

Many apps share this process's registry, so each test compares before and after.
"""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role
from backroom.core.config import Settings
from tests.accounts.conftest import password_login, pin_login
from tests.factories import make_user

PASSWORD = "correct horse battery"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"RATE_LIMIT_ENABLED": False}


async def _sample(client: httpx.AsyncClient, name: str, **labels: str) -> float:
    text = (await client.get("/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


async def _failures(client: httpx.AsyncClient, method: str) -> float:
    return await _sample(client, "backroom_login_failures_total", method=method)


async def _lockouts(client: httpx.AsyncClient, method: str) -> float:
    return await _sample(client, "backroom_lockouts_total", method=method)


async def test_failed_sign_ins_are_counted_by_method(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await make_user(
        session, role=Role.STAFF, partner_number="PIN001", pin="1234", settings=settings
    )
    await make_user(session, email="pw@example.com", password=PASSWORD, settings=settings)
    pins, passwords = await _failures(client, "pin"), await _failures(client, "password")
    assert (await pin_login(client, "PIN001", "9999")).status_code == 401
    assert (await pin_login(client, "NOSUCH1", "1234")).status_code == 401
    assert (await password_login(client, "pw@example.com", "wrong password")).status_code == 401
    assert await _failures(client, "pin") - pins == 2
    assert await _failures(client, "password") - passwords == 1


async def test_a_successful_sign_in_counts_no_failure(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await make_user(
        session, role=Role.STAFF, partner_number="PIN002", pin="1234", settings=settings
    )
    before = await _failures(client, "pin")
    assert (await pin_login(client, "PIN002", "1234")).status_code == 200
    assert await _failures(client, "pin") == before


async def test_a_lockout_is_counted_once_per_lock(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await make_user(
        session, role=Role.STAFF, partner_number="PIN003", pin="1234", settings=settings
    )
    locks, failures = await _lockouts(client, "pin"), await _failures(client, "pin")
    password_locks = await _lockouts(client, "password")
    for _attempt in range(4):
        await pin_login(client, "PIN003", "0000")
    assert await _lockouts(client, "pin") == locks
    await pin_login(client, "PIN003", "0000")
    assert await _lockouts(client, "pin") - locks == 1
    # Attempts against the locked account fail (and count) without locking it again.
    assert (await pin_login(client, "PIN003", "1234")).status_code == 401
    assert await _lockouts(client, "pin") - locks == 1
    assert await _failures(client, "pin") - failures == 6
    assert await _lockouts(client, "password") == password_locks


@pytest.mark.parametrize(
    "settings_overrides", [{"RATE_LIMIT_ENABLED": True, "RATE_LIMIT_LOGIN": "2/minute"}]
)
async def test_a_429_is_counted_under_the_name_of_its_limit(client: httpx.AsyncClient) -> None:
    logins = await _sample(client, "backroom_rate_limited_total", limit="login")
    registers = await _sample(client, "backroom_rate_limited_total", limit="register")
    statuses = [(await pin_login(client, "NOSUCH2", "1234")).status_code for _ in range(4)]
    assert statuses == [401, 401, 429, 429]
    assert await _sample(client, "backroom_rate_limited_total", limit="login") - logins == 2
    assert await _sample(client, "backroom_rate_limited_total", limit="register") == registers
