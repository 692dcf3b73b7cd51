"""`backroom serve` as operators run it: a real server process, its output and its files."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

START_SECONDS = 60  # generous: the workers import the app on a busy machine


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    port: int
    stdout: Path
    stderr: Path

    def lines(self) -> list[str]:
        text = self.stdout.read_text() + self.stderr.read_text()
        return [line for line in text.splitlines() if line.strip()]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


def server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "PROMETHEUS_MULTIPROC_DIR" and not key.startswith("TEST_")
    }
    env.update(
        {
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
            "DATA_DIR": str(tmp_path / "data"),
            "ENVIRONMENT": "development",
            "LOG_LEVEL": "INFO",
        }
    )
    env.update(extra)
    return env


@contextmanager
def serving(tmp_path: Path, env: dict[str, str], *args: str) -> Iterator[Server]:
    port = free_port()
    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "backroom", "serve", "--port", str(port), *args],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=err,
        )
    server = Server(process, f"http://127.0.0.1:{port}", port, stdout, stderr)
    try:
        wait_until_ready(server)
        yield server
    finally:
        server.stop()


def wait_until_ready(server: Server) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail("the server exited:\n" + "\n".join(server.lines()))
        try:
            if httpx.get(f"{server.base}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail("the server did not get ready:\n" + "\n".join(server.lines()))


def send_garbage(port: int) -> None:
    """Bytes that are no HTTP request: uvicorn itself answers 400 and logs a warning."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        raw.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        raw.recv(1024)


@pytest.mark.slow
def test_with_json_logs_every_line_is_json_uvicorns_included(tmp_path: Path) -> None:
    env = server_env(tmp_path, LOG_FORMAT="json")
    with serving(tmp_path, env) as server:
        assert httpx.get(f"{server.base}/health", timeout=5).status_code == 200
        assert httpx.get(f"{server.base}/no-such-page", timeout=5).status_code == 404
        send_garbage(server.port)
        returncode = server.stop()
    assert returncode == 0
    records = []
    for line in server.lines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line: {line!r}")
    loggers = {record["logger"] for record in records}
    assert {"backroom.serve", "backroom.access", "uvicorn.error"} <= loggers
    messages = {(record["logger"], record["level"], record["message"]) for record in records}
    assert ("uvicorn.error", "WARNING", "Invalid HTTP request received.") in messages
    assert any(message.startswith("Started server process") for _, _, message in messages)
    assert any(message.startswith("Finished server process") for _, _, message in messages)
    # The app's access log only: uvicorn's own stays off.
    assert "uvicorn.access" not in loggers
    assert all("color_message" not in record for record in records)


@pytest.mark.slow
def test_worker_metrics_live_under_the_data_directory_and_go_at_a_clean_stop(
    tmp_path: Path,
) -> None:
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    metrics_dir = tmp_path / "data" / "metrics"
    metrics_dir.mkdir(parents=True)
    stale = metrics_dir / "counter_999999.db"
    stale.write_bytes(b"a previous run")
    env = server_env(tmp_path, TMPDIR=str(system_temp))
    with serving(tmp_path, env, "--workers", "2") as server:
        assert not stale.exists()
        for _ in range(3):
            assert httpx.get(f"{server.base}/health", timeout=5).status_code == 200
        health = 'backroom_http_requests_total{method="GET",route="/health",status="2xx"}'
        # A request is counted as its response ends: the last one may still be writing
        # its sample when another worker answers the scrape.
        deadline = time.monotonic() + 10
        while True:
            text = httpx.get(f"{server.base}/metrics", timeout=5).text
            [count] = [line.split()[-1] for line in text.splitlines() if line.startswith(health)]
            if float(count) >= 3 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert float(count) == 3
        assert list(metrics_dir.glob("counter_*.db"))
        returncode = server.stop()
    assert returncode == 0
    assert not list(metrics_dir.glob("*.db"))
    assert not list(system_temp.iterdir())


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    resets: list[str] = field(default_factory=list)


class KeepAliveClient:
    """One raw HTTP/1.1 connection reused request after request, as a load balancer does.

    Raw sockets rather than an HTTP library: a library would quietly reconnect, which is
    the very failure this is looking for.
    """

    def __init__(self, port: int, request: bytes, tally: Tally) -> None:
        self.port, self.request, self.tally = port, request, tally
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> KeepAliveClient:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()

    async def send(self) -> bool:
        """One request on this connection; False (and a reset counted) if it broke."""
        assert self.reader is not None
        assert self.writer is not None
        try:
            self.writer.write(self.request)
            await self.writer.drain()
            head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout=30)
            status = int(head.split(b" ", 2)[1])
            length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
            await self.reader.readexactly(int(length.group(1)) if length else 0)
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
            self.tally.resets.append(type(error).__name__)
            return False
        self.tally.statuses[status] += 1
        if re.search(rb"(?i)\r\nconnection:\s*close", head):
            self.tally.resets.append("closed by the server after a response")
            return False
        return True


async def hammer(port: int, request: bytes, tally: Tally, connections: int, seconds: float) -> None:
    """`connections` connections, each sending its next request as soon as one is answered."""
    deadline = time.monotonic() + seconds

    async def connection() -> None:
        async with KeepAliveClient(port, request, tally) as client:
            while time.monotonic() < deadline and await client.send():
                pass

    await asyncio.gather(*(connection() for _ in range(connections)))


async def pause_and_reuse(port: int, request: bytes, tally: Tally, idle: float) -> None:
    """A connection that idles between requests, as one behind a quiet load balancer does."""
    async with KeepAliveClient(port, request, tally) as client:
        if await client.send():
            await asyncio.sleep(idle)
            await client.send()


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    assert match is not None
    return int(match.group(1))


def access_token(base: str) -> str:
    response = httpx.post(
        f"{base}/api/auth/register",
        json={
            "email": "load@example.com",
            "password": "correct horse battery",
            "first_name": "Lo",
            "last_name": "Ad",
        },
        timeout=30,
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["access_token"]
    return token


CONNECTIONS = 256
LOAD_SECONDS = 4.0
# Longer than uvicorn's default keep-alive (5 s), far shorter than a load balancer's.
IDLE_SECONDS = 6.0


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_one_worker_under_many_keep_alive_connections_answers_every_request(
    tmp_path: Path,
) -> None:
    env = server_env(tmp_path, LOG_LEVEL="WARNING")
    with serving(tmp_path, env, "--workers", "1") as server:
        token = access_token(server.base)
        request = (
            f"GET /api/auth/me HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
        warm_up = Tally()
        asyncio.run(hammer(server.port, request, warm_up, CONNECTIONS, 1.0))
        time.sleep(0.5)
        before = rss_kib(server.process.pid)
        tally = Tally()

        async def overload() -> None:
            await asyncio.gather(
                hammer(server.port, request, tally, CONNECTIONS, LOAD_SECONDS),
                *(pause_and_reuse(server.port, request, tally, IDLE_SECONDS) for _ in range(8)),
            )

        asyncio.run(overload())
        time.sleep(0.5)
        after = rss_kib(server.process.pid)
        returncode = server.stop()
    assert warm_up.resets == []
    assert tally.resets == []
    assert set(tally.statuses) <= {200, 429, 503}
    assert tally.statuses[200] >= CONNECTIONS  # every connection got answers, not refusals
    assert after - before < 20 * 1024, f"RSS grew from {before} KiB to {after} KiB"
    assert returncode == 0
