"""Where the time goes: py-spy profiles of a server under load, and the plans of its queries.

Profiles: py-spy samples the worker (CPU only, non-blocking) while wrk runs the scenario
once; the collapsed stacks are summarised by package and by function, self and inclusive.

Plans: PostgreSQL's auto_explain is switched on for the bench database only, a fresh
Backroom server sends each list/get request once, and the plans it logged (with
EXPLAIN ANALYZE timings and buffers) are read back from the server log.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import asyncpg
import httpx

PACKAGES = (
    "sqlalchemy",
    "asyncpg",
    "pydantic_core",
    "pydantic",
    "fastapi",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "jwt",
    "cryptography",
    "limits",
    "prometheus_client",
    "argon2",
    "pwdlib",
    "json",
    "asyncio",
    "backroom",
    "logging",
    "email",
)
_LINE_NUMBER = re.compile(r":\d+\)$")
_SPLIT = re.compile(r"(?:site-packages|src|python3\.\d+)/")


def _frame(raw: str) -> str:
    """`func (path/to/file.py:123)` → `func (file path after site-packages)` without line."""
    name, _, where = raw.partition(" (")
    where = _LINE_NUMBER.sub(")", "(" + where) if where else ""
    parts = _SPLIT.split(where)
    return f"{name} ({parts[-1].lstrip('(')}" if where else name


def _package(raw: str) -> str:
    lowered = raw.replace("\\", "/")
    for package in PACKAGES:
        if f"/{package}/" in lowered or f"({package}/" in lowered:
            return package
    if "python3." in lowered:
        return "stdlib"
    return "other"


def summarize(collapsed: Path, top: int = 25) -> list[str]:
    """Self time by package, then the top functions by self and by inclusive samples."""
    self_by_package: Counter[str] = Counter()
    self_by_function: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame for frame in stack.split(";") if not frame.startswith("process ")]
        if not frames:
            continue
        total += count
        self_by_package[_package(frames[-1])] += count
        self_by_function[_frame(frames[-1])] += count
        for name in {_frame(frame) for frame in frames}:
            inclusive[name] += count
    if not total:
        return ["(no samples)"]

    def share(count: int) -> str:
        return f"{100 * count / total:5.1f} %"

    lines = [f"{total} samples", "", "self time by package:"]
    lines += [f"  {share(c)}  {name}" for name, c in self_by_package.most_common()]
    lines += ["", "self time by function:"]
    lines += [f"  {share(c)}  {name}" for name, c in self_by_function.most_common(top)]
    lines += ["", "inclusive time by function:"]
    lines += [f"  {share(c)}  {name}" for name, c in inclusive.most_common(top * 2)]
    return lines


def profile(
    spy: Path,
    pid: int,
    duration: float,
    out: Path,
    drive: Callable[[], object],
) -> list[str]:
    """Sample `pid` (and its children) with py-spy while `drive()` puts the load on."""
    process = subprocess.Popen(
        [
            str(spy),
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--nonblocking",
            "--rate",
            "200",
            "--duration",
            str(max(1, round(duration))),
            "--format",
            "raw",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.5)
    drive()
    _, err = process.communicate(timeout=duration + 60)
    if process.returncode != 0 or not out.exists():
        return [f"py-spy failed: {err.strip()}"]
    summary = summarize(out)
    out.with_suffix(".summary.txt").write_text("\n".join(summary) + "\n")
    return summary


# --------------------------------------------------------------------------- plans

AUTO_EXPLAIN = {
    "session_preload_libraries": "auto_explain",
    "auto_explain.log_min_duration": "0",
    "auto_explain.log_analyze": "on",
    "auto_explain.log_buffers": "on",
    "auto_explain.log_timing": "on",
}
_LOG_START = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def postgres_log() -> Path | None:
    candidates = sorted(Path("/var/log/postgresql").glob("postgresql-*-main.log"))
    return candidates[-1] if candidates else None


async def _set_auto_explain(dsn: str, database: str, *, on: bool) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for name, value in AUTO_EXPLAIN.items():
            if on:
                await conn.execute(f"ALTER DATABASE \"{database}\" SET {name} = '{value}'")
            else:
                await conn.execute(f'ALTER DATABASE "{database}" RESET {name}')
    finally:
        await conn.close()


def capture_plans(
    dsn: str,
    database: str,
    start_server: Callable[[], object],
    *,
    url: str,
    token: str,
    paths: Sequence[str],
) -> dict[str, list[str]]:
    """The plans PostgreSQL used for each path, as logged by auto_explain."""
    log = postgres_log()
    if log is None:
        return {}
    asyncio.run(_set_auto_explain(dsn, database, on=True))
    plans: dict[str, list[str]] = {}
    try:
        with start_server():  # type: ignore[attr-defined]
            client = httpx.Client(
                base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}
            )
            with client:
                for path in paths:
                    client.get(path)  # warm the pool and the caches
                    offset = log.stat().st_size
                    client.get(path)
                    time.sleep(0.3)
                    plans[path] = _plans_since(log, offset, database)
    finally:
        asyncio.run(_set_auto_explain(dsn, database, on=False))
    return plans


def _plans_since(log: Path, offset: int, database: str) -> list[str]:
    with log.open("rb") as file:
        file.seek(offset)
        text = file.read().decode("utf-8", "replace")
    blocks: list[list[str]] = []
    keep = False
    for line in text.splitlines():
        if _LOG_START.match(line):
            keep = f"@{database} " in line and "plan:" in line
            if keep:
                blocks.append([line.split("LOG:", 1)[-1].strip()])
        elif keep and blocks:
            blocks[-1].append(line.rstrip())
    return ["\n".join(block) for block in blocks]
