"""The `backroom` command, run in-process through typer's runner on a throwaway database."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import schemathesis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from typer.testing import CliRunner

from backroom.cli import METRICS_DIR_ENV, app, prepare_metrics_dir
from backroom.core.idempotency import IdempotencyRecord
from backroom.core.migrations import head_revision
from tests.conftest import free_port


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "DATA_DIR": str(tmp_path / "data"),
        "ENVIRONMENT": "development",
    }


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_help_lists_the_commands(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "db", "openapi"):
        assert command in result.output
    db_help = runner.invoke(app, ["db", "--help"]).output
    for command in (
        "upgrade",
        "downgrade",
        "current",
        "check",
        "purge-idempotency",
        "backup",
        "restore",
    ):
        assert command in db_help


@pytest.mark.parametrize(
    ("setting", "value"),
    [("DB_POOL_SIZE", "0"), ("LOG_FORMAT", "yaml"), ("MAX_BODY_BYTES", "lots")],
)
def test_a_bad_setting_stops_with_one_line_naming_it(
    runner: CliRunner, env: dict[str, str], setting: str, value: str
) -> None:
    result = runner.invoke(app, ["db", "current"], env={**env, setting: value})
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"backroom: bad setting: {setting}: ")
    assert "Traceback" not in result.output


def test_production_without_a_secret_key_refuses_to_start(
    runner: CliRunner, env: dict[str, str]
) -> None:
    result = runner.invoke(
        app,
        ["serve", "--no-migrate"],
        env={**env, "ENVIRONMENT": "production", "SECRET_KEY": None, "PIN_PEPPER": "p" * 40},
    )
    assert result.exit_code == 2
    assert "SECRET_KEY is required in production" in result.stderr


def test_db_upgrade_current_check_and_downgrade(runner: CliRunner, env: dict[str, str]) -> None:
    empty = runner.invoke(app, ["db", "current"], env=env)
    assert empty.exit_code == 0, empty.output
    assert "database: empty" in empty.output

    behind = runner.invoke(app, ["db", "check"], env=env)
    assert behind.exit_code == 1
    assert "db upgrade" in behind.output

    assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    current = runner.invoke(app, ["db", "current"], env=env)
    assert f"database: {head_revision()}" in current.output
    assert "at head" in current.output
    check = runner.invoke(app, ["db", "check"], env=env)
    assert check.exit_code == 0, check.output

    assert runner.invoke(app, ["db", "downgrade", "base"], env=env).exit_code == 0
    assert "database: empty" in runner.invoke(app, ["db", "current"], env=env).output


async def _seed_keys(url: str, *expires: dt.datetime) -> None:
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine) as session:
            session.add_all(
                IdempotencyRecord(
                    owner_id=uuid.uuid4(),
                    key=f"key-{number}",
                    method="POST",
                    path="/api/tasks",
                    request_hash="0" * 64,
                    expires_at=expires_at,
                )
                for number, expires_at in enumerate(expires)
            )
            await session.commit()
    finally:
        await engine.dispose()


async def _kept_keys(url: str) -> list[str]:
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine) as session:
            return list((await session.execute(select(IdempotencyRecord.key))).scalars())
    finally:
        await engine.dispose()


def test_db_purge_idempotency_removes_only_expired_keys(
    runner: CliRunner, env: dict[str, str]
) -> None:
    assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    now = dt.datetime.now(dt.UTC)
    url = env["DATABASE_URL"]
    asyncio.run(_seed_keys(url, now - dt.timedelta(hours=1), now + dt.timedelta(hours=1)))
    result = runner.invoke(app, ["db", "purge-idempotency"], env=env)
    assert result.exit_code == 0, result.output
    assert "removed 1 expired idempotency keys" in result.output
    assert asyncio.run(_kept_keys(url)) == ["key-1"]
    again = runner.invoke(app, ["db", "purge-idempotency"], env=env)
    assert "removed 0 expired idempotency keys" in again.output


def test_openapi_writes_a_valid_openapi_3_1_document(
    runner: CliRunner, env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "openapi.json"
    result = runner.invoke(app, ["openapi", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.1.")
    assert {"/health", "/health/ready", "/metrics"} <= set(document["paths"])
    # OpenAPI 3.1 lets URL fields be relative references (resolved against the server), but
    # the JSON Schema checker asserts `format: uri`: validate with the token URL resolved.
    flows = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
    assert flows["password"]["tokenUrl"] == "/api/auth/token"
    flows["password"]["tokenUrl"] = "http://127.0.0.1:8000/api/auth/token"
    schemathesis.openapi.from_dict(document).validate()  # raises when not valid OpenAPI


def test_python_dash_m_backroom_is_the_command(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "backroom", "--help"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: backroom" in result.stdout


def test_a_store_created_from_the_command_line_gets_every_tools_set_up(
    env: dict[str, str], tmp_path: Path
) -> None:
    # A fresh process: the tools register their set-ups only once imported.
    for args in (["db", "upgrade"], ["stores", "create", "Corner Store"]):
        result = subprocess.run(  # noqa: S603 - our own command, fixed arguments
            [sys.executable, "-m", "backroom", *args],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "cli.db") as connection:
        (templates,) = connection.execute("SELECT count(*) FROM tracking_suggestion").fetchone()
    assert templates > 0


def wait_for(url: str, server: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, server.communicate()[1]
        try:
            httpx.get(url, timeout=1).raise_for_status()
        except httpx.HTTPError:
            time.sleep(0.2)
        else:
            return
    pytest.fail(f"{url} did not answer")


@pytest.mark.slow
def test_serve_with_two_workers_migrates_and_adds_up_their_metrics(
    env: dict[str, str], tmp_path: Path
) -> None:
    metrics_dir = tmp_path / "metrics"
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "backroom", "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, **env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/health/ready", server)  # ready: so it migrated to head first
        for _ in range(20):
            with httpx.Client() as fresh_connection:  # spread over both workers
                assert fresh_connection.get(f"{base}/health").status_code == 200
        text = httpx.get(f"{base}/metrics", timeout=5).text
        assert (
            'backroom_http_requests_total{method="GET",route="/health",status="2xx"} 20.0' in text
        )
        assert len(list(metrics_dir.glob("gauge_livesum_*.db"))) == 2
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    assert server.returncode == 0
    assert not list(metrics_dir.glob("gauge_livesum_*.db"))  # stopped workers no longer count


def test_serve_prepares_an_empty_metrics_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "counter_999.db"
    stale.write_bytes(b"old")
    monkeypatch.setenv(METRICS_DIR_ENV, str(tmp_path))
    assert prepare_metrics_dir(tmp_path / "data") == tmp_path
    assert not stale.exists()
    monkeypatch.delenv(METRICS_DIR_ENV)
    fresh = prepare_metrics_dir(tmp_path / "data")
    assert fresh == tmp_path / "data" / "metrics"
    assert os.environ[METRICS_DIR_ENV] == str(fresh)
    assert fresh.is_dir()
    assert not list(fresh.iterdir())
