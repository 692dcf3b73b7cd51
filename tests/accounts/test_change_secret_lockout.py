"""Change-pin and change-password check the current secret like a sign-in does: a wrong
one is a failed sign-in of the account (same counter, same lock), the failure that locks
the account ends the caller's session, and the checks share the per-IP sign-in limit."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role, User
from backroom.core.audit import AuditEvent
from backroom.core.config import Settings
from backroom.core.passwords import SecretHasher
from tests.accounts.conftest import CountingArgon2, bearer, password_login, pin_login
from tests.factories import make_user

PIN = "1357"
PASSWORD = "an old passphrase"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"RATE_LIMIT_ENABLED": False}


@dataclass(frozen=True)
class Secret:
    """One kind of secret: how to sign in with it and how to change it."""

    route: str
    current: str
    new: str
    right: str
    wrong: str

    def body(self, current: str) -> dict[str, str]:
        return {f"current_{self.current}": current, f"new_{self.current}": self.new}


PIN_KIND = Secret("/api/auth/change-pin", "pin", "2468", PIN, "0000")
PASSWORD_KIND = Secret(
    "/api/auth/change-password", "password", "a brand new passphrase", PASSWORD, "not it at all"
)


async def _account(session: AsyncSession, settings: Settings) -> User:
    return await make_user(
        session,
        role=Role.STAFF,
        partner_number="LOCK01",
        email="lock@example.com",
        pin=PIN,
        password=PASSWORD,
        settings=settings,
    )


async def _sign_in(client: httpx.AsyncClient, kind: Secret, secret: str) -> httpx.Response:
    if kind is PIN_KIND:
        return await pin_login(client, "LOCK01", secret)
    return await password_login(client, "lock@example.com", secret)


async def _reload(session: AsyncSession, user: User) -> User:
    await session.refresh(user)
    await session.commit()
    return user


@pytest.mark.parametrize("kind", [PIN_KIND, PASSWORD_KIND], ids=["pin", "password"])
async def test_five_wrong_current_secrets_lock_the_account_and_end_the_session(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, kind: Secret
) -> None:
    user = await _account(session, settings)
    tokens = (await _sign_in(client, kind, kind.right)).json()
    headers = bearer(tokens["access_token"])
    for attempt in range(1, 5):
        wrong = await client.post(kind.route, json=kind.body(kind.wrong), headers=headers)
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "wrong_current_secret"
        assert (await _reload(session, user)).failed_login_count == attempt
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200

    fifth = await client.post(kind.route, json=kind.body(kind.wrong), headers=headers)
    assert fifth.status_code == 401
    user = await _reload(session, user)
    assert user.locked_until is not None
    assert user.lockout_count == 1
    # The caller's session is over: access token and refresh token alike.
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 401
    renewed = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert renewed.status_code == 401
    # Locked: the right secret no longer helps, neither here nor at sign-in.
    assert (await _sign_in(client, kind, kind.right)).status_code == 401
    actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    await session.commit()
    assert actions.count("auth.login.failed") == 6
    assert actions.count("auth.account.locked") == 1
    assert "auth.pin.changed" not in actions
    assert "auth.password.changed" not in actions


async def test_a_locked_account_refuses_the_change_even_with_the_right_pin(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    counting_hasher: CountingArgon2,
) -> None:
    user = await _account(session, settings)
    headers = bearer((await pin_login(client, "LOCK01", PIN)).json()["access_token"])
    for _ in range(5):
        assert (await pin_login(client, "LOCK01", "0000")).status_code == 401
    verifies = counting_hasher.verifies
    refused = await client.post("/api/auth/change-pin", json=PIN_KIND.body(PIN), headers=headers)
    assert refused.status_code == 401
    assert refused.json()["code"] == "wrong_current_secret"
    # One verify (against the dummy hash), like any refused sign-in, and no new hash.
    assert counting_hasher.verifies == verifies + 1
    assert counting_hasher.hashes == 0
    user = await _reload(session, user)
    assert (await SecretHasher(settings).verify_pin(PIN, user.pin_hash)).ok


async def test_sign_in_failures_and_change_failures_share_one_counter(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await _account(session, settings)
    headers = bearer((await pin_login(client, "LOCK01", PIN)).json()["access_token"])
    for _ in range(3):
        assert (await pin_login(client, "LOCK01", "0000")).status_code == 401
    for _ in range(2):
        wrong = await client.post(
            "/api/auth/change-pin", json=PIN_KIND.body("0000"), headers=headers
        )
        assert wrong.status_code == 401
    user = await _reload(session, user)
    assert user.locked_until is not None
    assert (await pin_login(client, "LOCK01", PIN)).status_code == 401


async def test_a_right_current_pin_resets_the_counter_and_changes_it(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await _account(session, settings)
    headers = bearer((await pin_login(client, "LOCK01", PIN)).json()["access_token"])
    for _ in range(4):
        await client.post("/api/auth/change-pin", json=PIN_KIND.body("0000"), headers=headers)
    assert (await _reload(session, user)).failed_login_count == 4
    changed = await client.post("/api/auth/change-pin", json=PIN_KIND.body(PIN), headers=headers)
    assert changed.status_code == 204
    user = await _reload(session, user)
    assert (user.failed_login_count, user.locked_until) == (0, None)
    assert (await pin_login(client, "LOCK01", "2468")).status_code == 200


@pytest.mark.parametrize("settings_overrides", [{"RATE_LIMIT_ENABLED": True}])
@pytest.mark.parametrize("kind", [PIN_KIND, PASSWORD_KIND], ids=["pin", "password"])
async def test_current_secret_checks_share_the_per_ip_sign_in_limit(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, kind: Secret
) -> None:
    await _account(session, settings)
    headers = bearer((await _sign_in(client, kind, kind.right)).json()["access_token"])
    # The sign-in above used 1 of the 10 a minute; 4 wrong checks lock nothing yet.
    for _ in range(4):
        wrong = await client.post(kind.route, json=kind.body(kind.wrong), headers=headers)
        assert wrong.status_code == 401
    for _ in range(5):
        await _sign_in(client, kind, "0001" if kind is PIN_KIND else "some other phrase")
    limited = await client.post(kind.route, json=kind.body(kind.right), headers=headers)
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
