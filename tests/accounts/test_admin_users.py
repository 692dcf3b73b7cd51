"""Admin user management, scoped to the admin's store."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role, Store, User
from backroom.core.audit import AuditEvent
from backroom.core.config import Settings
from backroom.core.db import utcnow
from backroom.core.security import create_access_token
from tests.accounts.conftest import pin_login
from tests.factories import assert_not_echoed, auth_headers, make_store, make_user


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"RATE_LIMIT_ENABLED": False}


@pytest.fixture
async def store(session: AsyncSession) -> Store:
    return await make_store(session)


@pytest.fixture
async def admin(session: AsyncSession, store: Store) -> User:
    return await make_user(session, role=Role.ADMIN, store=store, partner_number="ADMIN1")


@pytest.fixture
def headers(settings: Settings, admin: User) -> dict[str, str]:
    return auth_headers(settings, admin)


def _new(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {"partner_number": "NEW001", "name": "Rita Lee", "pin": "8642"}
    body.update(changes)
    return body


async def test_anonymous_is_401_and_staff_is_403(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, store: Store
) -> None:
    assert (await client.get("/api/admin/users")).status_code == 401
    staff = await make_user(session, role=Role.STAFF, store=store)
    response = await client.get("/api/admin/users", headers=auth_headers(settings, staff))
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_role"
    user = await make_user(session)
    plain = await client.post("/api/admin/users", json=_new(), headers=auth_headers(settings, user))
    assert plain.status_code == 403


async def test_other_stores_user_is_404_like_a_missing_one(
    client: httpx.AsyncClient, session: AsyncSession, headers: dict[str, str]
) -> None:
    elsewhere = await make_user(session, role=Role.STAFF)
    missing = await client.patch(
        f"/api/admin/users/{uuid.uuid4()}", json={"name": "X"}, headers=headers
    )
    other = await client.patch(
        f"/api/admin/users/{elsewhere.id}", json={"name": "X"}, headers=headers
    )
    malformed = await client.patch("/api/admin/users/nope", json={"name": "X"}, headers=headers)
    assert missing.status_code == other.status_code == malformed.status_code == 404
    assert missing.json() == other.json() == malformed.json()
    for path in ("reset-pin", "unlock", "restore"):
        body = {"pin": "1234"} if path == "reset-pin" else None
        response = await client.post(
            f"/api/admin/users/{elsewhere.id}/{path}", json=body, headers=headers
        )
        assert response.status_code == 404, path
    assert (
        await client.delete(f"/api/admin/users/{elsewhere.id}", headers=headers)
    ).status_code == 404


async def test_admin_lists_only_its_store(
    client: httpx.AsyncClient,
    session: AsyncSession,
    headers: dict[str, str],
    store: Store,
    admin: User,
) -> None:
    await make_user(session, role=Role.STAFF)  # another store
    mine = await make_user(session, role=Role.STAFF, store=store, first_name="Zed")
    gone = await make_user(session, role=Role.STAFF, store=store)
    gone.deleted_at = utcnow()
    await session.commit()
    response = await client.get("/api/admin/users", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [u["id"] for u in body["users"]] == [str(mine.id), str(admin.id)]
    with_deleted = await client.get("/api/admin/users?include_deleted=true", headers=headers)
    assert with_deleted.json()["count"] == 3
    by_role = await client.get("/api/admin/users?role=admin", headers=headers)
    assert [u["id"] for u in by_role.json()["users"]] == [str(admin.id)]
    by_q = await client.get("/api/admin/users?q=zed&_t=1", headers=headers)
    assert [u["id"] for u in by_q.json()["users"]] == [str(mine.id)]
    paged = await client.get("/api/admin/users?limit=1&offset=1", headers=headers)
    assert paged.json()["count"] == 2
    assert [u["id"] for u in paged.json()["users"]] == [str(admin.id)]
    assert (await client.get("/api/admin/users?limit=0", headers=headers)).status_code == 422


async def test_create_user_validation_and_conflicts(
    client: httpx.AsyncClient, session: AsyncSession, headers: dict[str, str], store: Store
) -> None:
    for body in (
        _new(pin="12"),
        _new(role="user"),
        _new(store_id=str(uuid.uuid4())),
        _new(name=""),
    ):
        response = await client.post("/api/admin/users", json=body, headers=headers)
        assert response.status_code == 422, body
        assert_not_echoed(response, "8642")
    deleted = await make_user(session, role=Role.STAFF, store=store, partner_number="OLD001")
    deleted.deleted_at = utcnow()
    await session.commit()
    reused = await client.post(
        "/api/admin/users", json=_new(partner_number="old001"), headers=headers
    )
    assert reused.status_code == 409
    assert reused.json()["code"] == "partner_number_taken"


async def test_create_user_and_sign_in_with_the_pin(
    client: httpx.AsyncClient, session: AsyncSession, headers: dict[str, str], store: Store
) -> None:
    response = await client.post(
        "/api/admin/users", json=_new(email="Rita@Example.com"), headers=headers
    )
    assert response.status_code == 201
    body = response.json()
    assert body["message"]
    user = body["user"]
    assert response.headers["location"] == f"/api/admin/users/{user['id']}"
    assert (user["partner_number"], user["role"], user["store_id"], user["name"]) == (
        "NEW001",
        "staff",
        str(store.id),
        "Rita Lee",
    )
    assert user["email"] == "rita@example.com"
    assert_not_echoed(response, "8642")
    assert (await pin_login(client, "new001", "8642")).status_code == 200
    again = await client.post("/api/admin/users", json=_new(), headers=headers)
    assert again.status_code == 409
    events = (await session.execute(select(AuditEvent.action, AuditEvent.store_id))).all()
    assert ("accounts.user.created", store.id) in events


async def test_admin_cannot_demote_deactivate_or_delete_itself(
    client: httpx.AsyncClient, headers: dict[str, str], admin: User
) -> None:
    for change in ({"role": "staff"}, {"is_active": False}):
        response = await client.patch(f"/api/admin/users/{admin.id}", json=change, headers=headers)
        assert response.status_code == 403
    assert (await client.delete(f"/api/admin/users/{admin.id}", headers=headers)).status_code == 403
    renamed = await client.patch(
        f"/api/admin/users/{admin.id}", json={"name": "Boss"}, headers=headers
    )
    assert renamed.status_code == 200
    assert renamed.json()["user"]["name"] == "Boss"


async def test_patch_forbids_unknown_keys(
    client: httpx.AsyncClient, session: AsyncSession, headers: dict[str, str], store: Store
) -> None:
    staff = await make_user(session, role=Role.STAFF, store=store)
    for change in ({"store_id": str(uuid.uuid4())}, {"pin_hash": "x"}, {"role": "user"}):
        response = await client.patch(f"/api/admin/users/{staff.id}", json=change, headers=headers)
        assert response.status_code == 422


async def test_deactivating_or_demoting_ends_the_users_tokens(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    headers: dict[str, str],
    store: Store,
) -> None:
    staff = await make_user(session, role=Role.ADMIN, store=store)
    staff_headers = auth_headers(settings, staff)
    assert (await client.get("/api/admin/users", headers=staff_headers)).status_code == 200
    demoted = await client.patch(
        f"/api/admin/users/{staff.id}", json={"role": "staff"}, headers=headers
    )
    assert demoted.json()["user"]["role"] == "staff"
    assert (await client.get("/api/auth/me", headers=staff_headers)).status_code == 401
    # A new token that still claims "admin": the role comes from the account, not the token.
    token = create_access_token(settings, subject=staff.id, role="admin", store_id=store.id)
    fresh = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/auth/me", headers=fresh)).status_code == 200
    assert (await client.get("/api/admin/users", headers=fresh)).status_code == 403
    off = await client.patch(
        f"/api/admin/users/{staff.id}", json={"is_active": False}, headers=headers
    )
    assert off.json()["user"]["is_active"] is False
    assert (await client.get("/api/auth/me", headers=fresh)).status_code == 401


async def test_reset_pin_and_unlock(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    headers: dict[str, str],
    store: Store,
) -> None:
    staff = await make_user(
        session,
        role=Role.STAFF,
        store=store,
        partner_number="LOCK01",
        pin="1111",
        settings=settings,
    )
    staff.locked_until = utcnow() + dt.timedelta(hours=1)
    staff.failed_login_count = 2
    await session.commit()
    assert (await pin_login(client, "LOCK01", "1111")).status_code == 401
    unlock = await client.post(f"/api/admin/users/{staff.id}/unlock", headers=headers)
    assert unlock.status_code == 200
    assert set(unlock.json()) == {"message"}
    assert (await pin_login(client, "LOCK01", "1111")).status_code == 200
    bad = await client.post(
        f"/api/admin/users/{staff.id}/reset-pin", json={"pin": "99999"}, headers=headers
    )
    assert bad.status_code == 422
    assert "99999" not in bad.text
    reset = await client.post(
        f"/api/admin/users/{staff.id}/reset-pin", json={"pin": "2222"}, headers=headers
    )
    assert reset.status_code == 200
    assert (await pin_login(client, "LOCK01", "1111")).status_code == 401
    assert (await pin_login(client, "LOCK01", "2222")).status_code == 200
    actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    assert {"accounts.user.unlocked", "accounts.user.pin_reset"} <= set(actions)


async def test_soft_delete_then_410_then_restore(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    headers: dict[str, str],
    store: Store,
) -> None:
    staff = await make_user(
        session,
        role=Role.STAFF,
        store=store,
        partner_number="DEL001",
        pin="3333",
        settings=settings,
    )
    staff_headers = auth_headers(settings, staff)
    not_deleted = await client.post(f"/api/admin/users/{staff.id}/restore", headers=headers)
    assert not_deleted.status_code == 409
    deleted = await client.delete(f"/api/admin/users/{staff.id}", headers=headers)
    assert deleted.status_code == 200
    assert set(deleted.json()) == {"message", "user"}
    assert (await client.get("/api/auth/me", headers=staff_headers)).status_code == 401
    assert (await pin_login(client, "DEL001", "3333")).status_code == 401
    again = await client.delete(f"/api/admin/users/{staff.id}", headers=headers)
    assert again.status_code == 410
    patch_deleted = await client.patch(
        f"/api/admin/users/{staff.id}", json={"name": "X"}, headers=headers
    )
    assert patch_deleted.status_code == 404
    restored = await client.post(f"/api/admin/users/{staff.id}/restore", headers=headers)
    assert restored.status_code == 200
    assert (await pin_login(client, "DEL001", "3333")).status_code == 200
    # Tokens from before the deletion stay dead.
    assert (await client.get("/api/auth/me", headers=staff_headers)).status_code == 401


async def test_names_are_1_to_100_characters_on_create_and_patch(
    client: httpx.AsyncClient,
    session: AsyncSession,
    headers: dict[str, str],
    store: Store,
    admin: User,
) -> None:
    too_long = "N" * 101
    created = await client.post("/api/admin/users", json=_new(name=too_long), headers=headers)
    assert created.status_code == 422
    assert [error["field"] for error in created.json()["errors"]] == ["name"]
    assert too_long not in created.text
    staff = await make_user(
        session, role=Role.STAFF, store=store, first_name="Kept", last_name="Name"
    )
    patched = await client.patch(
        f"/api/admin/users/{staff.id}", json={"name": too_long}, headers=headers
    )
    assert patched.status_code == 422
    assert too_long not in patched.text
    listed = (await client.get("/api/admin/users", headers=headers)).json()["users"]
    assert {user["name"] for user in listed} == {"Kept Name", admin.name}
    longest = "N" * 100
    renamed = await client.patch(
        f"/api/admin/users/{staff.id}", json={"name": longest}, headers=headers
    )
    assert renamed.status_code == 200
    assert renamed.json()["user"]["name"] == longest
    created = await client.post("/api/admin/users", json=_new(name=longest), headers=headers)
    assert created.status_code == 201
    assert created.json()["user"]["name"] == longest
