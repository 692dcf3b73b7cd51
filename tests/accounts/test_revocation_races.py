"""A sign-in whose secret is being checked while the account's sessions are ended (PIN
reset, password change, logout-all, deactivation) must not come out of it signed in.

The check is held open in the product's own pause point: the verify, which runs in a
worker thread with no transaction open. The other request lands meanwhile.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import RefreshToken, Role, User
from backroom.core.audit import AuditEvent
from backroom.core.config import Settings
from backroom.core.db import utcnow
from tests.accounts.conftest import bearer, install_gated_hasher, password_login, pin_login
from tests.factories import auth_headers, make_store, make_user

PIN = "4821"
PASSWORD = "correct horse battery"

Interruption = Callable[[httpx.AsyncClient, dict[str, str], User, dict[str, str]], Awaitable[None]]


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # Two hash slots: the held verify keeps one, the interrupting request may need the other.
    return {"RATE_LIMIT_ENABLED": False, "HASH_CONCURRENCY": 2}


async def _reset_pin(
    client: httpx.AsyncClient, as_admin: dict[str, str], staff: User, _tokens: dict[str, str]
) -> None:
    response = await client.post(
        f"/api/admin/users/{staff.id}/reset-pin", json={"pin": "9753"}, headers=as_admin
    )
    assert response.status_code == 200, response.text


async def _deactivate(
    client: httpx.AsyncClient, as_admin: dict[str, str], staff: User, _tokens: dict[str, str]
) -> None:
    response = await client.patch(
        f"/api/admin/users/{staff.id}", json={"is_active": False}, headers=as_admin
    )
    assert response.status_code == 200, response.text


async def _logout_all(
    client: httpx.AsyncClient, _as_admin: dict[str, str], _staff: User, tokens: dict[str, str]
) -> None:
    response = await client.post("/api/auth/logout-all", headers=bearer(tokens["access_token"]))
    assert response.status_code == 204


async def _change_password(
    client: httpx.AsyncClient, _as_admin: dict[str, str], _staff: User, tokens: dict[str, str]
) -> None:
    response = await client.post(
        "/api/auth/change-password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        headers=bearer(tokens["access_token"]),
    )
    assert response.status_code == 204, response.text


async def _sign_in(client: httpx.AsyncClient, method: str) -> httpx.Response:
    if method == "pin":
        return await pin_login(client, "RACE01", PIN)
    return await password_login(client, "race@example.com", PASSWORD)


@pytest.mark.parametrize(
    ("method", "interruption"),
    [
        ("pin", _reset_pin),
        ("pin", _deactivate),
        ("pin", _logout_all),
        ("password", _logout_all),
        ("password", _change_password),
    ],
    ids=["pin-reset", "deactivation", "logout-all-pin", "logout-all-password", "password-change"],
)
async def test_a_sign_in_overlapping_a_revocation_does_not_survive_it(
    *,
    client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    settings: Settings,
    method: str,
    interruption: Interruption,
) -> None:
    store = await make_store(session)
    admin = await make_user(session, role=Role.ADMIN, store=store)
    staff = await make_user(
        session,
        role=Role.STAFF,
        store=store,
        partner_number="RACE01",
        email="race@example.com",
        pin=PIN,
        password=PASSWORD,
        settings=settings,
    )
    earlier = (await _sign_in(client, method)).json()  # the session that is ended

    gated = install_gated_hasher(app, settings)
    signing_in = asyncio.create_task(_sign_in(client, method))
    try:
        assert await asyncio.to_thread(gated.entered.wait, 5)
        # The secret is being checked right now, against the hash read before.
        await interruption(client, auth_headers(settings, admin), staff, earlier)
    finally:
        gated.gate.set()
    late = await signing_in

    assert late.status_code == 401, "a sign-in that overlapped a revocation came out of it"
    assert late.json()["code"] == "invalid_credentials"
    assert "refresh_token" not in late.json()
    audited = (
        (
            await session.execute(
                select(AuditEvent.details).where(AuditEvent.action == "auth.login.failed")
            )
        )
        .scalars()
        .all()
    )
    await session.commit()
    assert audited == [{"method": method, "reason": "superseded"}]


async def test_a_refresh_token_dated_before_the_last_revocation_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    staff = await make_user(
        session, role=Role.STAFF, partner_number="RACE02", pin=PIN, settings=settings
    )
    tokens = (await pin_login(client, "RACE02", PIN)).json()
    # A revocation that did not see this token (it was written after the revocation's
    # UPDATE, by a sign-in that began before it): only `tokens_valid_after` moved.
    revoked_at = utcnow() + dt.timedelta(milliseconds=1)
    await session.execute(
        update(User).where(User.id == staff.id).values(tokens_valid_after=revoked_at)
    )
    await session.commit()
    refused = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refused.status_code == 401
    # And its family is gone for good.
    rows = (
        (await session.execute(select(RefreshToken).where(RefreshToken.user_id == staff.id)))
        .scalars()
        .all()
    )
    await session.commit()
    assert [row.revoked_at is not None for row in rows] == [True]


async def test_the_password_changer_keeps_its_session_through_refresh(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await make_user(session, email="keep@example.com", password=PASSWORD, settings=settings)
    mine = (await password_login(client, "keep@example.com", PASSWORD)).json()
    changed = await client.post(
        "/api/auth/change-password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        headers=bearer(mine["access_token"]),
    )
    assert changed.status_code == 204
    renewed = await client.post("/api/auth/refresh", json={"refresh_token": mine["refresh_token"]})
    assert renewed.status_code == 200
    me = await client.get("/api/auth/me", headers=bearer(renewed.json()["access_token"]))
    assert me.status_code == 200


async def test_a_pin_change_overlapping_a_pin_reset_loses_to_it(
    client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    store = await make_store(session)
    admin = await make_user(session, role=Role.ADMIN, store=store)
    staff = await make_user(
        session, role=Role.STAFF, store=store, partner_number="RACE03", pin=PIN, settings=settings
    )
    tokens = (await pin_login(client, "RACE03", PIN)).json()
    gated = install_gated_hasher(app, settings)
    changing = asyncio.create_task(
        client.post(
            "/api/auth/change-pin",
            json={"current_pin": PIN, "new_pin": "1111"},
            headers=bearer(tokens["access_token"]),
        )
    )
    try:
        assert await asyncio.to_thread(gated.entered.wait, 5)
        await _reset_pin(client, auth_headers(settings, admin), staff, tokens)
    finally:
        gated.gate.set()
    changed = await changing
    assert changed.status_code == 401
    assert changed.json()["code"] == "wrong_current_secret"
    # The admin's PIN stands; the one the caller tried to set does not.
    assert (await pin_login(client, "RACE03", "1111")).status_code == 401
    assert (await pin_login(client, "RACE03", "9753")).status_code == 200
