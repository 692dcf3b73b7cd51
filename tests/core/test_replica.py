"""The read replica (`DATABASE_REPLICA_URL`): which reads use it, and what happens when it
cannot keep up, is not a standby, is gone, or comes back.

The streaming tests run on a real hot standby made with `pg_basebackup` from the test
server (tests/core/streaming_replica.py). Where this machine cannot make one they are
skipped, unless `TEST_REPLICA_REQUIRED` is set (CI sets it), where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from backroom.accounts.models import Role
from backroom.app import create_app
from backroom.cli import app as cli
from backroom.core.config import Settings, load_settings
from tests.conftest import POSTGRES_BASE_URL, free_port
from tests.core.streaming_replica import ReplicaUnavailable, StreamingReplica
from tests.factories import auth_headers, make_store, make_user

# Each route that reads from the replica, with the table its read names.
REPLICA_READS = [
    ("/api/activity/recent", "audit_event"),
    ("/api/admin/activity", "audit_event"),
    ("/api/audit", "audit_event"),
    ("/api/audit/export", "audit_event"),
    ("/api/tracking/history", "tracking_history"),
    ("/api/milk-count/history", "milk_session"),
    ("/api/rtde/sessions/history", "rtde_session"),
]


def test_a_replica_beside_sqlite_stops_the_command_with_one_line(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'one.db'}",
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_REPLICA_URL": "postgresql://backroom@replica.example.com/backroom",
    }
    result = CliRunner().invoke(cli, ["db", "current"], env=env)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "backroom: bad setting: DATABASE_REPLICA_URL needs PostgreSQL: both it and "
        "DATABASE_URL must be postgresql+asyncpg:// URLs"
    ]


@pytest.mark.parametrize(
    ("setting", "value"), [("DATABASE_REPLICA_URL", "mysql://u@db/shop"), ("REPLICA_MAX_LAG", "0")]
)
def test_a_bad_replica_setting_names_itself(tmp_path: Path, setting: str, value: str) -> None:
    env = {"DATABASE_URL": "postgresql://u@db/shop", "DATA_DIR": str(tmp_path), setting: value}
    result = CliRunner().invoke(cli, ["db", "current"], env=env)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"backroom: bad setting: {setting}: ")


def test_replica_settings_from_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "DATABASE_URL=postgres://app@primary.example.com/shop\n"
        "DATABASE_REPLICA_URL=postgres://app@replica.example.com/shop\n"
        "REPLICA_MAX_LAG=2500ms\n"
    )
    settings = load_settings(DATA_DIR=tmp_path)
    assert settings.DATABASE_REPLICA_URL == "postgresql+asyncpg://app@replica.example.com/shop"
    assert settings.REPLICA_MAX_LAG == 2.5
    (tmp_path / ".env").write_text("DATABASE_REPLICA_URL=\n")
    assert load_settings(DATA_DIR=tmp_path).DATABASE_REPLICA_URL is None
    monkeypatch.delenv("REPLICA_MAX_LAG", raising=False)
    assert load_settings(DATA_DIR=tmp_path).REPLICA_MAX_LAG == 5.0


async def _admin(session: AsyncSession, settings: Settings) -> dict[str, str]:
    store = await make_store(session)
    admin = await make_user(session, role=Role.ADMIN, store=store)
    return auth_headers(settings, admin)


async def _add_item(client: httpx.AsyncClient, headers: dict[str, str], name: str) -> str:
    response = await client.post(
        "/api/tracking/items", json={"name": name, "category": "syrups"}, headers=headers
    )
    assert response.status_code == 201, response.text
    code: str = response.json()["item"]["code"]
    return code


async def _audit_labels(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    response = await client.get("/api/audit", params={"action": "tracking."}, headers=headers)
    assert response.status_code == 200, response.text
    return [event["target_label"] for event in response.json()["events"]]


async def _replica_state(client: httpx.AsyncClient) -> dict[str, object]:
    response = await client.get("/health/ready")
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


class TestWithoutAStreamingReplica:
    pytestmark = pytest.mark.postgres_only

    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        assert POSTGRES_BASE_URL is not None
        nobody = make_url(POSTGRES_BASE_URL).set(port=free_port(), database="backroom")
        return {"DATABASE_REPLICA_URL": nobody.render_as_string(hide_password=False)}

    async def test_an_unreachable_replica_leaves_every_read_to_the_primary(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        headers = await _admin(session, settings)
        await _add_item(client, headers, "Vanilla Syrup")
        assert await _audit_labels(client, headers) == ["Vanilla Syrup"]
        for path, _table in REPLICA_READS:
            response = await client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.text)
        ready = await _replica_state(client)
        assert ready["status"] == "ok"
        assert ready["replica"] == "unavailable"
        assert ready["replica_lag_seconds"] is None


class TestThePrimaryNamedAsItsOwnReplica:
    pytestmark = pytest.mark.postgres_only

    @pytest.fixture
    def settings_overrides(self, database_url: str) -> dict[str, object]:
        return {"DATABASE_REPLICA_URL": database_url}

    async def test_it_is_not_used(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        headers = await _admin(session, settings)
        await _add_item(client, headers, "Caramel Sauce")
        assert await _audit_labels(client, headers) == ["Caramel Sauce"]
        assert (await _replica_state(client))["replica"] == "not_a_standby"


@pytest.fixture(scope="module")
def replica(database_url: str) -> Iterator[StreamingReplica]:
    if POSTGRES_BASE_URL is None:
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL")
    try:
        standby = StreamingReplica(make_url(POSTGRES_BASE_URL), free_port())
    except ReplicaUnavailable as error:
        if os.environ.get("TEST_REPLICA_REQUIRED"):
            raise
        pytest.skip(str(error))
    try:
        standby.create()
    except ReplicaUnavailable as error:
        standby.remove()
        if os.environ.get("TEST_REPLICA_REQUIRED"):
            raise
        pytest.skip(str(error))
    try:
        yield standby
    finally:
        standby.remove()


# The documented default; the lag test shortens it so a paused replay passes it quickly.
DEFAULT_MAX_LAG = 5.0
SHORT_MAX_LAG = 1.0


@pytest.fixture
def settings_overrides(replica: StreamingReplica, database_url: str) -> dict[str, object]:
    """The app of a streaming test reads from the replica (the classes above override it)."""
    return {"DATABASE_REPLICA_URL": replica.url(database_url)}


def _read_on_replica(replica: StreamingReplica, since: int, table: str) -> bool:
    return any(
        f'"{table}"' in line or f" {table}" in line for line in replica.statements_since(since)
    )


async def _back_on_replica(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    replica: StreamingReplica,
    labels: list[str],
) -> None:
    """The audit search is read on the replica again within 10 s, and always answers in full."""
    for _ in range(100):
        before = replica.log_position()
        assert await _audit_labels(client, headers) == labels
        if _read_on_replica(replica, before, "audit_event"):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the replica was not used again")


@pytest.mark.parametrize(("path", "table"), REPLICA_READS)
@pytest.mark.postgres_only
@pytest.mark.xdist_group("replica")
async def test_the_read_lands_on_the_replica(
    *,
    replica: StreamingReplica,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    path: str,
    table: str,
) -> None:
    headers = await _admin(session, settings)
    await _add_item(client, headers, "Hazelnut Syrup")
    replica.catch_up()
    before = replica.log_position()
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    assert _read_on_replica(replica, before, table), replica.statements_since(before)


@pytest.mark.postgres_only
@pytest.mark.xdist_group("replica")
async def test_reads_that_must_see_writes_stay_on_the_primary(
    replica: StreamingReplica, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    headers = await _admin(session, settings)
    before = replica.log_position()
    code = await _add_item(client, headers, "Mocha Sauce")
    listed = await client.get("/api/tracking/items", headers=headers)
    found = await client.get(f"/api/tracking/items/{code}", headers=headers)
    me = await client.get("/api/auth/me", headers=headers)
    assert [listed.status_code, found.status_code, me.status_code] == [200, 200, 200]
    assert [item["code"] for item in listed.json()["items"]] == [code]
    assert replica.statements_since(before) == []
    replica.catch_up()
    assert await _audit_labels(client, headers) == ["Mocha Sauce"]
    ready = await _replica_state(client)
    assert ready["replica"] == "ok"
    assert isinstance(ready["replica_lag_seconds"], float)
    assert 0 <= ready["replica_lag_seconds"] <= DEFAULT_MAX_LAG


@pytest.mark.postgres_only
@pytest.mark.xdist_group("replica")
class TestALaggingReplica:
    @pytest.fixture
    def settings_overrides(self, replica: StreamingReplica, database_url: str) -> dict[str, object]:
        return {"DATABASE_REPLICA_URL": replica.url(database_url), "REPLICA_MAX_LAG": SHORT_MAX_LAG}

    async def test_is_skipped_until_it_catches_up(
        self,
        replica: StreamingReplica,
        client: httpx.AsyncClient,
        session: AsyncSession,
        settings: Settings,
    ) -> None:
        headers = await _admin(session, settings)
        await _add_item(client, headers, "Toffee Nut Syrup")
        replica.catch_up()
        await _back_on_replica(client, headers, replica, ["Toffee Nut Syrup"])
        replica.run("SELECT pg_wal_replay_pause()")
        try:
            await _add_item(client, headers, "Peppermint Syrup")
            await asyncio.sleep(SHORT_MAX_LAG + 0.5)
            before = replica.log_position()
            # Served by the primary: the newest row is there, and the replica read nothing.
            newest = ["Peppermint Syrup", "Toffee Nut Syrup"]
            assert await _audit_labels(client, headers) == newest
            assert not _read_on_replica(replica, before, "audit_event")
            ready = await _replica_state(client)
            assert (ready["status"], ready["replica"]) == ("ok", "lagging")
            assert isinstance(ready["replica_lag_seconds"], float)
            assert ready["replica_lag_seconds"] > SHORT_MAX_LAG
        finally:
            replica.run("SELECT pg_wal_replay_resume()")
        replica.catch_up()
        await _back_on_replica(client, headers, replica, newest)


@pytest.mark.postgres_only
@pytest.mark.xdist_group("replica")
async def test_a_stopped_replica_is_skipped_and_used_again_once_back(
    replica: StreamingReplica, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    headers = await _admin(session, settings)
    await _add_item(client, headers, "Classic Syrup")
    replica.catch_up()
    assert await _audit_labels(client, headers) == ["Classic Syrup"]  # a pooled connection
    replica.stop()
    try:
        await _add_item(client, headers, "Raspberry Syrup")
        for path, _table in REPLICA_READS:
            response = await client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.text)
        assert await _audit_labels(client, headers) == ["Raspberry Syrup", "Classic Syrup"]
        export = await client.get("/api/audit/export", headers=headers)
        assert "Raspberry Syrup" in export.text
        ready = await _replica_state(client)
        assert (ready["status"], ready["replica"]) == ("ok", "unavailable")
    finally:
        replica.start()
    replica.catch_up()
    # Back in use by itself, once its pause after the failures is over.
    await _back_on_replica(client, headers, replica, ["Raspberry Syrup", "Classic Syrup"])
    assert (await _replica_state(client))["replica"] == "ok"


def test_every_replica_route_is_one_of_the_apps(tmp_path: Path) -> None:
    application = create_app(load_settings(DATA_DIR=tmp_path))
    paths = set(application.openapi()["paths"])
    assert {path for path, _table in REPLICA_READS} <= paths
