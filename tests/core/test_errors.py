"""Every failure is a problem document with the request id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from backroom.core.config import Settings
from backroom.core.errors import PROBLEM_JSON
from tests.factories import assert_not_echoed


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["x-request-id"]
    body = response.json()
    assert body["status"] == 404
    assert body["code"] == "not_found"
    assert body["detail"] == body["error"]


async def test_wrong_method_is_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]
    assert response.json()["code"] == "method_not_allowed"


async def test_health_is_ok_with_security_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_sane_request_id_is_echoed_and_odd_one_replaced(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    replaced = await client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert replaced.headers["x-request-id"] != "bad id\twith spaces"


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str
    password: str = Field(min_length=8, max_length=16)


@pytest.fixture
def echo_app(app: FastAPI) -> FastAPI:
    """The real app plus one JSON route that only the tests need."""

    @app.post("/test/credentials")
    async def accept_credentials(body: Credentials) -> dict[str, str]:
        return {"email": body.email}

    @app.get("/test/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: connection string postgres://u:p@db")

    return app


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["x-request-id"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["detail"] == body["error"]
    assert isinstance(body["detail"], str)
    return body


@pytest.mark.usefixtures("echo_app")
async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/test/credentials",
        content=b'{"email": "a@example.com", "password": ',
        headers={"Content-Type": "application/json"},
    )
    assert_problem(response, 400, "malformed_json")


@pytest.mark.usefixtures("echo_app")
async def test_text_plain_body_to_a_json_route_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/test/credentials",
        content=b'{"email": "a@example.com", "password": "long enough"}',
        headers={"Content-Type": "text/plain"},
    )
    assert_problem(response, 415, "unsupported_media_type")


@pytest.mark.usefixtures("echo_app")
async def test_body_without_content_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/test/credentials", content=b'{"email": "a@example.com", "password": "long enough"}'
    )
    assert_problem(response, 415, "unsupported_media_type")


@pytest.mark.usefixtures("echo_app")
async def test_missing_body_is_422_not_415(client: httpx.AsyncClient) -> None:
    response = await client.post("/test/credentials")
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"]


@pytest.mark.usefixtures("echo_app")
async def test_validation_error_never_echoes_the_submitted_values(
    client: httpx.AsyncClient,
) -> None:
    secret = "hunter2-is-my-password-and-too-long"
    response = await client.post(
        "/test/credentials",
        json={"email": "a@example.com", "password": secret, "pin": "8642"},
    )
    body = assert_problem(response, 422, "validation_error")
    assert secret not in response.text
    assert_not_echoed(response, "8642")
    assert {error["field"] for error in body["errors"]} == {"password", "pin"}
    assert all(set(error) == {"field", "message"} for error in body["errors"])


@pytest.mark.usefixtures("echo_app")
async def test_body_over_the_limit_with_content_length_is_413(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    body = b'{"email": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    assert len(body) > settings.MAX_BODY_BYTES
    response = await client.post(
        "/test/credentials", content=body, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413, "payload_too_large")


@pytest.mark.usefixtures("echo_app")
async def test_chunked_body_over_the_limit_is_413(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"email": "'
        while sent <= 2 * settings.MAX_BODY_BYTES:
            sent += 64 * 1024
            yield b"a" * 64 * 1024

    response = await client.post(
        "/test/credentials", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "payload_too_large")


@pytest.mark.usefixtures("echo_app")
async def test_declared_oversize_body_is_413_on_any_route(client: httpx.AsyncClient) -> None:
    response = await client.request("GET", "/health", content=b"x" * (2 * 1024 * 1024))
    assert_problem(response, 413, "payload_too_large")


@pytest.mark.usefixtures("echo_app")
async def test_body_just_under_the_limit_is_accepted(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    prefix, suffix = b'{"password": "long enough", "email": "', b'"}'
    padding = settings.MAX_BODY_BYTES - len(prefix) - len(suffix)
    response = await client.post(
        "/test/credentials",
        content=prefix + b"a" * padding + suffix,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200


@pytest.mark.usefixtures("echo_app")
async def test_unexpected_error_is_a_generic_500_with_the_traceback_only_in_the_log(
    client: httpx.AsyncClient, logs: pytest.LogCaptureFixture
) -> None:
    response = await client.get("/test/boom", headers={"X-Request-ID": "req-500"})
    body = assert_problem(response, 500, "internal_error")
    assert body["request_id"] == "req-500"
    assert "req-500" in body["detail"]
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    logged = [record for record in logs.records if record.exc_info]
    assert len(logged) == 1
    assert isinstance(logged[0].exc_info[1], RuntimeError)  # type: ignore[index]
    assert getattr(logged[0], "request_id", None) == "req-500"


async def test_405_allow_lists_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    # GET and POST on /api/tasks are two routes; Allow must name both, not just the first.
    response = await client.request("OPTIONS", "/api/tasks")
    assert response.status_code == 405
    allowed = {method.strip() for method in response.headers["allow"].split(",")}
    assert {"GET", "POST", "HEAD"} <= allowed
    assert "DELETE" not in allowed
