"""`backroom serve` as operators run it: a real server process, its output and its files."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
        text = httpx.get(f"{server.base}/metrics", timeout=5).text
        health = 'backroom_http_requests_total{method="GET",route="/health",status="2xx"}'
        [count] = [line.split()[-1] for line in text.splitlines() if line.startswith(health)]
        assert float(count) == 3
        assert list(metrics_dir.glob("counter_*.db"))
        returncode = server.stop()
    assert returncode == 0
    assert not list(metrics_dir.glob("*.db"))
    assert not list(system_temp.iterdir())
