"""Start and stop the servers under test, and drive wrk against them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import procstat

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
BIN = Path(sys.executable).parent
MIX_LUA = BENCH_DIR / "wrk" / "mix.lua"
HOST = "127.0.0.1"


class HarnessError(RuntimeError):
    """The harness itself could not do its job (as opposed to a slow or failing server)."""


@dataclass
class Server:
    """One server process tree (uvicorn's supervisor and its workers), in its own group."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 30.0) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HarnessError(f"{self.name} exited at start; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as response:
                    if response.status == 200:
                        self._wait_for_workers()
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise HarnessError(f"{self.name} did not answer /health in {timeout:.0f} s")

    def _wait_for_workers(self) -> None:
        """With several workers, give each one time to start before the load begins."""
        expected = int(self.env.get("BENCH_WORKERS", "1"))
        if expected > 1:
            deadline = time.monotonic() + 20
            while len(procstat.tree(self.pid)) <= expected and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1.5)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def backroom_server(env: dict[str, str], port: int, workers: int, log_path: Path) -> Server:
    argv = [
        str(BIN / "backroom"),
        "serve",
        "--no-migrate",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    return Server(
        f"backroom ({workers} worker{'s' if workers > 1 else ''})",
        argv,
        {**env, "BENCH_WORKERS": str(workers)},
        port,
        log_path,
    )


def reference_server(env: dict[str, str], port: int, workers: int, log_path: Path) -> Server:
    argv = [
        str(BIN / "uvicorn"),
        "reference:create_app",
        "--factory",
        "--app-dir",
        str(BENCH_DIR),
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--no-server-header",
        "--log-level",
        "warning",
    ]
    return Server(
        f"reference ({workers} worker{'s' if workers > 1 else ''})",
        argv,
        {**env, "BENCH_WORKERS": str(workers)},
        port,
        log_path,
    )


@dataclass(frozen=True)
class Load:
    """How hard and how long wrk pushes."""

    duration: float
    connections: int
    threads: int
    timeout: float = 10.0


def wrk_command(url: str, load: Load, connections: int | None = None) -> list[str]:
    conns = connections or load.connections
    return [
        "wrk",
        "-t",
        str(min(load.threads, conns)),
        "-c",
        str(conns),
        "-d",
        f"{load.duration:g}s",
        "--timeout",
        f"{load.timeout:g}s",
        "-s",
        str(MIX_LUA),
        url,
    ]


def start_wrk(
    url: str, load: Load, env: dict[str, str], connections: int | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        wrk_command(url, load, connections),
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_wrk(process: subprocess.Popen[str], load: Load) -> dict[str, object]:
    try:
        out, err = process.communicate(timeout=load.duration + load.timeout + 30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise HarnessError("wrk did not finish in time") from None
    if process.returncode != 0:
        raise HarnessError(f"wrk failed ({process.returncode}): {err.strip() or out.strip()}")
    for line in out.splitlines():
        if line.startswith("BENCHJSON "):
            result: dict[str, object] = json.loads(line.removeprefix("BENCHJSON "))
            return result
    raise HarnessError(f"wrk printed no summary: {out.strip()} {err.strip()}")
