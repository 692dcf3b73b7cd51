"""Better Auth tokens against revocation and clock skew, and their emails against local
accounts (API.md §3): 30 s of leeway on `exp`, `nbf` and `iat`; after a revocation a
token without `iat` is refused and `iat` is compared in whole seconds; the email a
token carries is shown but never reserves the address."""

from __future__ import annotations

import math
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role, User
from backroom.core.config import Settings
from tests.accounts.conftest import bearer
from tests.accounts.test_better_auth import (
    SECRET,
    cookie_cache_token,
    jwks_server,
    plugin_token,
    settings_overrides,
    signing_key,
)
from tests.factories import auth_headers, make_user

__all__ = ["jwks_server", "settings_overrides", "signing_key"]  # fixtures, shared


async def _me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/auth/me", headers=bearer(token))


def _bare(subject: str, **claims: object) -> str:
    """A custom signer's token: only what the test gives, besides `sub` and a live `exp`."""
    payload: dict[str, object] = {"sub": subject, "exp": int(time.time()) + 300, **claims}
    return jwt.encode(payload, SECRET, algorithm="HS256")


async def _revocation_second(session: AsyncSession, subject: str) -> float:
    user = (await session.execute(select(User).where(User.external_id == subject))).scalar_one()
    await session.commit()
    assert user.tokens_valid_after is not None
    return user.tokens_valid_after.timestamp()


async def test_a_better_auth_clock_a_few_seconds_off_is_tolerated(
    client: httpx.AsyncClient, signing_key: tuple[Ed25519PrivateKey, str]
) -> None:
    key, kid = signing_key
    now = int(time.time())
    # A Better Auth clock 3 s fast, then one 10 s slow.
    tolerated = [
        cookie_cache_token("ba_skew", iat=now + 3, nbf=now + 3),
        cookie_cache_token("ba_skew", exp=now - 10),
        plugin_token(key, kid, "ba_skew_p", iat=now + 3, nbf=now + 3),
        plugin_token(key, kid, "ba_skew_p", exp=now - 10),
    ]
    for token in tolerated:
        assert (await _me(client, token)).status_code == 200
    beyond = [
        cookie_cache_token("ba_skew", iat=now + 45),
        cookie_cache_token("ba_skew", nbf=now + 45),
        cookie_cache_token("ba_skew", exp=now - 45),
        plugin_token(key, kid, "ba_skew_p", iat=now + 45),
        plugin_token(key, kid, "ba_skew_p", nbf=now + 45),
        plugin_token(key, kid, "ba_skew_p", exp=now - 45),
    ]
    for token in beyond:
        assert (await _me(client, token)).status_code == 401


async def test_a_token_without_iat_dies_with_logout_all(client: httpx.AsyncClient) -> None:
    no_iat = _bare("ba_noiat")
    assert (await _me(client, no_iat)).status_code == 200
    out = await client.post("/api/auth/logout-all", headers=bearer(no_iat))
    assert out.status_code == 204
    assert (await _me(client, no_iat)).status_code == 401
    # A token that says when it was issued, after the logout-all, still works.
    fresh = _bare("ba_noiat", iat=int(time.time()) + 1)
    assert (await _me(client, fresh)).status_code == 200
    assert (await _me(client, _bare("ba_noiat"))).status_code == 401


async def test_iat_is_compared_with_the_revocations_second(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    before = _bare("ba_second", iat=int(time.time()) - 5)
    assert (await _me(client, before)).status_code == 200
    assert (await client.post("/api/auth/logout-all", headers=bearer(before))).status_code == 204
    revoked_at = await _revocation_second(session, "ba_second")
    second = math.floor(revoked_at)
    # Minted in the same second as the logout-all (iat has no fraction): accepted.
    same_second = _bare("ba_second", iat=second)
    assert (await _me(client, same_second)).status_code == 200
    # Minted in the second before: refused, like every token issued before it.
    for token in (before, _bare("ba_second", iat=second - 1)):
        assert (await _me(client, token)).status_code == 401


async def test_an_external_email_never_blocks_a_registration(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    external = await _me(client, cookie_cache_token("ba_claim"))
    assert external.json()["user"]["email"] == "ba_claim@example.com"
    body = {
        "email": "BA_claim@example.com",
        "password": "the real owner's passphrase",
        "first_name": "Real",
        "last_name": "Owner",
    }
    registered = await client.post("/api/auth/register", json=body)
    assert registered.status_code == 201, registered.text
    owner = registered.json()["user"]
    assert owner["email"] == "ba_claim@example.com"
    assert owner["id"] != external.json()["user"]["id"]
    # The owner signs in with the address; the external user still shows it.
    signed_in = await client.post(
        "/api/auth/login", json={"email": body["email"], "password": body["password"]}
    )
    assert signed_in.json()["user"]["id"] == owner["id"]
    again = await _me(client, cookie_cache_token("ba_claim"))
    assert again.json()["user"] == external.json()["user"]


async def test_an_external_email_never_blocks_an_admin_created_account(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    assert (await _me(client, cookie_cache_token("ba_staff"))).status_code == 200
    admin = await make_user(session, role=Role.ADMIN)
    body = {"partner_number": "BA0001", "name": "Staff Member", "pin": "4821"}
    created = await client.post(
        "/api/admin/users",
        json={**body, "email": "ba_staff@example.com"},
        headers=auth_headers(settings, admin),
    )
    assert created.status_code == 201, created.text
    assert created.json()["user"]["email"] == "ba_staff@example.com"
    emails = (await session.execute(select(User.email, User.external_email))).all()
    await session.commit()
    assert sorted(emails, key=str) == sorted(
        [(admin.email, None), ("ba_staff@example.com", None), (None, "ba_staff@example.com")],
        key=str,
    )


@pytest.mark.parametrize("verified", [True, False])
async def test_the_email_does_not_depend_on_email_verified(
    client: httpx.AsyncClient, verified: bool
) -> None:
    token = cookie_cache_token(
        f"ba_v{verified}",
        user={"id": f"ba_v{verified}", "email": "v@example.com", "emailVerified": verified},
    )
    assert (await _me(client, token)).json()["user"]["email"] == "v@example.com"
