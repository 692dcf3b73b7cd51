"""Refresh rotation, reuse detection, logout and logout-all."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import RefreshToken, Role
from backroom.core.audit import AuditEvent
from backroom.core.config import Settings
from backroom.core.db import utcnow
from tests.accounts.conftest import bearer, pin_login
from tests.factories import make_user

PIN = "2468"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"RATE_LIMIT_ENABLED": False}


@pytest.fixture
async def signed_in(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> dict[str, str]:
    await make_user(session, role=Role.STAFF, partner_number="S2001", pin=PIN, settings=settings)
    response = await pin_login(client, "S2001", PIN)
    assert response.status_code == 200
    body: dict[str, str] = response.json()
    return body


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/auth/refresh", json={"refresh_token": token})


async def test_unknown_refresh_token_is_401(client: httpx.AsyncClient) -> None:
    response = await _refresh(client, "not-a-token")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_refresh_token"


async def test_refresh_rotates_and_the_old_token_is_dead(
    client: httpx.AsyncClient, signed_in: dict[str, str]
) -> None:
    first = await _refresh(client, signed_in["refresh_token"])
    assert first.status_code == 200
    body = first.json()
    assert body["refresh_token"] != signed_in["refresh_token"]
    assert body["token"] == body["access_token"]
    assert (await client.get("/api/auth/me", headers=bearer(body["token"]))).status_code == 200
    assert (await _refresh(client, signed_in["refresh_token"])).status_code == 401


async def test_reusing_a_rotated_token_revokes_the_whole_family(
    client: httpx.AsyncClient, session: AsyncSession, signed_in: dict[str, str]
) -> None:
    rotated = (await _refresh(client, signed_in["refresh_token"])).json()
    reuse = await _refresh(client, signed_in["refresh_token"])
    assert reuse.status_code == 401
    # The thief's replay also killed the legitimate holder's newer token.
    assert (await _refresh(client, rotated["refresh_token"])).status_code == 401
    actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    assert "auth.refresh.reused" in actions


async def test_two_concurrent_refreshes_with_one_token_exactly_one_wins(
    client: httpx.AsyncClient, session: AsyncSession, signed_in: dict[str, str]
) -> None:
    """Two tabs refreshing at once: one wins, and the winner stays signed in (on SQLite the
    losers used to read the rotated token as a replay and revoke the winner's family)."""
    results = await asyncio.gather(
        *(_refresh(client, signed_in["refresh_token"]) for _ in range(4))
    )
    assert sorted(r.status_code for r in results) == [200, 401, 401, 401]
    winner = next(r.json() for r in results if r.status_code == 200)
    losers = [r.json() for r in results if r.status_code == 401]
    assert {body["code"] for body in losers} == {"invalid_refresh_token"}
    # The winner's pair works: its access token, and its refresh token (once).
    me = await client.get("/api/auth/me", headers=bearer(winner["access_token"]))
    assert me.status_code == 200
    renewed = await _refresh(client, winner["refresh_token"])
    assert renewed.status_code == 200
    family = (await session.execute(select(RefreshToken))).scalars().all()
    await session.commit()
    assert [row.revoked_at for row in family] == [None, None, None]
    actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    await session.commit()
    assert "auth.refresh.reused" not in actions

    # After the race, the original token coming back is a replay: the family dies.
    replay = await _refresh(client, signed_in["refresh_token"])
    assert replay.status_code == 401
    assert (await _refresh(client, renewed.json()["refresh_token"])).status_code == 401
    actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    await session.commit()
    assert actions.count("auth.refresh.reused") == 1


async def test_expired_refresh_token_is_401(
    client: httpx.AsyncClient, session: AsyncSession, signed_in: dict[str, str]
) -> None:
    await session.execute(
        update(RefreshToken).values(expires_at=utcnow() - dt.timedelta(seconds=1))
    )
    await session.commit()
    assert (await _refresh(client, signed_in["refresh_token"])).status_code == 401


async def test_deactivated_user_cannot_refresh(
    client: httpx.AsyncClient, session: AsyncSession, signed_in: dict[str, str]
) -> None:
    from backroom.accounts.models import User

    await session.execute(update(User).values(is_active=False))
    await session.commit()
    assert (await _refresh(client, signed_in["refresh_token"])).status_code == 401


async def test_logout_revokes_the_family_of_the_given_token(
    client: httpx.AsyncClient, signed_in: dict[str, str]
) -> None:
    response = await client.post(
        "/api/auth/logout",
        json={"refresh_token": signed_in["refresh_token"]},
        headers=bearer(signed_in["access_token"]),
    )
    assert response.status_code == 204
    assert (await _refresh(client, signed_in["refresh_token"])).status_code == 401


async def test_logout_without_body_revokes_the_access_tokens_session(
    client: httpx.AsyncClient, signed_in: dict[str, str]
) -> None:
    response = await client.post("/api/auth/logout", headers=bearer(signed_in["access_token"]))
    assert response.status_code == 204
    assert (await _refresh(client, signed_in["refresh_token"])).status_code == 401


async def test_logout_needs_a_bearer_token(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/auth/logout")).status_code == 401


async def test_logout_cannot_revoke_someone_elses_family(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, signed_in: dict[str, str]
) -> None:
    await make_user(session, role=Role.STAFF, partner_number="S2002", pin=PIN, settings=settings)
    other = (await pin_login(client, "S2002", PIN)).json()
    response = await client.post(
        "/api/auth/logout",
        json={"refresh_token": signed_in["refresh_token"]},
        headers=bearer(other["access_token"]),
    )
    assert response.status_code == 204
    assert (await _refresh(client, signed_in["refresh_token"])).status_code == 200


async def test_logout_all_kills_every_session_and_access_token(
    client: httpx.AsyncClient, signed_in: dict[str, str]
) -> None:
    second = (await pin_login(client, "S2001", PIN)).json()
    response = await client.post("/api/auth/logout-all", headers=bearer(second["access_token"]))
    assert response.status_code == 204
    for pair in (signed_in, second):
        assert (await _refresh(client, pair["refresh_token"])).status_code == 401
        me = await client.get("/api/auth/me", headers=bearer(pair["access_token"]))
        assert me.status_code == 401
    fresh = (await pin_login(client, "S2001", PIN)).json()
    assert (await client.get("/api/auth/me", headers=bearer(fresh["token"]))).status_code == 200


async def test_refresh_tokens_are_stored_only_as_digests(
    session: AsyncSession, signed_in: dict[str, str]
) -> None:
    rows = (await session.execute(select(RefreshToken))).scalars().all()
    assert [row.token_hash for row in rows] != [signed_in["refresh_token"]]
    assert len(rows) == 1
    assert len(rows[0].token_hash) == 64
    # Where the session came from, so a user can tell their sessions apart.
    assert rows[0].user_agent is not None
    assert rows[0].user_agent.startswith("python-httpx")
    assert rows[0].ip == "127.0.0.1"
