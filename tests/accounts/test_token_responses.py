"""What every answer that carries tokens or a new account promises, beyond its body."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role
from backroom.core.config import Settings
from tests.factories import make_user

PASSWORD = "correct horse battery"
PIN = "4821"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"RATE_LIMIT_ENABLED": False, "ALLOW_STAFF_SIGNUP": True}


async def test_answers_that_carry_tokens_are_never_cached_even_without_authorization(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await make_user(session, email="ann@example.com", password=PASSWORD, settings=settings)
    await make_user(session, role=Role.STAFF, partner_number="P1001", pin=PIN, settings=settings)
    registered = await client.post(
        "/api/auth/register",
        json={
            "email": "bo@example.com",
            "password": PASSWORD,
            "first_name": "Bo",
            "last_name": "Li",
        },
    )
    answers = {
        "register": registered,
        "signup": await client.post(
            "/api/auth/signup", json={"partner_number": "P2002", "name": "Cy Ng", "pin": "9753"}
        ),
        "login": await client.post(
            "/api/auth/login", json={"email": "ann@example.com", "password": PASSWORD}
        ),
        "token": await client.post("/api/auth/token", data={"username": "P1001", "password": PIN}),
        "refresh": await client.post(
            "/api/auth/refresh", json={"refresh_token": registered.json()["refresh_token"]}
        ),
    }
    for name, response in answers.items():
        assert "authorization" not in response.request.headers, name
        assert response.status_code in {200, 201}, (name, response.text)
        assert response.headers["cache-control"] == "no-store", name


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"username": "P1001", "password": "4821"}'),
        ("text/plain", b"username=P1001&password=4821"),
        ("multipart/form-data; boundary=x", b"--x--"),
    ],
)
async def test_token_with_a_body_that_is_no_form_is_415(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    content_type: str,
    body: bytes,
) -> None:
    await make_user(session, role=Role.STAFF, partner_number="P1001", pin=PIN, settings=settings)
    response = await client.post(
        "/api/auth/token", content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == 415
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "unsupported_media_type"
    assert "application/x-www-form-urlencoded" in problem["detail"]
    assert PIN not in response.text


async def test_token_form_with_a_charset_parameter_is_a_form(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await make_user(session, role=Role.STAFF, partner_number="P1001", pin=PIN, settings=settings)
    response = await client.post(
        "/api/auth/token",
        content=b"username=P1001&password=4821",
        headers={"Content-Type": "Application/X-WWW-Form-Urlencoded; charset=UTF-8"},
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"
