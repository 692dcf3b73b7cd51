"""Test fixtures: a real app per test, over HTTP, on a real database migrated by Alembic.

SQLite by default (a fresh file per run). With `TEST_DATABASE_URL` set to a PostgreSQL
URL, a throwaway database is created beside it for the run and dropped afterwards.
With `TEST_PGBOUNCER_PORT` as well, the app, the migrations and the tests reach that
database through the PgBouncer on that port (`DB_PGBOUNCER=true`), as a deployment
behind PgBouncer does; only creating and dropping the database goes straight to the server.
Every test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from backroom.app import create_app
from backroom.core.config import Settings, load_settings
from backroom.core.migrations import upgrade
from backroom.models import metadata

POSTGRES_BASE_URL = os.environ.get("TEST_DATABASE_URL")
PGBOUNCER_PORT = os.environ.get("TEST_PGBOUNCER_PORT")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if POSTGRES_BASE_URL:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL")
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(skip)


def free_port() -> int:
    """A local TCP port nobody listens on (closed again before it is returned)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


TEST_SECRET = "test-secret-key-" + "x" * 32
TEST_PEPPER = "test-pin-pepper-" + "y" * 32


async def create_postgres_database(base_url: str) -> str:
    url = make_url(base_url)
    name = f"backroom_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(base_url: str, test_url: str) -> None:
    name = make_url(test_url).database
    admin = create_async_engine(make_url(base_url), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres_only)])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (no tables, no revision), never the one the rest of
    the suite shares: for the tests that run the migrations themselves, on each engine."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    with throwaway_postgres_database() as url:
        yield url


@contextlib.contextmanager
def throwaway_postgres_database() -> Iterator[str]:
    """A new, empty database beside `TEST_DATABASE_URL`'s, dropped on leaving (sync code)."""
    assert POSTGRES_BASE_URL is not None
    url = asyncio.run(create_postgres_database(POSTGRES_BASE_URL))
    try:
        yield url
    finally:
        asyncio.run(drop_postgres_database(POSTGRES_BASE_URL, url))


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    base = POSTGRES_BASE_URL
    if not base:
        path = tmp_path_factory.mktemp("db") / "backroom-test.db"
        url = f"sqlite+aiosqlite:///{path}"
        await asyncio.to_thread(upgrade, url)
        yield url
        return
    url = await create_postgres_database(base)
    if PGBOUNCER_PORT:
        url = make_url(url).set(port=int(PGBOUNCER_PORT)).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade, url)
    try:
        yield url
    finally:
        await drop_postgres_database(base, url)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "DATA_DIR": data_dir,
        "SECRET_KEY": TEST_SECRET,
        "PIN_PEPPER": TEST_PEPPER,
        # Argon2id still, with cheap parameters so the suite stays fast.
        "ARGON2_MEMORY_KIB": 1024,
        "ARGON2_TIME_COST": 1,
        "ARGON2_PARALLELISM": 1,
        "REDIS_URL": None,
        "LOG_LEVEL": "WARNING",
        "DB_PGBOUNCER": bool(PGBOUNCER_PORT),
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Override in a test module (or with `@pytest.mark.parametrize`) to change settings."""
    return {}


@pytest.fixture
def settings(database_url: str, data_dir: Path, settings_overrides: dict[str, object]) -> Settings:
    return make_settings(database_url, data_dir, **settings_overrides)


async def _truncate(app: FastAPI) -> None:
    engine = app.state.db.engine
    tables = [table.name for table in reversed(metadata.sorted_tables)]
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            await connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                await connection.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        await _truncate(application)
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def session(app: FastAPI) -> AsyncIterator[AsyncSession]:
    """A session for factories; what it commits is what the app then reads."""
    async with app.state.db.sessionmaker() as db_session:
        yield db_session


@pytest.fixture
def logs(app: FastAPI, caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of Backroom's loggers at INFO and above (they do not propagate to root)."""
    logger = logging.getLogger("backroom")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="backroom")
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)
