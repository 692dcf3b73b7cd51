"""Bearer tokens that must be refused, each with a 401 problem and `WWW-Authenticate`."""

from __future__ import annotations

import base64
import datetime as dt
import json

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role, User
from backroom.core.config import Settings
from backroom.core.db import utcnow
from backroom.core.security import (
    InvalidToken,
    create_access_token,
    decode_access_token,
    hash_refresh_token,
    new_refresh_token,
)
from tests.factories import auth_headers, make_user


def _b64(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(user: User, settings: Settings, **changes: object) -> dict[str, object]:
    now = int(utcnow().timestamp())
    claims: dict[str, object] = {
        "sub": str(user.id),
        "role": user.role,
        "store": str(user.store_id) if user.store_id else None,
        "iat": now,
        "exp": now + 600,
        "jti": "x",
        "typ": "access",
        "iss": settings.JWT_ISSUER,
    }
    claims.update(changes)
    return claims


async def _me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})


def _assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_token"


@pytest.fixture
async def user(session: AsyncSession) -> User:
    return await make_user(session, role=Role.STAFF)


async def test_alg_none_is_refused(
    client: httpx.AsyncClient, user: User, settings: Settings
) -> None:
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(user, settings))}."
    _assert_refused(await _me(client, token))


async def test_token_signed_with_another_key_is_refused(
    client: httpx.AsyncClient, user: User, settings: Settings
) -> None:
    token = jwt.encode(_claims(user, settings), "another-secret-" + "k" * 40, algorithm="HS256")
    _assert_refused(await _me(client, token))


async def test_asymmetric_token_is_refused_without_a_key_set(
    client: httpx.AsyncClient, user: User, settings: Settings
) -> None:
    key = Ed25519PrivateKey.generate()
    token = jwt.encode(_claims(user, settings), key, algorithm="EdDSA")
    _assert_refused(await _me(client, token))


async def test_expired_token_is_refused(
    client: httpx.AsyncClient, user: User, settings: Settings
) -> None:
    past = utcnow() - dt.timedelta(seconds=settings.ACCESS_TOKEN_TTL + 5)
    token = create_access_token(
        settings, subject=user.id, role=user.role, store_id=user.store_id, now=past
    )
    _assert_refused(await _me(client, token))


async def test_tampered_payload_is_refused(
    client: httpx.AsyncClient, user: User, settings: Settings
) -> None:
    header, _payload, signature = auth_headers(settings, user)["Authorization"][7:].split(".")
    forged = _b64(_claims(user, settings, role="admin"))
    _assert_refused(await _me(client, f"{header}.{forged}.{signature}"))


async def test_key_url_in_header_is_refused(
    client: httpx.AsyncClient, user: User, settings: Settings
) -> None:
    for extra in ({"jku": "http://evil.example/jwks"}, {"kid": "1"}, {"x5u": "http://e"}):
        token = jwt.encode(
            _claims(user, settings), settings.secret_key, algorithm="HS256", headers=extra
        )
        _assert_refused(await _me(client, token))


async def test_token_without_type_or_of_another_type_is_refused(
    client: httpx.AsyncClient, user: User, settings: Settings
) -> None:
    untyped = _claims(user, settings)
    del untyped["typ"]
    for claims in (untyped, _claims(user, settings, typ="refresh")):
        token = jwt.encode(claims, settings.secret_key, algorithm="HS256")
        _assert_refused(await _me(client, token))


async def test_refresh_token_used_as_access_token_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await make_user(session, email="r@example.com", password="a long passphrase", settings=settings)
    login = await client.post(
        "/api/auth/login", json={"email": "r@example.com", "password": "a long passphrase"}
    )
    _assert_refused(await _me(client, login.json()["refresh_token"]))


async def test_token_in_query_string_is_ignored(
    client: httpx.AsyncClient, user: User, settings: Settings
) -> None:
    token = auth_headers(settings, user)["Authorization"][7:]
    for name in ("access_token", "token"):
        response = await client.get(f"/api/auth/me?{name}={token}")
        assert response.status_code == 401


async def test_missing_or_garbage_header_is_refused(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/auth/me")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    for value in ("Bearer", "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer a.b.c"):
        response = await client.get("/api/auth/me", headers={"Authorization": value})
        assert response.status_code == 401


async def test_token_for_a_user_that_does_not_exist_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    import uuid

    token = create_access_token(settings, subject=uuid.uuid4(), role="admin", store_id=None)
    _assert_refused(await _me(client, token))


def test_decode_round_trip_keeps_sub_second_issue_time(settings: Settings) -> None:
    now = utcnow()
    import uuid

    subject = uuid.uuid4()
    claims = decode_access_token(
        settings,
        create_access_token(settings, subject=subject, role="user", store_id=None, now=now),
    )
    assert claims.sub == str(subject)
    assert abs(claims.iat - now.timestamp()) < 1e-5
    with pytest.raises(InvalidToken):
        decode_access_token(settings, "x.y.z")


def test_refresh_tokens_are_random_and_stored_as_digests() -> None:
    first, second = new_refresh_token(), new_refresh_token()
    assert first != second
    assert len(first) >= 43  # 256 bits, base64url
    assert hash_refresh_token(first) != first
    assert len(hash_refresh_token(first)) == 64
