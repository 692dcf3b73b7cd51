"""Idempotency-Key on POST /api/admin/users: a retried create makes one user."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role, Store, User
from backroom.core.config import Settings
from backroom.core.idempotency import IdempotencyRecord, request_hash
from tests.factories import auth_headers, make_store, make_user

PATH = "/api/admin/users"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"RATE_LIMIT_ENABLED": False}


@pytest.fixture
async def store(session: AsyncSession) -> Store:
    return await make_store(session)


@pytest.fixture
async def headers(session: AsyncSession, settings: Settings, store: Store) -> dict[str, str]:
    admin = await make_user(session, role=Role.ADMIN, store=store, partner_number="ADMIN1")
    return auth_headers(settings, admin)


def _new(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {"partner_number": "NEW001", "name": "Rita Lee", "pin": "8642"}
    body.update(changes)
    return body


async def _count(session: AsyncSession, partner_number: str) -> int:
    statement = select(func.count()).where(User.partner_number == partner_number)
    count = int((await session.execute(statement)).scalar_one())
    await session.commit()  # end the read, so that the app may write
    return count


async def test_same_key_with_a_different_body_is_422_and_creates_nothing_more(
    client: httpx.AsyncClient, session: AsyncSession, headers: dict[str, str]
) -> None:
    keyed = {**headers, "Idempotency-Key": "hire-1"}
    assert (await client.post(PATH, json=_new(), headers=keyed)).status_code == 201
    for changed in (_new(partner_number="NEW002"), _new(pin="1357"), _new(role="admin")):
        other = await client.post(PATH, json=changed, headers=keyed)
        assert other.status_code == 422
        assert other.json()["code"] == "idempotency_key_reused"
    assert await _count(session, "NEW001") == 1
    assert await _count(session, "NEW002") == 0


async def test_a_key_belongs_to_its_admin_alone(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, headers: dict[str, str]
) -> None:
    elsewhere = await make_user(session, role=Role.ADMIN, partner_number="ADMIN2")
    first = await client.post(PATH, json=_new(), headers={**headers, "Idempotency-Key": "k"})
    second = await client.post(
        PATH,
        json=_new(partner_number="NEW002"),
        headers={**auth_headers(settings, elsewhere), "Idempotency-Key": "k"},
    )
    assert first.status_code == second.status_code == 201
    assert "idempotent-replayed" not in second.headers
    assert second.json()["user"]["store_id"] == str(elsewhere.store_id)
    assert await _count(session, "NEW002") == 1


async def test_a_failed_create_leaves_the_key_free_for_the_corrected_retry(
    client: httpx.AsyncClient, session: AsyncSession, headers: dict[str, str]
) -> None:
    keyed = {**headers, "Idempotency-Key": "taken-then-fixed"}
    taken = await client.post(PATH, json=_new(partner_number="ADMIN1"), headers=keyed)
    assert taken.status_code == 409
    fixed = await client.post(PATH, json=_new(), headers=keyed)
    assert fixed.status_code == 201
    assert "idempotent-replayed" not in fixed.headers


async def test_the_stored_request_does_not_reveal_the_pin(
    client: httpx.AsyncClient, session: AsyncSession, headers: dict[str, str]
) -> None:
    body = _new()
    keyed = {**headers, "Idempotency-Key": "pin-safe"}
    assert (await client.post(PATH, json=body, headers=keyed)).status_code == 201
    record = (await session.execute(select(IdempotencyRecord))).scalar_one()
    # A bare hash of the body could be brute-forced over the 10,000 PINs.
    plain = {"partner_number": "NEW001", "name": "Rita Lee", "pin": "8642", "role": "staff"}
    assert record.request_hash != request_hash("POST", PATH, {**plain, "email": None})
    assert "8642" not in (record.response_body or "")


async def test_same_key_and_body_replays_the_first_201_and_creates_one_user(
    client: httpx.AsyncClient, session: AsyncSession, headers: dict[str, str]
) -> None:
    keyed = {**headers, "Idempotency-Key": "hire-2"}
    first = await client.post(PATH, json=_new(), headers=keyed)
    again = await client.post(PATH, json=_new(), headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert first.json()["message"] == "User created"
    assert again.headers["location"] == first.headers["location"]
    assert first.headers["location"] == f"{PATH}/{first.json()['user']['id']}"
    assert again.headers["idempotent-replayed"] == "true"
    assert await _count(session, "NEW001") == 1
    # The replayed user can still sign in with the PIN of the first request.
    login = await client.post("/api/auth/login", json={"partner_number": "NEW001", "pin": "8642"})
    assert login.status_code == 200
