"""Readiness and database outages: 503 quickly, and recovery without a restart."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url

from backroom.app import create_app
from backroom.core.db import SessionDep
from tests.conftest import free_port, make_settings


def add_database_route(app: FastAPI) -> None:
    @app.get("/test/needs-database")
    async def needs_database(session: SessionDep) -> dict[str, int]:
        return {"one": int(await session.scalar(text("SELECT 1")) or 0)}


@asynccontextmanager
async def serving(database_url: str, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(database_url, data_dir))
    add_database_route(app)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def timed_get(client: httpx.AsyncClient, path: str) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await client.get(path)
    return response, time.perf_counter() - started


# The probe gives up after READY_TIMEOUT_SECONDS (1.5 s); the rest is room for a loop
# that a long suite keeps busy, still far below any driver's own connect timeout.
ANSWER_WITHIN_SECONDS = 3.0


def assert_not_ready(response: httpx.Response, seconds: float, code: str) -> None:
    assert response.status_code == 503, response.text
    assert seconds < ANSWER_WITHIN_SECONDS
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["code"] == code


async def test_ready_is_ok_with_database_and_migrations(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "migrations": "ok",
        "redis": "disabled",
        "replica": "disabled",
        "replica_lag_seconds": None,
    }


async def test_unreachable_database_is_a_quick_503_naming_it(data_dir: Path) -> None:
    url = f"postgresql+asyncpg://backroom@127.0.0.1:{free_port()}/backroom"
    async with serving(url, data_dir) as client:
        ready, seconds = await timed_get(client, "/health/ready")
        assert_not_ready(ready, seconds, "not_ready")
        assert ready.json()["database"] == "unavailable"
        assert "database" in ready.json()["detail"]
        api, seconds = await timed_get(client, "/test/needs-database")
        assert_not_ready(api, seconds, "database_unavailable")


class Proxy:
    """A TCP proxy to PostgreSQL that can be cut and restored, like a database restart."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.close()
        await self.server.wait_closed()
        self.writers.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, upstream_writer}
        await asyncio.gather(
            self._pipe(reader, upstream_writer),
            self._pipe(upstream_reader, writer),
            return_exceptions=True,
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()


@pytest.mark.postgres_only
async def test_database_outage_is_503_and_recovers_without_a_restart(
    database_url: str, data_dir: Path
) -> None:
    url = make_url(database_url)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    async with serving(proxied, data_dir) as client:
        assert (await client.get("/health/ready")).status_code == 200
        assert (await client.get("/test/needs-database")).json() == {"one": 1}

        await proxy.stop()
        ready, seconds = await timed_get(client, "/health/ready")
        assert_not_ready(ready, seconds, "not_ready")
        assert ready.json()["database"] == "unavailable"
        api, seconds = await timed_get(client, "/test/needs-database")
        assert_not_ready(api, seconds, "database_unavailable")

        await proxy.start()
        assert (await client.get("/health/ready")).status_code == 200
        assert (await client.get("/test/needs-database")).json() == {"one": 1}
    await proxy.stop()


def redis_is_running() -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.mark.parametrize(
    "settings_overrides", [{"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}]
)
async def test_unreachable_redis_makes_ready_a_503_naming_it(client: httpx.AsyncClient) -> None:
    response, seconds = await timed_get(client, "/health/ready")
    assert_not_ready(response, seconds, "not_ready")
    assert response.json()["redis"] == "unavailable"
    assert response.json()["database"] == "ok"
    assert "redis" in response.json()["detail"]


@pytest.mark.skipif(not redis_is_running(), reason="needs Redis on 127.0.0.1:6379")
@pytest.mark.parametrize("settings_overrides", [{"REDIS_URL": "redis://127.0.0.1:6379/15"}])
async def test_reachable_redis_is_reported_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["redis"] == "ok"


@asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """Accepts connections and never answers: a database or Redis that hangs."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for writer in held:
            writer.close()
        await server.wait_closed()


async def test_hanging_database_and_redis_still_get_an_answer_in_time(data_dir: Path) -> None:
    async with silent_server() as port:
        settings = make_settings(
            f"postgresql+asyncpg://backroom@127.0.0.1:{port}/backroom",
            data_dir,
            REDIS_URL=f"redis://127.0.0.1:{port}/0",
        )
        app = create_app(settings)
        add_database_route(app)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                ready, seconds = await timed_get(client, "/health/ready")
                assert_not_ready(ready, seconds, "not_ready")
                assert ready.json()["database"] == "unavailable"
                assert ready.json()["redis"] == "unavailable"
                api, seconds = await timed_get(client, "/test/needs-database")
                assert api.status_code == 503
                assert api.json()["code"] == "database_unavailable"
                assert seconds < settings.DB_CONNECT_TIMEOUT + 1
