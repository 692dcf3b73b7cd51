"""The caller's own account: me, rename, change password, change PIN."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role
from backroom.core.config import Settings
from tests.accounts.conftest import bearer, password_login, pin_login
from tests.factories import auth_headers, make_user

PASSWORD = "an old passphrase"
PIN = "1357"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"RATE_LIMIT_ENABLED": False}


async def test_me_needs_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/auth/me")).status_code == 401


@pytest.mark.parametrize("key", ["role", "email", "is_active", "store_id", "partner_number"])
async def test_patch_me_refuses_forbidden_keys(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, key: str
) -> None:
    user = await make_user(session)
    response = await client.patch(
        "/api/auth/me", json={key: "admin"}, headers=auth_headers(settings, user)
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": key, "message": "Unknown field"}]


async def test_patch_me_renames(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, first_name="Old", last_name="Name")
    headers = auth_headers(settings, user)
    response = await client.patch(
        "/api/auth/me", json={"first_name": " Grace ", "last_name": "Hopper"}, headers=headers
    )
    assert response.status_code == 200
    assert response.json()["user"]["name"] == "Grace Hopper"
    named = await client.patch("/api/auth/me", json={"name": "Amazing Grace"}, headers=headers)
    assert named.json()["user"]["name"] == "Amazing Grace"
    assert named.json()["user"]["first_name"] == "Grace"
    me = await client.get("/api/auth/me", headers=headers)
    assert me.json() == named.json()


async def test_change_password_with_a_wrong_current_one_is_401(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, email="cp@example.com", password=PASSWORD, settings=settings)
    response = await client.post(
        "/api/auth/change-password",
        json={"current_password": "not it at all", "new_password": "a brand new passphrase"},
        headers=auth_headers(settings, user),
    )
    assert response.status_code == 401
    assert "not it at all" not in response.text


@pytest.mark.parametrize("new", ["short", "password1", "cp@example.com"])
async def test_change_password_to_a_weak_one_is_422_without_echo(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, new: str
) -> None:
    user = await make_user(session, email="cp@example.com", password=PASSWORD, settings=settings)
    response = await client.post(
        "/api/auth/change-password",
        json={"current_password": PASSWORD, "new_password": new},
        headers=auth_headers(settings, user),
    )
    assert response.status_code == 422
    assert new not in response.text
    assert PASSWORD not in response.text


async def test_change_password_ends_other_sessions_and_keeps_this_one(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await make_user(session, email="cp@example.com", password=PASSWORD, settings=settings)
    mine = (await password_login(client, "cp@example.com", PASSWORD)).json()
    other = (await password_login(client, "cp@example.com", PASSWORD)).json()
    response = await client.post(
        "/api/auth/change-password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        headers=bearer(mine["access_token"]),
    )
    assert response.status_code == 204
    other_refresh = await client.post(
        "/api/auth/refresh", json={"refresh_token": other["refresh_token"]}
    )
    assert other_refresh.status_code == 401
    me = await client.get("/api/auth/me", headers=bearer(other["access_token"]))
    assert me.status_code == 401
    renewed = await client.post("/api/auth/refresh", json={"refresh_token": mine["refresh_token"]})
    assert renewed.status_code == 200
    assert (await password_login(client, "cp@example.com", PASSWORD)).status_code == 401
    new_login = await password_login(client, "cp@example.com", "a brand new passphrase")
    assert new_login.status_code == 200


async def test_change_pin_checks_the_current_pin_and_format(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(
        session, role=Role.STAFF, partner_number="PIN01", pin=PIN, settings=settings
    )
    headers = auth_headers(settings, user)
    wrong = await client.post(
        "/api/auth/change-pin", json={"current_pin": "0000", "new_pin": "2468"}, headers=headers
    )
    assert wrong.status_code == 401
    bad = await client.post(
        "/api/auth/change-pin", json={"current_pin": PIN, "new_pin": "24680"}, headers=headers
    )
    assert bad.status_code == 422
    assert "24680" not in bad.text
    assert PIN not in bad.text
    ok = await client.post(
        "/api/auth/change-pin", json={"current_pin": PIN, "new_pin": "2468"}, headers=headers
    )
    assert ok.status_code == 204
    assert (await pin_login(client, "PIN01", PIN)).status_code == 401
    assert (await pin_login(client, "PIN01", "2468")).status_code == 200
    # The token issued before the change no longer works.
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 401
