"""Register and signup: the password policy, mass assignment, conflicts, switches."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role, User
from backroom.core.audit import AuditEvent
from tests.factories import make_store, make_user

SECRET = "Tr0ub4dor&3-long"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"RATE_LIMIT_ENABLED": False}


def _body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "email": "new@example.com",
        "password": SECRET,
        "first_name": "Ada",
        "last_name": "Lovelace",
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    "password",
    ["short1!", "x" * 129, "password123", "PASSWORD123", "qwertyuiop", "new@example.com", "NEW"],
)
async def test_weak_password_is_422_and_never_echoed(
    client: httpx.AsyncClient, password: str
) -> None:
    body = _body(password=password if password != "NEW" else "new@example.com".upper())
    response = await client.post("/api/auth/register", json=body)
    assert response.status_code == 422
    assert str(body["password"]) not in response.text
    assert response.json()["errors"]


@pytest.mark.parametrize("key", ["role", "is_active", "store_id", "password_hash", "id"])
async def test_mass_assignment_keys_are_422(client: httpx.AsyncClient, key: str) -> None:
    response = await client.post("/api/auth/register", json=_body(**{key: "admin"}))
    assert response.status_code == 422
    assert response.json()["errors"][0] == {"field": key, "message": "Unknown field"}


async def test_bad_email_and_names_are_422(client: httpx.AsyncClient) -> None:
    for changes in ({"email": "not-an-email"}, {"first_name": ""}, {"last_name": "x" * 101}):
        assert (await client.post("/api/auth/register", json=_body(**changes))).status_code == 422


@pytest.mark.parametrize("name", ["\x1c", "Ann\x00", "\ufeff", "Bo\x85b", "   "])
async def test_names_with_control_characters_or_only_spaces_are_422(
    client: httpx.AsyncClient, name: str
) -> None:
    response = await client.post("/api/auth/register", json=_body(first_name=name))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "first_name"


async def test_taken_email_is_409_whatever_its_case(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_user(session, email="new@example.com")
    response = await client.post("/api/auth/register", json=_body(email=" NEW@Example.com "))
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"


@pytest.mark.parametrize("settings_overrides", [{"ALLOW_REGISTRATION": False}])
async def test_closed_registration_is_403(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/auth/register", json=_body())).status_code == 403
    assert (await client.post("/api/auth/signup", json=_body())).status_code == 403


async def test_register_creates_a_user_role_account_and_signs_it_in(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await client.post("/api/auth/register", json=_body(email=" New@Example.COM"))
    assert response.status_code == 201
    assert response.headers["location"] == "/api/auth/me"
    body = response.json()
    assert body["token"] == body["access_token"]
    user = body["user"]
    assert user["email"] == "new@example.com"
    assert user["role"] == "user"
    assert user["store_id"] is None
    assert user["name"] == "Ada Lovelace"
    assert user["created_at"].endswith("Z")
    assert set(user) == {
        "id",
        "email",
        "partner_number",
        "name",
        "first_name",
        "last_name",
        "role",
        "store_id",
        "is_active",
        "created_at",
        "updated_at",
    }
    assert SECRET not in response.text
    actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    assert "accounts.user.registered" in actions


async def test_signup_with_register_body_returns_message_and_user(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/auth/signup", json=_body())
    assert response.status_code == 201
    assert set(response.json()) == {"message", "user"}
    login = await client.post(
        "/api/auth/login", json={"email": "new@example.com", "password": SECRET}
    )
    assert login.status_code == 200


async def test_staff_signup_is_closed_by_default(client: httpx.AsyncClient) -> None:
    body = {"partner_number": "AB1234", "name": "Sam Doe", "pin": "1234"}
    response = await client.post("/api/auth/signup", json=body)
    assert response.status_code == 403
    assert response.json()["code"] == "staff_signup_closed"


@pytest.mark.parametrize(
    "settings_overrides", [{"ALLOW_STAFF_SIGNUP": True, "RATE_LIMIT_ENABLED": False}]
)
async def test_staff_signup_joins_the_store_and_refuses_used_numbers(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    store = await make_store(session)
    deleted = await make_user(session, role=Role.STAFF, store=store, partner_number="USED01")
    deleted.deleted_at = deleted.created_at
    await session.commit()
    body = {"partner_number": " ab1234 ", "name": "Sam Doe", "pin": "1234"}
    response = await client.post("/api/auth/signup", json=body)
    assert response.status_code == 201
    user = response.json()["user"]
    assert (user["partner_number"], user["role"], user["store_id"]) == (
        "AB1234",
        "staff",
        str(store.id),
    )
    used = await client.post("/api/auth/signup", json={**body, "partner_number": "used01"})
    assert used.status_code == 409
    assert (await client.post("/api/auth/signup", json=body)).status_code == 409


@pytest.mark.parametrize(
    "settings_overrides", [{"ALLOW_STAFF_SIGNUP": True, "RATE_LIMIT_ENABLED": False}]
)
async def test_staff_signup_bad_pin_or_number_is_422_without_echo(
    client: httpx.AsyncClient,
) -> None:
    for body in (
        {"partner_number": "AB1234", "name": "Sam", "pin": "12345"},
        {"partner_number": "AB1234", "name": "Sam", "pin": 1234},
        {"partner_number": "AB1234", "name": "Sam", "pin": "١٢٣٤"},
        {"partner_number": "AB", "name": "Sam", "pin": "9876"},
        {"partner_number": "AB-1234", "name": "Sam", "pin": "9876"},
        {"partner_number": "AB1234", "name": "Sam", "pin": "9876", "role": "admin"},
    ):
        response = await client.post("/api/auth/signup", json=body)
        assert response.status_code == 422, body
        assert str(body["pin"]) not in response.text


async def test_no_account_row_is_created_on_a_failed_registration(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await client.post("/api/auth/register", json=_body(password="password"))
    assert (await session.execute(select(User))).scalars().all() == []
