"""Idempotency-Key: replay, mismatch, in-progress, scoping, expiry and concurrent retries.

Exercised through the first route that uses it, `POST /api/tasks`.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.core.config import Settings
from backroom.core.db import utcnow
from backroom.core.idempotency import IdempotencyRecord, purge_expired, request_hash
from backroom.tools.tasks.models import Task
from backroom.tools.tasks.schemas import TaskCreate
from tests.factories import auth_headers, make_user


@pytest.fixture
async def headers(session: AsyncSession, settings: Settings) -> dict[str, str]:
    return auth_headers(settings, await make_user(session))


async def _task_count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Task))).scalar_one())


async def test_same_key_and_body_replays_the_first_response(
    client: httpx.AsyncClient, session: AsyncSession, headers: dict[str, str]
) -> None:
    keyed = {**headers, "Idempotency-Key": "create-1"}
    first = await client.post("/api/tasks", json={"title": "once"}, headers=keyed)
    again = await client.post("/api/tasks", json={"title": "once"}, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _task_count(session) == 1


async def test_same_key_with_a_different_body_is_422(
    client: httpx.AsyncClient, session: AsyncSession, headers: dict[str, str]
) -> None:
    keyed = {**headers, "Idempotency-Key": "create-2"}
    await client.post("/api/tasks", json={"title": "first"}, headers=keyed)
    other = await client.post("/api/tasks", json={"title": "second"}, headers=keyed)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert await _task_count(session) == 1


async def test_key_order_in_the_body_does_not_make_it_different(
    client: httpx.AsyncClient, session: AsyncSession, headers: dict[str, str]
) -> None:
    keyed = {**headers, "Idempotency-Key": "create-3", "Content-Type": "application/json"}
    await client.post("/api/tasks", content=b'{"title": "t", "priority": "low"}', headers=keyed)
    again = await client.post(
        "/api/tasks", content=b'{"priority": "low", "title": "t"}', headers=keyed
    )
    assert again.status_code == 201
    assert await _task_count(session) == 1


async def test_a_key_still_being_processed_is_409(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session)
    now = utcnow()
    # What a first request that has claimed the key but not yet answered leaves behind.
    session.add(
        IdempotencyRecord(
            owner_id=user.id,
            key="busy",
            method="POST",
            path="/api/tasks",
            request_hash=request_hash(
                "POST", "/api/tasks", TaskCreate(title="t").model_dump(mode="json")
            ),
            created_at=now,
            expires_at=now + dt.timedelta(hours=24),
        )
    )
    await session.commit()
    response = await client.post(
        "/api/tasks",
        json={"title": "t"},
        headers={**auth_headers(settings, user), "Idempotency-Key": "busy"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_progress"
    assert await _task_count(session) == 0


async def test_keys_are_scoped_to_the_caller(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    alice = auth_headers(settings, await make_user(session))
    bob = auth_headers(settings, await make_user(session))
    one = await client.post(
        "/api/tasks", json={"title": "t"}, headers={**alice, "Idempotency-Key": "k"}
    )
    two = await client.post(
        "/api/tasks", json={"title": "t"}, headers={**bob, "Idempotency-Key": "k"}
    )
    assert one.status_code == two.status_code == 201
    assert one.json()["id"] != two.json()["id"]


async def test_a_request_that_failed_does_not_burn_the_key(
    client: httpx.AsyncClient, session: AsyncSession, headers: dict[str, str]
) -> None:
    keyed = {**headers, "Idempotency-Key": "retry-after-fix"}
    bad = await client.post("/api/tasks", json={"title": ""}, headers=keyed)
    assert bad.status_code == 422
    good = await client.post("/api/tasks", json={"title": "fixed"}, headers=keyed)
    assert good.status_code == 201


async def test_an_expired_key_can_be_used_again_and_is_purged(
    client: httpx.AsyncClient, session: AsyncSession, headers: dict[str, str]
) -> None:
    keyed = {**headers, "Idempotency-Key": "old"}
    await client.post("/api/tasks", json={"title": "then"}, headers=keyed)
    record = (await session.execute(select(IdempotencyRecord))).scalar_one()
    record.expires_at = utcnow() - dt.timedelta(seconds=1)
    await session.commit()
    fresh = await client.post("/api/tasks", json={"title": "now"}, headers=keyed)
    assert fresh.status_code == 201
    assert "idempotent-replayed" not in fresh.headers
    assert await _task_count(session) == 2
    assert await purge_expired(session, now=utcnow() + dt.timedelta(days=2)) == 1
    await session.commit()


@pytest.mark.parametrize("key", ["", "k" * 256])
async def test_an_empty_or_too_long_key_is_422(
    client: httpx.AsyncClient, headers: dict[str, str], key: str
) -> None:
    response = await client.post(
        "/api/tasks", json={"title": "t"}, headers={**headers, "Idempotency-Key": key}
    )
    assert response.status_code == 422


async def test_a_key_of_255_characters_is_accepted(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    keyed = {**headers, "Idempotency-Key": "k" * 255}
    first = await client.post("/api/tasks", json={"title": "t"}, headers=keyed)
    again = await client.post("/api/tasks", json={"title": "t"}, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()


async def test_concurrent_posts_with_one_key_create_one_row(
    client: httpx.AsyncClient, session: AsyncSession, headers: dict[str, str]
) -> None:
    keyed = {**headers, "Idempotency-Key": "race"}
    responses = await asyncio.gather(
        *(client.post("/api/tasks", json={"title": "raced"}, headers=keyed) for _ in range(4))
    )
    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {201, 409}
    created = [response for response in responses if response.status_code == 201]
    assert created
    assert len({response.content for response in created}) == 1
    assert await _task_count(session) == 1


async def test_the_same_key_on_another_path_is_a_different_request(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session)
    keyed = {**auth_headers(settings, user), "Idempotency-Key": "paths"}
    first = await client.post("/api/tasks", json={"title": "t"}, headers=keyed)
    other = await client.post(f"/api/{user.id}/tasks", json={"title": "t"}, headers=keyed)
    assert first.status_code == 201
    assert other.status_code == 422
    assert await _task_count(session) == 1
