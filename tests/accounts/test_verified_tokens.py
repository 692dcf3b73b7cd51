"""An access token is verified once per worker and then recognised by its string; every
request still honours its expiry and the user's revocation state."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import httpx
import jwt
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role, User
from backroom.core.config import Settings
from backroom.core.db import utcnow
from backroom.core.security import AccessClaims, VerifiedTokens, create_access_token
from tests.accounts.conftest import bearer, pin_login
from tests.factories import make_user

PIN = "2468"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"RATE_LIMIT_ENABLED": False}


@pytest.fixture
async def user(session: AsyncSession, settings: Settings) -> User:
    return await make_user(
        session, role=Role.STAFF, partner_number="S3001", pin=PIN, settings=settings
    )


async def _me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/auth/me", headers=bearer(token))


async def test_a_token_already_accepted_is_refused_once_it_expires(
    client: httpx.AsyncClient, user: User, settings: Settings
) -> None:
    issued = utcnow() - dt.timedelta(seconds=settings.ACCESS_TOKEN_TTL - 3)
    token = create_access_token(
        settings, subject=user.id, role=user.role, store_id=user.store_id, now=issued
    )
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    assert (await _me(client, token)).status_code == 200
    assert (await _me(client, token)).status_code == 200  # now remembered as verified
    await asyncio.sleep(max(0.0, expires - time.time()) + 0.05)
    response = await _me(client, token)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


async def test_a_token_already_accepted_is_refused_after_logout_all(
    client: httpx.AsyncClient, user: User
) -> None:
    token = (await pin_login(client, "S3001", PIN)).json()["access_token"]
    assert (await _me(client, token)).status_code == 200
    assert (await client.post("/api/auth/logout-all", headers=bearer(token))).status_code == 204
    assert (await _me(client, token)).status_code == 401


async def test_an_altered_signature_of_an_accepted_token_is_refused(
    client: httpx.AsyncClient, user: User, settings: Settings
) -> None:
    token = create_access_token(settings, subject=user.id, role=user.role, store_id=user.store_id)
    assert (await _me(client, token)).status_code == 200
    head, payload, signature = token.split(".")
    middle = len(signature) // 2
    altered = (
        signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1 :]
    )
    assert (await _me(client, f"{head}.{payload}.{altered}")).status_code == 401
    assert (await _me(client, token)).status_code == 200


def _claims(exp: float) -> AccessClaims:
    return AccessClaims(sub="s", role="user", store=None, iat=0.0, exp=int(exp), jti="j")


def test_verified_tokens_keep_the_most_recently_used_up_to_their_size() -> None:
    tokens = VerifiedTokens(size=2)
    later = time.time() + 600
    tokens.put("a", _claims(later))
    tokens.put("b", _claims(later))
    assert tokens.get("a") is not None  # "a" is now the most recent
    tokens.put("c", _claims(later))
    assert len(tokens) == 2
    assert tokens.get("b") is None
    assert tokens.get("a") is not None
    assert tokens.get("c") is not None


def test_verified_tokens_forget_an_expired_token() -> None:
    tokens = VerifiedTokens(size=2)
    tokens.put("old", _claims(time.time() - 1))
    assert tokens.get("old") is None
    assert len(tokens) == 0
