"""Failed sign-ins are limited per email or partner number across client addresses
(RATE_LIMIT_FAILED_SIGN_IN, 10 an hour): guessing one account from many addresses, or
from a botnet, stops at 10 even where the per-IP limit never bites. Unknown and known
accounts behave the same, so the limit tells nothing about which accounts exist."""

from __future__ import annotations

import itertools

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role
from backroom.core.config import Settings
from tests.factories import make_user

PIN = "2580"
PASSWORD = "correct horse battery"
_addresses = (f"10.9.{n // 250}.{n % 250 + 1}" for n in itertools.count())


def _from_new_address(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(
        app=app, client=(next(_addresses), 40000), raise_app_exceptions=False
    )
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _attempt(app: FastAPI, body: dict[str, str]) -> httpx.Response:
    async with _from_new_address(app) as client:
        return await client.post("/api/auth/login", json=body)


@pytest.mark.parametrize(
    ("known", "wrong", "right"),
    [
        (
            True,
            {"partner_number": "SPRAY1", "pin": "0000"},
            {"partner_number": "SPRAY1", "pin": PIN},
        ),
        (
            False,
            {"partner_number": "NOSUCH1", "pin": "0000"},
            {"partner_number": "NOSUCH1", "pin": PIN},
        ),
        (
            True,
            {"email": "spray@example.com", "password": "wrong guess!"},
            {"email": "spray@example.com", "password": PASSWORD},
        ),
    ],
    ids=["known-partner-number", "unknown-partner-number", "known-email"],
)
async def test_the_eleventh_failure_on_one_account_from_any_address_is_429(
    *,
    app: FastAPI,
    session: AsyncSession,
    settings: Settings,
    known: bool,
    wrong: dict[str, str],
    right: dict[str, str],
) -> None:
    assert settings.RATE_LIMIT_FAILED_SIGN_IN == "10/hour"
    if known:
        await make_user(
            session,
            role=Role.STAFF,
            partner_number="SPRAY1",
            email="spray@example.com",
            pin=PIN,
            password=PASSWORD,
            settings=settings,
        )
    statuses = [(await _attempt(app, wrong)).status_code for _ in range(10)]
    assert statuses == [401] * 10  # the account locked at 5 and still answered 401
    limited = await _attempt(app, right)
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 3600
    # Another account is not affected, from the same addresses or any other.
    other = {"partner_number": "OTHER1", "pin": "0000"}
    assert (await _attempt(app, other)).status_code == 401


async def test_successful_sign_ins_do_not_use_the_budget(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    await make_user(session, role=Role.STAFF, partner_number="OFTEN1", pin=PIN, settings=settings)
    body = {"partner_number": "OFTEN1", "pin": PIN}
    assert [(await _attempt(app, body)).status_code for _ in range(12)] == [200] * 12
