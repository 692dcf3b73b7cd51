"""Per-client-IP rate limits: 429 with Retry-After, in memory or shared through Redis."""

from __future__ import annotations

import itertools
import socket
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from backroom.core.config import Settings
from backroom.core.errors import TooManyRequests
from backroom.core.ratelimit import RateLimiter, client_key

REDIS_URL = "redis://127.0.0.1:6379"


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def _client(app: FastAPI, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


_numbers = itertools.count(1)


def _login_body() -> dict[str, str]:
    """A sign-in of a new unknown account each time: only the per-IP limit can bite
    (failed sign-ins per account have a limit of their own)."""
    return {"partner_number": f"NOBODY{next(_numbers)}", "pin": "1234"}


def _assert_limited(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.json()["code"] == "rate_limited"


async def test_eleventh_sign_in_in_a_minute_is_429_with_retry_after(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    assert settings.RATE_LIMIT_LOGIN == "10/minute"
    for _ in range(10):
        assert (await client.post("/api/auth/login", json=_login_body())).status_code == 401
    _assert_limited(await client.post("/api/auth/login", json=_login_body()))
    # The OAuth2 form shares the sign-in budget.
    form = {"username": "NOBODY1", "password": "1234"}
    _assert_limited(await client.post("/api/auth/token", data=form))


async def test_limits_are_per_client_ip(app: FastAPI) -> None:
    async with _client(app, "10.0.0.1") as first, _client(app, "10.0.0.2") as second:
        for _ in range(10):
            await first.post("/api/auth/login", json=_login_body())
        _assert_limited(await first.post("/api/auth/login", json=_login_body()))
        assert (await second.post("/api/auth/login", json=_login_body())).status_code == 401


async def test_sixth_registration_in_a_minute_is_429(client: httpx.AsyncClient) -> None:
    body = {"email": "x", "password": "y", "first_name": "a", "last_name": "b"}
    for _ in range(5):
        assert (await client.post("/api/auth/register", json=body)).status_code == 422
    _assert_limited(await client.post("/api/auth/register", json=body))


@pytest.mark.parametrize("settings_overrides", [{"RATE_LIMIT_REFRESH": "3/minute"}])
async def test_refresh_is_limited_by_its_own_setting(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        response = await client.post("/api/auth/refresh", json={"refresh_token": "nope"})
        assert response.status_code == 401
    _assert_limited(await client.post("/api/auth/refresh", json={"refresh_token": "nope"}))
    # Sign-in has a budget of its own.
    assert (await client.post("/api/auth/login", json=_login_body())).status_code == 401


@pytest.mark.parametrize("settings_overrides", [{"RATE_LIMIT_ENABLED": False}])
async def test_disabled_limits_never_answer_429(client: httpx.AsyncClient) -> None:
    for _ in range(15):
        assert (await client.post("/api/auth/login", json=_login_body())).status_code == 401


@pytest.fixture
async def redis_limiters(settings: Settings) -> AsyncIterator[tuple[RateLimiter, RateLimiter]]:
    if not _redis_reachable():
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    redis_settings = settings.model_copy(update={"REDIS_URL": REDIS_URL})
    prefix = f"backroom-test-{uuid.uuid4().hex}"
    # Two limiters with their own connections, as two workers would have.
    first = RateLimiter(redis_settings, key_prefix=prefix)
    second = RateLimiter(redis_settings, key_prefix=prefix)
    try:
        yield first, second
    finally:
        await first.reset()  # deletes only the keys under this test's prefix
        await first.close()
        await second.close()


async def test_redis_counts_are_shared_between_workers(
    redis_limiters: tuple[RateLimiter, RateLimiter],
) -> None:
    first, second = redis_limiters
    assert first.uses_redis
    assert await first.ping()
    for _ in range(2):
        await first.hit("login", "3/minute", "10.1.1.1")
    await second.hit("login", "3/minute", "10.1.1.1")
    with pytest.raises(TooManyRequests) as raised:
        await first.hit("login", "3/minute", "10.1.1.1")
    assert 1 <= int(raised.value.headers["Retry-After"]) <= 60
    await second.hit("login", "3/minute", "10.1.1.2")  # another address has its own count


async def test_app_uses_redis_when_redis_url_is_set(
    app: FastAPI, settings: Settings, redis_limiters: tuple[RateLimiter, RateLimiter]
) -> None:
    app.state.rate_limiter = redis_limiters[0]
    async with _client(app, "10.2.2.2") as http:
        for _ in range(10):
            await http.post("/api/auth/login", json=_login_body())
        _assert_limited(await http.post("/api/auth/login", json=_login_body()))


async def test_unreachable_redis_fails_open(settings: Settings) -> None:
    dead = settings.model_copy(update={"REDIS_URL": "redis://127.0.0.1:1"})
    limiter = RateLimiter(dead)
    try:
        for _ in range(3):
            await limiter.hit("login", "1/minute", "10.3.3.3")
    finally:
        await limiter.close()


async def test_redis_url_switches_the_app_to_redis_and_readiness_reports_it(
    settings: Settings,
) -> None:
    if not _redis_reachable():
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    from backroom.app import create_app

    application = create_app(settings.model_copy(update={"REDIS_URL": REDIS_URL}))
    async with application.router.lifespan_context(application):
        limiter: RateLimiter = application.state.rate_limiter
        assert limiter.uses_redis
        async with _client(application, "10.4.4.4") as http:
            ready = await http.get("/health/ready")
        assert ready.json()["redis"] == "ok"


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:DB8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("fe80::1%eth0", "fe80::/64"),
        ("testclient", "testclient"),
        (None, "-"),
    ],
)
def test_ipv4_is_counted_per_address_and_ipv6_per_64(address: str | None, key: str) -> None:
    assert client_key(address) == key


async def test_ipv6_clients_of_one_64_share_one_sign_in_budget(app: FastAPI) -> None:
    async with (
        _client(app, "2001:db8:1:2::1") as first,
        _client(app, "2001:db8:1:2:aaaa:bbbb:cccc:dddd") as same_64,
        _client(app, "2001:db8:1:3::1") as next_64,
    ):
        for _ in range(5):
            assert (await first.post("/api/auth/login", json=_login_body())).status_code == 401
            assert (await same_64.post("/api/auth/login", json=_login_body())).status_code == 401
        _assert_limited(await first.post("/api/auth/login", json=_login_body()))
        _assert_limited(await same_64.post("/api/auth/login", json=_login_body()))
        assert (await next_64.post("/api/auth/login", json=_login_body())).status_code == 401
