"""Sign-in: one 401 body for every failure, lockout in the database, equal hashing work."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role, User
from backroom.core.audit import AuditEvent
from backroom.core.config import Settings
from backroom.core.db import utcnow
from backroom.core.passwords import SecretHasher
from tests.accounts.conftest import (
    CountingArgon2,
    GatedArgon2,
    bearer,
    password_login,
    pin_login,
)
from tests.factories import assert_not_echoed, auth_headers, make_user

PASSWORD = "correct horse battery"
PIN = "4821"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"RATE_LIMIT_ENABLED": False}


def _failure_body(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    return dict(body)


async def _staff(session: AsyncSession, settings: Settings, **kwargs: object) -> User:
    return await make_user(
        session, role=Role.STAFF, partner_number="P1001", pin=PIN, settings=settings, **kwargs
    )


async def _reload(session: AsyncSession, user: User) -> User:
    await session.refresh(user)
    await session.commit()  # end the read: on SQLite it holds the write lock
    return user


async def test_unknown_wrong_locked_and_deactivated_give_identical_401(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await _staff(session, settings)
    unknown = await pin_login(client, "NOBODY1", PIN)
    wrong = await pin_login(client, "P1001", "0000")
    user.is_active = False
    await session.commit()
    deactivated = await pin_login(client, "P1001", PIN)
    user.is_active = True
    user.locked_until = utcnow() + dt.timedelta(minutes=5)
    await session.commit()
    locked = await pin_login(client, "P1001", PIN)

    bodies = [_failure_body(r) for r in (unknown, wrong, deactivated, locked)]
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0]["detail"] == "Invalid credentials"
    assert bodies[0]["code"] == "invalid_credentials"


async def test_deleted_account_cannot_sign_in(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await _staff(session, settings)
    user.deleted_at = utcnow()
    await session.commit()
    response = await pin_login(client, "P1001", PIN)
    assert _failure_body(response)["detail"] == "Invalid credentials"


async def test_five_failures_lock_and_even_the_right_pin_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await _staff(session, settings)
    for _ in range(5):
        wrong = await pin_login(client, "P1001", "0000")
    right = await pin_login(client, "P1001", PIN)
    assert _failure_body(right) == _failure_body(wrong)
    user = await _reload(session, user)
    assert user.locked_until is not None
    expected = utcnow() + dt.timedelta(minutes=15)
    assert abs((user.locked_until - expected).total_seconds()) < 30
    assert user.lockout_count == 1


async def test_failed_attempt_counter_is_committed_despite_the_401(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await _staff(session, settings)
    await pin_login(client, "P1001", "0000")
    await pin_login(client, "P1001", "1111")
    user = await _reload(session, user)
    assert user.failed_login_count == 2
    actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    assert actions.count("auth.login.failed") == 2


async def test_repeat_lock_doubles_up_to_the_maximum(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await _staff(session, settings)
    user.lockout_count = 7  # 15 min * 2**7 is more than a day
    await session.commit()
    for _ in range(5):
        await pin_login(client, "P1001", "0000")
    user = await _reload(session, user)
    assert user.locked_until is not None
    seconds = (user.locked_until - utcnow()).total_seconds()
    assert 24 * 3600 - 60 < seconds <= 24 * 3600
    assert user.lockout_count == 8


async def test_expired_lock_lets_the_right_pin_in_and_success_resets(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await _staff(session, settings)
    user.locked_until = utcnow() - dt.timedelta(seconds=1)
    user.failed_login_count = 3
    user.lockout_count = 2
    await session.commit()
    response = await pin_login(client, "P1001", PIN)
    assert response.status_code == 200
    user = await _reload(session, user)
    assert (user.failed_login_count, user.lockout_count, user.locked_until) == (0, 0, None)


async def test_concurrent_wrong_guesses_cannot_pass_the_threshold(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await _staff(session, settings)
    guesses = [pin_login(client, "P1001", f"{n:04d}") for n in range(10)]
    results = await asyncio.gather(*guesses)
    assert all(r.status_code == 401 for r in results)
    user = await _reload(session, user)
    assert user.locked_until is not None
    events = (await session.execute(select(AuditEvent))).scalars().all()
    await session.commit()
    checked = [e for e in events if e.details.get("reason") == "wrong_secret"]
    locks = [e for e in events if e.action == "auth.account.locked"]
    # Ten guesses at once: exactly five were checked, then the account was locked once.
    assert len(checked) == 5
    assert len(locks) == 1


async def test_unknown_account_costs_one_verify_like_a_real_one(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    counting_hasher: CountingArgon2,
) -> None:
    await make_user(session, email="known@example.com", password=PASSWORD, settings=settings)
    await _staff(session, settings)
    await password_login(client, "nobody@example.com", PASSWORD)
    await pin_login(client, "NOBODY1", PIN)
    assert (counting_hasher.verifies, counting_hasher.hashes) == (2, 0)
    await password_login(client, "known@example.com", "wrong password!")
    await pin_login(client, "P1001", "0000")
    assert (counting_hasher.verifies, counting_hasher.hashes) == (4, 0)


async def test_locked_account_costs_one_verify(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    counting_hasher: CountingArgon2,
) -> None:
    user = await _staff(session, settings)
    user.locked_until = utcnow() + dt.timedelta(minutes=5)
    await session.commit()
    await pin_login(client, "P1001", PIN)
    assert counting_hasher.verifies == 1


async def test_hash_with_old_parameters_is_upgraded_on_sign_in(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    counting_hasher: CountingArgon2,
) -> None:
    old = settings.model_copy(update={"ARGON2_TIME_COST": 2})
    user = await make_user(session, email="old@example.com", password=PASSWORD, settings=old)
    old_hash = user.password_hash
    response = await password_login(client, "old@example.com", PASSWORD)
    assert response.status_code == 200
    assert (counting_hasher.verifies, counting_hasher.hashes) == (1, 1)
    user = await _reload(session, user)
    assert user.password_hash != old_hash
    assert user.password_hash is not None
    assert ",t=1," in user.password_hash
    again = await password_login(client, "old@example.com", PASSWORD)
    assert again.status_code == 200
    assert counting_hasher.hashes == 1


async def test_pin_hash_is_argon2id_and_peppered(session: AsyncSession, settings: Settings) -> None:
    user = await _staff(session, settings)
    assert user.pin_hash is not None
    assert user.pin_hash.startswith("$argon2id$")
    other_pepper = settings.model_copy(update={"PIN_PEPPER": "another-pepper-" + "z" * 40})
    assert not (await SecretHasher(other_pepper).verify_pin(PIN, user.pin_hash)).ok
    assert (await SecretHasher(settings).verify_pin(PIN, user.pin_hash)).ok


async def test_malformed_pin_is_422_without_echo(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login", json={"partner_number": "P1001", "pin": "12a45"}
    )
    assert response.status_code == 422
    assert "12a45" not in response.text
    assert response.json()["errors"] == [{"field": "pin", "message": "must be exactly 4 digits"}]


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@example.com"},
        {"partner_number": "P1001"},
        {"email": "a@example.com", "password": "secret-ish", "pin": "1234"},
        {"partner_number": "P1001", "pin": "1234", "role": "admin"},
        {},
    ],
)
async def test_login_body_must_be_exactly_one_shape(
    client: httpx.AsyncClient, body: dict[str, str]
) -> None:
    response = await client.post("/api/auth/login", json=body)
    assert response.status_code == 422
    assert "secret-ish" not in response.text
    assert_not_echoed(response, "1234")


async def test_login_with_both_body_shapes_returns_the_token_response(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    ann = await make_user(session, email="ann@example.com", password=PASSWORD, settings=settings)
    await _staff(session, settings)
    by_password = await password_login(client, "  ANN@example.com ", PASSWORD)
    by_pin = await pin_login(client, " p1001 ", PIN)
    for response in (by_password, by_pin):
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {
            "access_token",
            "token",
            "token_type",
            "expires_in",
            "refresh_token",
            "refresh_expires_in",
            "user",
        }
        assert body["token"] == body["access_token"]
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == settings.ACCESS_TOKEN_TTL
        assert "hash" not in str(body["user"])
        assert "pin" not in body["user"]
        me = await client.get("/api/auth/me", headers=bearer(body["access_token"]))
        assert me.status_code == 200
    # Signing in is not an edit of the account.
    assert by_password.json()["user"]["updated_at"] == ann.updated_at.isoformat().replace(
        "+00:00", "Z"
    )
    ann = await _reload(session, ann)
    assert ann.last_login_at is not None
    assert by_password.json()["user"]["updated_at"] == ann.updated_at.isoformat().replace(
        "+00:00", "Z"
    )


async def test_sign_in_success_and_failure_are_audited(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await _staff(session, settings)
    await pin_login(client, "P1001", "0000")
    await pin_login(client, "P1001", PIN)
    events = (await session.execute(select(AuditEvent).order_by(AuditEvent.at))).scalars().all()
    assert [e.action for e in events] == ["auth.login.failed", "auth.login.succeeded"]
    assert all(e.store_id == user.store_id for e in events)
    assert all(PIN not in str(e.details) and "0000" not in str(e.details) for e in events)


@pytest.mark.parametrize(
    "settings_overrides", [{"RATE_LIMIT_ENABLED": False, "SQLITE_BUSY_TIMEOUT_MS": 300}]
)
async def test_other_writes_proceed_while_a_sign_in_is_hashing(
    client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    settings: Settings,
) -> None:
    await _staff(session, settings)
    other = await make_user(session)
    gated = GatedArgon2(
        time_cost=settings.ARGON2_TIME_COST,
        memory_cost=settings.ARGON2_MEMORY_KIB,
        parallelism=settings.ARGON2_PARALLELISM,
    )
    app.state.secret_hasher = SecretHasher(settings, gated)
    signing_in = asyncio.create_task(pin_login(client, "P1001", PIN))
    try:
        assert await asyncio.to_thread(gated.entered.wait, 5)
        # The hash is running: a write of another request must not wait for it.
        renamed = await client.patch(
            "/api/auth/me", json={"first_name": "Busy"}, headers=auth_headers(settings, other)
        )
        assert renamed.status_code == 200
    finally:
        gated.gate.set()
    assert (await signing_in).status_code == 200


async def test_token_form_works_for_both_kinds_like_swagger_authorize(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await make_user(session, email="ann@example.com", password=PASSWORD, settings=settings)
    await _staff(session, settings)
    for username, secret in (("ANN@example.com", PASSWORD), ("p1001", PIN)):
        form = {"grant_type": "password", "username": username, "password": secret, "scope": ""}
        response = await client.post("/api/auth/token", data=form)
        assert response.status_code == 200
        assert response.json()["token_type"] == "bearer"
    # A partner number with a secret that is no PIN is simply wrong, like any wrong PIN.
    not_a_pin = await client.post("/api/auth/token", data={"username": "P1001", "password": "x"})
    assert not_a_pin.status_code == 401
    assert not_a_pin.json()["detail"] == "Invalid credentials"


@pytest.mark.parametrize(
    "form",
    [
        {"username": "P1001"},
        {"password": "1234"},
        {"username": "P1001", "password": "1234", "grant_type": "client_credentials"},
        {"username": "no spaces allowed", "password": "1234"},
    ],
)
async def test_token_form_with_missing_or_bad_fields_is_422(
    client: httpx.AsyncClient, form: dict[str, str]
) -> None:
    response = await client.post("/api/auth/token", data=form)
    assert response.status_code == 422
    assert_not_echoed(response, "1234")


async def test_openapi_describes_both_login_shapes_and_the_form(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    login = document["components"]["schemas"]["LoginRequest"]
    assert [sorted(shape["required"]) for shape in login["oneOf"]] == [
        ["email", "password"],
        ["partner_number", "pin"],
    ]
    token = document["paths"]["/api/auth/token"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in token
    schemes = document["components"]["securitySchemes"]
    assert schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == "/api/auth/token"
