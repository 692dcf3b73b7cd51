"""Revocation across workers: a cached auth state per worker, refreshed within the TTL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.auth_state import AuthStateCache
from backroom.accounts.models import Role
from backroom.app import create_app
from backroom.core.config import Settings
from tests.factories import auth_headers, make_store, make_user


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"AUTH_STATE_TTL": 1, "RATE_LIMIT_ENABLED": False}


@pytest.fixture
async def other_worker(settings: Settings, app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A second app on the same database, as a second worker process would be."""
    second = create_app(settings)
    async with second.router.lifespan_context(second):
        transport = httpx.ASGITransport(app=second, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://worker2") as http:
            yield http


async def test_deactivated_users_token_dies_on_every_worker_within_the_ttl(
    client: httpx.AsyncClient,
    other_worker: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
) -> None:
    store = await make_store(session)
    admin = await make_user(session, role=Role.ADMIN, store=store)
    staff = await make_user(session, role=Role.STAFF, store=store)
    staff_headers = auth_headers(settings, staff)
    assert (await other_worker.get("/api/auth/me", headers=staff_headers)).status_code == 200

    response = await client.patch(
        f"/api/admin/users/{staff.id}",
        json={"is_active": False},
        headers=auth_headers(settings, admin),
    )
    assert response.status_code == 200
    # The worker that made the change refuses at once.
    assert (await client.get("/api/auth/me", headers=staff_headers)).status_code == 401
    await asyncio.sleep(settings.AUTH_STATE_TTL + 0.1)
    assert (await other_worker.get("/api/auth/me", headers=staff_headers)).status_code == 401


async def test_logout_all_reaches_the_other_worker_within_the_ttl(
    client: httpx.AsyncClient,
    other_worker: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
) -> None:
    user = await make_user(session)
    headers = auth_headers(settings, user)
    assert (await other_worker.get("/api/auth/me", headers=headers)).status_code == 200
    assert (await client.post("/api/auth/logout-all", headers=headers)).status_code == 204
    await asyncio.sleep(settings.AUTH_STATE_TTL + 0.1)
    assert (await other_worker.get("/api/auth/me", headers=headers)).status_code == 401


# A TTL longer than the five requests take, however loaded the machine is.
@pytest.mark.parametrize(
    "settings_overrides", [{"AUTH_STATE_TTL": 30, "RATE_LIMIT_ENABLED": False}]
)
async def test_authenticating_needs_no_database_read_while_cached(
    client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session)
    headers = auth_headers(settings, user)
    cache: AuthStateCache = app.state.auth_state_cache
    for _ in range(5):
        assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    assert cache.loads == 1


async def test_a_burst_of_requests_shares_one_auth_state_load(
    client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session)
    headers = auth_headers(settings, user)
    cache: AuthStateCache = app.state.auth_state_cache
    results = await asyncio.gather(
        *(client.post("/api/auth/logout", headers=headers) for _ in range(8))
    )
    assert [r.status_code for r in results] == [204] * 8
    assert cache.loads == 1


@pytest.mark.parametrize("settings_overrides", [{"AUTH_STATE_TTL": 61}])
def test_auth_state_ttl_above_a_minute_is_refused(settings_overrides: dict[str, object]) -> None:
    from backroom.core.config import SettingsError, load_settings

    with pytest.raises(SettingsError, match="AUTH_STATE_TTL"):
        load_settings(**settings_overrides)
