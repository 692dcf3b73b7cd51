"""No response carries a hash, a PIN, a password or a refresh token, except token responses."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role
from backroom.core.config import Settings
from tests.accounts.conftest import bearer
from tests.factories import make_store, make_user

ADMIN_PIN = "5173"
STAFF_PIN = "8264"
NEW_PIN = "3948"
PASSWORD = "a fine passphrase"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"RATE_LIMIT_ENABLED": False}


# Timestamps and ids are full of digits: a 4-digit PIN may turn up inside one by chance.
_DIGIT_NOISE = re.compile(
    r"\d{4}-\d{2}-\d{2}T[\d:.]+Z|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


def _clean(response: httpx.Response, *secrets: str) -> None:
    text = _DIGIT_NOISE.sub("", response.text)
    for marker in ("$argon2", "pin_hash", "password_hash", "failed_login", "locked_until"):
        assert marker not in text, (response.request.url, marker)
    for secret in secrets:
        assert secret not in text, (response.request.url, "a secret")


async def test_every_accounts_response_is_free_of_secrets(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    store = await make_store(session)
    await make_user(
        session,
        role=Role.ADMIN,
        store=store,
        partner_number="ADM100",
        pin=ADMIN_PIN,
        settings=settings,
    )
    await make_user(session, email="u@example.com", password=PASSWORD, settings=settings)
    login = await client.post(
        "/api/auth/login", json={"partner_number": "ADM100", "pin": ADMIN_PIN}
    )
    refresh_token = login.json()["refresh_token"]
    _clean(login, ADMIN_PIN)
    admin = bearer(login.json()["access_token"])
    secrets = (ADMIN_PIN, STAFF_PIN, NEW_PIN, PASSWORD, refresh_token)

    created = await client.post(
        "/api/admin/users",
        json={"partner_number": "STF100", "name": "Staff One", "pin": STAFF_PIN},
        headers=admin,
    )
    staff_id = created.json()["user"]["id"]
    responses = [
        created,
        await client.get("/api/auth/me", headers=admin),
        await client.patch("/api/auth/me", json={"name": "Boss"}, headers=admin),
        await client.get("/api/admin/users?include_deleted=true", headers=admin),
        await client.patch(f"/api/admin/users/{staff_id}", json={"name": "S"}, headers=admin),
        await client.post(
            f"/api/admin/users/{staff_id}/reset-pin", json={"pin": NEW_PIN}, headers=admin
        ),
        await client.post(f"/api/admin/users/{staff_id}/unlock", headers=admin),
        await client.delete(f"/api/admin/users/{staff_id}", headers=admin),
        await client.post(f"/api/admin/users/{staff_id}/restore", headers=admin),
        await client.post(
            "/api/auth/change-pin",
            json={"current_pin": "0000", "new_pin": NEW_PIN},
            headers=admin,
        ),
        await client.post(
            "/api/auth/signup",
            json={"email": "v@example.com", "password": PASSWORD, "first_name": "V"},
        ),
        await client.post("/api/auth/login", json={"email": "u@example.com", "password": "nope"}),
        await client.post("/api/auth/refresh", json={"refresh_token": refresh_token + "x"}),
    ]
    for response in responses:
        assert response.status_code < 500
        _clean(response, *secrets)
