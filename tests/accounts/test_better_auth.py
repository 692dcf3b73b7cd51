"""Better Auth tokens, minted the way Better Auth mints them.

The cookie-cache token is HS256 with the shared secret, the id nested at `user.id`
and no `sub`/`typ`/`iss`/`aud`. The JWT plugin signs with Ed25519 (EdDSA) and puts
the Better Auth URL in `iss` and `aud`; its key set is served here by a small HTTP
server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from jwt.algorithms import OKPAlgorithm
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import User
from tests.accounts.conftest import bearer

SECRET = "better-auth-secret-" + "b" * 40
BASE_URL = "http://localhost:3000"


@dataclass
class JwksServer:
    url: str = ""
    keys: list[dict[str, Any]] = field(default_factory=list)
    hits: int = 0


@pytest.fixture(scope="module")
def jwks_server() -> Iterator[JwksServer]:
    state = JwksServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits += 1
            body = json.dumps({"keys": state.keys}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/auth/jwks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def settings_overrides(jwks_server: JwksServer) -> dict[str, object]:
    return {
        "BETTER_AUTH_SECRET": SECRET,
        "BETTER_AUTH_JWKS_URL": jwks_server.url,
        "BETTER_AUTH_URL": BASE_URL,
        "RATE_LIMIT_ENABLED": False,
    }


@pytest.fixture
def signing_key(jwks_server: JwksServer) -> tuple[Ed25519PrivateKey, str]:
    key = Ed25519PrivateKey.generate()
    kid = uuid.uuid4().hex
    jwk = OKPAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwks_server.keys = [{**jwk, "kid": kid, "alg": "EdDSA"}]
    return key, kid


def cookie_cache_token(user_id: str, *, secret: str = SECRET, **extra: Any) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {
        "session": {"id": "sess_1", "userId": user_id, "expiresAt": now + 86400},
        "user": {"id": user_id, "email": f"{user_id}@example.com", "name": "Cookie User"},
        "updatedAt": now,
        "iat": now,
        "exp": now + 300,
    }
    payload.update(extra)
    return jwt.encode(payload, secret, algorithm="HS256")


def plugin_token(key: Ed25519PrivateKey, kid: str, subject: str, **extra: Any) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {
        "sub": subject,
        "iss": BASE_URL,
        "aud": BASE_URL,
        "iat": now,
        "exp": now + 900,
        "email": f"{subject}@example.com",
        "name": "Plugin User",
    }
    payload.update(extra)
    return jwt.encode(payload, key, algorithm="EdDSA", headers={"kid": kid})


async def _me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/auth/me", headers=bearer(token))


async def test_hs256_with_another_secret_is_refused(client: httpx.AsyncClient) -> None:
    token = cookie_cache_token("ba_1", secret="some-other-secret-" + "c" * 40)
    assert (await _me(client, token)).status_code == 401


async def test_hs256_without_exp_or_expired_is_refused(client: httpx.AsyncClient) -> None:
    no_exp = jwt.encode({"sub": "ba_1"}, SECRET, algorithm="HS256")
    # Past the 30 s of clock leeway.
    expired = cookie_cache_token("ba_1", exp=int(time.time()) - 31)
    for token in (no_exp, expired):
        assert (await _me(client, token)).status_code == 401


async def test_hs256_without_any_subject_is_refused(client: httpx.AsyncClient) -> None:
    token = jwt.encode({"exp": int(time.time()) + 60}, SECRET, algorithm="HS256")
    assert (await _me(client, token)).status_code == 401


async def test_role_claim_is_ignored(client: httpx.AsyncClient) -> None:
    token = cookie_cache_token("ba_admin", role="admin", store=str(uuid.uuid4()))
    me = await _me(client, token)
    assert me.status_code == 200
    assert me.json()["user"]["role"] == "user"
    assert (await client.get("/api/admin/users", headers=bearer(token))).status_code == 403


async def test_cookie_cache_token_with_nested_id_creates_a_local_user(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    me = await _me(client, cookie_cache_token("ba_nested"))
    assert me.status_code == 200
    user = me.json()["user"]
    assert (user["email"], user["name"], user["role"]) == (
        "ba_nested@example.com",
        "Cookie User",
        "user",
    )
    again = await _me(client, cookie_cache_token("ba_nested"))
    assert again.json()["user"]["id"] == user["id"]
    stored = (await session.execute(select(User.external_id))).scalars().all()
    assert stored == ["ba_nested"]


async def test_a_long_external_name_is_cut_to_the_100_characters_of_a_name(
    client: httpx.AsyncClient,
) -> None:
    long_name = "Ann " + "n" * 150
    token = jwt.encode(
        {"sub": "ba_long", "name": long_name, "exp": int(time.time()) + 60},
        SECRET,
        algorithm="HS256",
    )
    me = await _me(client, token)
    assert me.status_code == 200
    assert me.json()["user"]["name"] == long_name[:100]


async def test_custom_signer_with_flat_sub_and_top_level_id(client: httpx.AsyncClient) -> None:
    now = int(time.time())
    flat = jwt.encode({"sub": "ba_flat", "exp": now + 60}, SECRET, algorithm="HS256")
    top = jwt.encode({"id": "ba_top", "exp": now + 60}, SECRET, algorithm="HS256")
    first, second = await _me(client, flat), await _me(client, top)
    assert first.status_code == second.status_code == 200
    assert first.json()["user"]["id"] != second.json()["user"]["id"]


async def test_concurrent_first_sights_create_one_user(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    token = cookie_cache_token("ba_race")
    results = await asyncio.gather(*(_me(client, token) for _ in range(5)))
    assert [r.status_code for r in results] == [200] * 5
    assert len({r.json()["user"]["id"] for r in results}) == 1
    rows = (await session.execute(select(User).where(User.external_id == "ba_race"))).all()
    assert len(rows) == 1


async def test_email_already_used_locally_is_still_shown_on_the_external_user(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    local = User(email="ba_dup@example.com", role="user")
    session.add(local)
    await session.commit()
    me = await _me(client, cookie_cache_token("ba_dup"))
    assert me.status_code == 200
    assert me.json()["user"]["email"] == "ba_dup@example.com"
    assert me.json()["user"]["id"] != str(local.id)


async def test_deactivated_external_user_is_refused(
    client: httpx.AsyncClient, app: FastAPI, session: AsyncSession
) -> None:
    token = cookie_cache_token("ba_off")
    assert (await _me(client, token)).status_code == 200
    await session.execute(update(User).where(User.external_id == "ba_off").values(is_active=False))
    await session.commit()
    user_id = (await session.execute(select(User.id))).scalar_one()
    await session.commit()
    app.state.auth_state_cache.forget(user_id)  # as the TTL would, later
    assert (await _me(client, token)).status_code == 401


async def test_jwks_token_is_accepted_with_issuer_and_audience(
    client: httpx.AsyncClient, signing_key: tuple[Ed25519PrivateKey, str]
) -> None:
    key, kid = signing_key
    me = await _me(client, plugin_token(key, kid, "ba_plugin", role="admin"))
    assert me.status_code == 200
    assert me.json()["user"]["role"] == "user"
    assert me.json()["user"]["email"] == "ba_plugin@example.com"


async def test_jwks_token_with_wrong_audience_issuer_or_key_is_refused(
    client: httpx.AsyncClient, signing_key: tuple[Ed25519PrivateKey, str]
) -> None:
    key, kid = signing_key
    stranger = Ed25519PrivateKey.generate()
    for token in (
        plugin_token(key, kid, "ba_p", aud="http://elsewhere"),
        plugin_token(key, kid, "ba_p", iss="http://elsewhere"),
        plugin_token(stranger, kid, "ba_p"),
        plugin_token(key, kid, "ba_p", exp=int(time.time()) - 31),
    ):
        assert (await _me(client, token)).status_code == 401


async def test_hmac_token_signed_with_the_public_key_is_refused(
    client: httpx.AsyncClient, jwks_server: JwksServer, signing_key: tuple[Ed25519PrivateKey, str]
) -> None:
    _key, kid = signing_key
    public_x = jwks_server.keys[0]["x"]
    now = int(time.time())
    token = jwt.encode(
        {"sub": "ba_confused", "exp": now + 60}, public_x, algorithm="HS256", headers={"kid": kid}
    )
    assert (await _me(client, token)).status_code == 401


async def test_unknown_kid_refetches_the_key_set_at_a_bounded_rate(
    client: httpx.AsyncClient,
    app: FastAPI,
    jwks_server: JwksServer,
    signing_key: tuple[Ed25519PrivateKey, str],
) -> None:
    key, kid = signing_key
    assert (await _me(client, plugin_token(key, kid, "ba_rot"))).status_code == 200
    hits = jwks_server.hits
    # Better Auth rotates its key: a token with a new kid arrives.
    new_key, new_kid = Ed25519PrivateKey.generate(), uuid.uuid4().hex
    jwk = OKPAlgorithm.to_jwk(new_key.public_key(), as_dict=True)
    jwks_server.keys.append({**jwk, "kid": new_kid, "alg": "EdDSA"})
    # Within the rate bound, no refetch: an unknown kid cannot be used to hammer the server.
    for _ in range(3):
        assert (await _me(client, plugin_token(new_key, new_kid, "ba_rot"))).status_code == 401
    assert jwks_server.hits == hits
    app.state.authenticator.better_auth.jwks.min_refetch = 0.0  # the bound has passed
    assert (await _me(client, plugin_token(new_key, new_kid, "ba_rot"))).status_code == 200
    assert jwks_server.hits == hits + 1


def test_better_auth_secret_equal_to_our_secret_key_is_refused() -> None:
    from backroom.core.config import SettingsError, load_settings
    from tests.conftest import TEST_PEPPER, TEST_SECRET

    # Otherwise a Better Auth token could be shaped into one of our own, role and all.
    with pytest.raises(SettingsError, match="BETTER_AUTH_SECRET"):
        load_settings(
            ENVIRONMENT="test",
            SECRET_KEY=TEST_SECRET,
            PIN_PEPPER=TEST_PEPPER,
            BETTER_AUTH_SECRET=TEST_SECRET,
        )
