"""Start-up as an operator does it: settings in the environment or `.env`, the real command.

Each test runs `python -m backroom` in a process of its own, in a folder of its own (so no
`.env` of the checkout is read), with only the settings the test gives.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backroom.core.config import Settings
from backroom.core.migrations import head_revision
from tests.conftest import free_port, throwaway_postgres_database

# Every variable Settings reads, so that none leaks in from the environment of the test run.
SETTING_NAMES = {*Settings.model_fields, "JWT_EXPIRATION", "PROMETHEUS_MULTIPROC_DIR"}


def clean_env(**settings: str) -> dict[str, str]:
    inherited = {key: value for key, value in os.environ.items() if key not in SETTING_NAMES}
    return {**inherited, **settings}


@pytest.fixture
def base(tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'startup.db'}",
        "DATA_DIR": str(tmp_path / "data"),
    }


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "backroom", *args],
        env=clean_env(**env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class Server:
    """`backroom serve` on a free port, stopped with SIGTERM; its stderr kept for reading."""

    def __init__(self, env: dict[str, str], cwd: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = cwd / f"server-{self.port}.log"
        with self.log.open("w", encoding="utf-8") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "backroom", "serve", "--port", str(self.port), *args],
                env=clean_env(**env),
                cwd=cwd,
                stdout=subprocess.DEVNULL,
                stderr=log,
                text=True,
            )

    def wait(self, path: str = "/health", seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text(encoding="utf-8")
            try:
                httpx.get(self.url + path, timeout=1).raise_for_status()
            except httpx.HTTPError:
                time.sleep(0.2)
            else:
                return
        pytest.fail(f"{path} did not answer 200: {self.log.read_text(encoding='utf-8')}")

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        return self.log.read_text(encoding="utf-8")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[type[Server]]:
    started: list[Server] = []

    class Tracked(Server):
        def __init__(self, env: dict[str, str], *args: str) -> None:
            super().__init__(env, tmp_path, *args)
            started.append(self)

    yield Tracked
    for server in started:
        if server.process.poll() is None:
            server.stop()


def preflight(url: str, origin: str) -> httpx.Response:
    return httpx.options(
        f"{url}/api/auth/login",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        timeout=5,
    )


def access_lines(log: str) -> list[dict[str, object]]:
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    return [record for record in records if record["logger"] == "backroom.access"]


LISTS = {
    "comma": ("https://a.example.com, https://b.example.com", "10.0.0.5, 127.0.0.1"),
    "json": ('["https://a.example.com", "https://b.example.com"]', '["10.0.0.5", "127.0.0.1"]'),
}


@pytest.mark.slow
@pytest.mark.parametrize("source", ["environment", ".env"])
@pytest.mark.parametrize("form", ["comma", "json"])
def test_origins_and_proxies_as_lists_start_and_apply(
    serve: type[Server], base: dict[str, str], tmp_path: Path, source: str, form: str
) -> None:
    origins, proxies = LISTS[form]
    lists = {"CORS_ORIGINS": origins, "FORWARDED_ALLOW_IPS": proxies}
    env = {**base, "LOG_FORMAT": "JSON", "LOG_LEVEL": "info"}  # spelled as people do
    if source == ".env":
        lines = [f"{name}='{value}'" for name, value in lists.items()]
        (tmp_path / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        env.update(lists)
    server = serve(env, "--no-migrate")
    server.wait()
    for origin in ("https://a.example.com", "https://b.example.com"):
        answer = preflight(server.url, origin)
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == origin
    assert preflight(server.url, "https://evil.example.com").status_code == 400
    forwarded = httpx.get(f"{server.url}/health", headers={"X-Forwarded-For": "203.0.113.9"})
    assert forwarded.status_code == 200
    lines = access_lines(server.stop())
    assert [line["client_ip"] for line in lines if line["route"] == "/health"][-1] == "203.0.113.9"


@pytest.mark.slow
def test_a_single_origin_and_proxy_are_lists_of_one(
    serve: type[Server], base: dict[str, str]
) -> None:
    env = {
        **base,
        "CORS_ORIGINS": "https://store.example.com",
        "FORWARDED_ALLOW_IPS": "10.0.0.5",
        "LOG_FORMAT": "json",
    }
    server = serve(env, "--no-migrate")
    server.wait()
    allowed = preflight(server.url, "https://store.example.com")
    assert allowed.headers["access-control-allow-origin"] == "https://store.example.com"
    assert preflight(server.url, "http://localhost:3000").status_code == 400  # not the default
    httpx.get(f"{server.url}/health", headers={"X-Forwarded-For": "203.0.113.9"})
    lines = access_lines(server.stop())
    assert [line["client_ip"] for line in lines if line["route"] == "/health"][-1] == "127.0.0.1"


@pytest.mark.slow
def test_durations_and_sizes_in_units_start_and_apply(
    serve: type[Server], base: dict[str, str]
) -> None:
    env = {
        **base,
        "MAX_BODY_BYTES": "2KiB",
        "ACCESS_TOKEN_TTL": "15m",
        "REFRESH_TOKEN_TTL": "30d",
        "AUTH_STATE_TTL": "30s",
        "LOCKOUT_BASE_SECONDS": "15m",
        "LOCKOUT_MAX_SECONDS": "48h",
        "IDEMPOTENCY_TTL": "2d",
        "DB_POOL_TIMEOUT": "2s",
        "DB_CONNECT_TIMEOUT": "1500ms",
        "DB_STATEMENT_TIMEOUT_MS": "15s",
        "SQLITE_BUSY_TIMEOUT_MS": "5s",
        "RTDE_SESSION_MINUTES": "1h",
        "AUDIT_RETENTION_DAYS": "365d",
    }
    server = serve(env)
    server.wait("/health/ready")
    small = httpx.post(f"{server.url}/api/auth/login", content=b"x" * 2048, timeout=5)
    large = httpx.post(f"{server.url}/api/auth/login", content=b"x" * 2049, timeout=5)
    assert small.status_code != 413
    assert large.status_code == 413


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("DATABASE_URL", "not-a-url", "not a database URL"),
        ("DATABASE_URL", "mysql://root@localhost/backroom", "unsupported database 'mysql'"),
        ("DATABASE_URL", "sqlite+aiosqlite:///{tmp}/missing/backroom.db", "does not exist"),
        ("RATE_LIMIT_LOGIN", "ten a minute", "must be a rate"),
        ("RATE_LIMIT_REFRESH", "30/fortnight", "must be a rate"),
        ("LOG_LEVEL", "verbose", "Input should be 'DEBUG'"),
        ("LOG_FORMAT", "yaml", "Input should be 'text' or 'json'"),
        ("MAX_BODY_BYTES", "2MB", "must be a size"),
        ("IDEMPOTENCY_TTL", "1h", "greater than or equal to 86400"),
        ("DB_POOL_TIMEOUT", "soon", "must be a duration"),
        ("LOCKOUT_BASE_SECONDS", "1.5s", "whole seconds"),
        ("CORS_ORIGINS", '["https://a.example.com"', "comma-separated list or a JSON list"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(
    base: dict[str, str], tmp_path: Path, setting: str, value: str, says: str
) -> None:
    env = {**base, setting: value.format(tmp=tmp_path)}
    result = run(["serve", "--port", str(free_port())], env, tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [result.stderr.strip()]  # one line
    assert result.stderr.startswith(f"backroom: bad setting: {setting}: ")
    assert says in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_jwks_url_without_issuer_or_audience_refuses_to_start(
    base: dict[str, str], tmp_path: Path
) -> None:
    jwks = {"BETTER_AUTH_JWKS_URL": "https://auth.example.com/api/auth/jwks"}
    refused = run(["serve", "--port", str(free_port())], {**base, **jwks}, tmp_path)
    assert refused.returncode == 2
    assert len(refused.stderr.splitlines()) == 1
    assert "BETTER_AUTH_JWKS_URL" in refused.stderr
    assert "BETTER_AUTH_ALLOW_UNCHECKED_CLAIMS=true" in refused.stderr
    half = {**jwks, "BETTER_AUTH_ISSUER": "https://auth.example.com"}  # aud still unchecked
    assert run(["db", "current"], {**base, **half}, tmp_path).returncode == 2
    for allowed in (
        {**jwks, "BETTER_AUTH_URL": "https://auth.example.com"},
        {**half, "BETTER_AUTH_AUDIENCE": "https://store.example.com"},
        {**jwks, "BETTER_AUTH_ALLOW_UNCHECKED_CLAIMS": "true"},
    ):
        result = run(["db", "current"], {**base, **allowed}, tmp_path)
        assert result.returncode == 0, result.stderr


def test_a_sqlite_url_without_a_driver_is_read_as_aiosqlite(
    base: dict[str, str], tmp_path: Path
) -> None:
    env = {**base, "DATABASE_URL": f"sqlite:///{tmp_path / 'plain.db'}"}
    upgraded = run(["db", "upgrade"], env, tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    current = run(["db", "current"], env, tmp_path)
    assert f"database: {head_revision()}" in current.stdout


@pytest.mark.parametrize("command", [["serve"], ["db", "upgrade"], ["users", "list"]])
def test_an_unreachable_database_is_one_line_naming_host_and_port(
    base: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    closed = free_port()
    env = {**base, "DATABASE_URL": f"postgresql://backroom@127.0.0.1:{closed}/backroom"}
    result = run(command, env, tmp_path)
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert f"cannot reach the database at 127.0.0.1:{closed}" in result.stderr
    assert "serve --no-migrate" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_serve_no_migrate_starts_without_the_database_and_is_not_ready(
    serve: type[Server], base: dict[str, str]
) -> None:
    closed = free_port()
    env = {**base, "DATABASE_URL": f"postgres://backroom@127.0.0.1:{closed}/backroom"}
    server = serve(env, "--no-migrate")
    server.wait("/health")
    assert httpx.get(f"{server.url}/health/ready", timeout=5).status_code == 503


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with throwaway_postgres_database() as url:
        yield url


@pytest.mark.postgres_only
@pytest.mark.parametrize("scheme", ["postgres://", "postgresql://"])
def test_a_postgres_url_from_a_hosting_dashboard_is_read_as_asyncpg(
    base: dict[str, str], tmp_path: Path, postgres_url: str, scheme: str
) -> None:
    pasted = postgres_url.replace("postgresql+asyncpg://", scheme)
    env = {**base, "DATABASE_URL": pasted}
    upgraded = run(["db", "upgrade"], env, tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    current = run(["db", "current"], env, tmp_path)
    assert f"database: {head_revision()}" in current.stdout


@pytest.mark.postgres_only
def test_a_missing_postgres_database_is_one_line(
    base: dict[str, str], tmp_path: Path, postgres_url: str
) -> None:
    missing = postgres_url.rsplit("/", 1)[0] + "/backroom_missing_database"
    result = run(["serve"], {**base, "DATABASE_URL": missing}, tmp_path)
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert 'database "backroom_missing_database" does not exist' in result.stderr
    assert "Traceback" not in result.stderr
