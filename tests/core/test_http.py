"""The HTTP edge: access log, client address, CORS, caching headers, request ids."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import Depends, FastAPI
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.deps import Principal, get_principal
from backroom.accounts.models import Role
from backroom.app import CORS_HEADERS
from backroom.core.config import Settings
from backroom.core.logging import JSONFormatter
from tests.factories import auth_headers, make_store, make_user

TRUSTED_PROXY = "127.0.0.1"
UNTRUSTED_PEER = "198.51.100.2"


class Login(BaseModel):
    password: str


@pytest.fixture
def routes(app: FastAPI) -> FastAPI:
    """The real app plus an authenticated route with a path parameter and a public POST."""

    @app.get("/test/items/{item_id}")
    async def read_item(
        item_id: int, principal: Principal = Depends(get_principal)
    ) -> dict[str, int]:
        return {"item_id": item_id}

    @app.post("/test/login")
    async def login(body: Login) -> dict[str, bool]:
        return {"ok": bool(body.password)}

    return app


async def bearer(settings: Settings, session: AsyncSession) -> tuple[uuid.UUID, dict[str, str]]:
    """A real user (tokens of unknown users are refused) and a bearer header for them."""
    user = await make_user(session)
    return user.id, auth_headers(settings, user)


def access_records(logs: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in logs.records if record.name == "backroom.access"]


@pytest.fixture
async def client_from(routes: FastAPI) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Clients whose TCP peer is a trusted proxy or an untrusted address."""
    clients = {}
    for peer in (TRUSTED_PROXY, UNTRUSTED_PEER):
        transport = httpx.ASGITransport(app=routes, client=(peer, 4321))
        clients[peer] = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    yield clients
    for http in clients.values():
        await http.aclose()


async def test_access_log_names_the_route_template_status_and_user(
    routes: FastAPI,
    client: httpx.AsyncClient,
    settings: Settings,
    session: AsyncSession,
    logs: pytest.LogCaptureFixture,
) -> None:
    user_id, headers = await bearer(settings, session)
    response = await client.get("/test/items/41", headers=headers)
    assert response.status_code == 200
    [record] = access_records(logs)
    assert record.getMessage().startswith("GET /test/items/{item_id} 200 ")
    assert record.__dict__["route"] == "/test/items/{item_id}"
    assert record.__dict__["status"] == 200
    assert record.__dict__["duration_ms"] >= 0
    assert record.__dict__["user_id"] == str(user_id)
    assert record.__dict__["request_id"] == response.headers["x-request-id"]
    assert "/41" not in record.getMessage()


async def test_access_log_as_json_is_one_object_per_line(
    routes: FastAPI, client: httpx.AsyncClient, logs: pytest.LogCaptureFixture
) -> None:
    await client.get("/nope/123")
    [record] = access_records(logs)
    line = JSONFormatter().format(record)
    assert "\n" not in line
    payload = json.loads(line)
    assert payload["route"] == "<unmatched>"
    assert payload["status"] == 404
    assert payload["method"] == "GET"
    assert payload["user_id"] is None


async def test_logs_never_hold_tokens_or_passwords(
    routes: FastAPI,
    client: httpx.AsyncClient,
    settings: Settings,
    session: AsyncSession,
    logs: pytest.LogCaptureFixture,
) -> None:
    _, headers = await bearer(settings, session)
    token = headers["Authorization"].removeprefix("Bearer ")
    password = "correct-horse-battery-staple"
    await client.post("/test/login", json={"password": password}, headers=headers)
    await client.post("/test/login", json={"password": 12}, headers=headers)
    await client.get("/test/items/1", headers={"Authorization": "Bearer not-a-token-123"})
    assert len(access_records(logs)) == 3
    for record in logs.records:
        text = record.getMessage() + repr(record.__dict__) + JSONFormatter().format(record)
        assert token not in text
        assert password not in text
        assert "not-a-token-123" not in text


async def test_forwarded_for_is_honoured_from_a_trusted_proxy(
    client_from: dict[str, httpx.AsyncClient], logs: pytest.LogCaptureFixture
) -> None:
    await client_from[TRUSTED_PROXY].get("/health", headers={"X-Forwarded-For": "203.0.113.7"})
    [record] = access_records(logs)
    assert record.__dict__["client_ip"] == "203.0.113.7"


async def test_forwarded_for_is_ignored_from_anyone_else(
    client_from: dict[str, httpx.AsyncClient], logs: pytest.LogCaptureFixture
) -> None:
    await client_from[UNTRUSTED_PEER].get("/health", headers={"X-Forwarded-For": "203.0.113.7"})
    [record] = access_records(logs)
    assert record.__dict__["client_ip"] == UNTRUSTED_PEER


async def test_cors_preflight_from_an_allowed_origin_lists_the_api_headers(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    origin = settings.CORS_ORIGINS[0]
    response = await client.options(
        "/api/anything",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"
    allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
    assert set(CORS_HEADERS) <= {h.lower() for h in allowed}
    assert set(CORS_HEADERS) == {
        "authorization",
        "content-type",
        "cache-control",
        "if-match",
        "idempotency-key",
        "x-request-id",
    }


async def test_cors_answers_an_allowed_origin_and_not_another(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    allowed = await client.get("/health", headers={"Origin": settings.CORS_ORIGINS[0]})
    assert allowed.headers["access-control-allow-origin"] == settings.CORS_ORIGINS[0]
    other = await client.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = await client.options(
        "/api/anything",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers


async def test_authenticated_responses_are_not_cached(
    routes: FastAPI, client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    _, headers = await bearer(settings, session)
    private = await client.get("/test/items/1", headers=headers)
    assert private.status_code == 200
    assert private.headers["cache-control"] == "no-store"
    public = await client.get("/health")
    assert "cache-control" not in public.headers


async def test_every_response_carries_a_request_id_and_security_headers(
    routes: FastAPI, client: httpx.AsyncClient
) -> None:
    for response in (
        await client.get("/health"),
        await client.get("/nope"),
        await client.get("/test/items/1"),
        await client.post(
            "/test/login", content=b"{", headers={"Content-Type": "application/json"}
        ),
    ):
        assert response.headers["x-request-id"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"


async def test_a_500_carries_cors_headers_so_a_browser_can_read_it(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    @app.get("/test/crash")
    async def crash() -> None:
        raise RuntimeError("unexpected")

    origin = settings.CORS_ORIGINS[0]
    response = await client.get("/test/crash", headers={"Origin": origin})
    assert response.status_code == 500
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()
    request_id = response.headers["x-request-id"]
    assert response.json()["request_id"] == request_id
    assert response.json()["code"] == "internal_error"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_preflights_carry_a_request_id(client: httpx.AsyncClient, settings: Settings) -> None:
    response = await client.options(
        "/api/tasks",
        headers={
            "Origin": settings.CORS_ORIGINS[0],
            "Access-Control-Request-Method": "POST",
            "X-Request-ID": "preflight-1",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == settings.CORS_ORIGINS[0]
    assert response.headers["x-request-id"] == "preflight-1"


async def test_json_bodies_name_their_charset_on_every_json_route(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    store = await make_store(session)
    admin = await make_user(session, role=Role.ADMIN, store=store)
    user = await make_user(
        session, email="ann@example.com", password="correct horse battery", settings=settings
    )
    mine, theirs = auth_headers(settings, user), auth_headers(settings, admin)
    created = await client.post(
        "/api/tasks", json={"title": "Count milk"}, headers={**mine, "Idempotency-Key": "k-1"}
    )
    replayed = await client.post(
        "/api/tasks", json={"title": "Count milk"}, headers={**mine, "Idempotency-Key": "k-1"}
    )
    task_id = created.json()["id"]
    answers = [
        created,
        replayed,
        await client.get("/health"),
        await client.get("/health/ready"),
        await client.get("/api/tasks", headers=mine),
        await client.get(f"/api/tasks/{task_id}", headers=mine),
        await client.get(f"/api/{user.id}/tasks/{task_id}", headers=mine),
        await client.get("/api/auth/me", headers=mine),
        await client.post(
            "/api/auth/login",
            json={"email": "ann@example.com", "password": "correct horse battery"},
        ),
        await client.get("/api/admin/users", headers=theirs),
        await client.post(
            "/api/admin/users",
            json={"partner_number": "NEW001", "name": "Rita Lee", "pin": "8642"},
            headers=theirs,
        ),
    ]
    for response in answers:
        assert response.status_code in {200, 201}, (response.request.url, response.text)
        assert response.headers["content-type"] == "application/json; charset=utf-8", (
            response.request.url
        )
    missing = await client.get("/api/tasks/999999", headers=mine)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
