"""Backroom's load benchmarks. Run through `bench/run` (or `make bench`); `--help` lists flags.

One invocation: a throwaway PostgreSQL database is created, migrated and seeded; Backroom
(`backroom serve --no-migrate`, production settings) and the reference server
(bench/reference.py) are started with 1 worker, then 2; wrk drives each scenario for a
bounded time from a separate process on loopback; the CPU time of each server's process
tree is sampled around every run. The medians go to docs/BENCHMARKS.md; raw runs to
bench/results/. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

import procstat
import profiling
import report
import scenarios as sc
import seed
from servers import (
    BIN,
    ROOT,
    HarnessError,
    Load,
    Server,
    backroom_server,
    finish_wrk,
    reference_server,
    start_wrk,
)

SMALL_TASKS = 1_000
BIG_TASKS = 1_000_000
BIG_OWNER_TASKS = 100_000
LOGIN_USERS = 200
FILLER_USERS = 900
DEEP_PAGE = 1000
RESULTS = ROOT / "bench" / "results"


@dataclass
class Record:
    """One wrk run (or the median of several) of one scenario on one server."""

    scenario: str
    title: str
    target: str  # "backroom" or "reference"
    workers: int
    dataset: str  # "1e3" or "1e6"
    runs: int
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float | None  # server process tree CPU per request
    db_cpu_ms: float | None  # PostgreSQL backends of the bench database, per request
    requests: int
    errors: int  # non-2xx responses + socket errors
    statuses: dict[str, int] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Where:
    """Which server, how many workers, which data set."""

    target: str  # "backroom" or "reference"
    workers: int
    dataset: str  # "1e3" or "1e6"


@dataclass
class Bench:
    args: argparse.Namespace
    workdir: Path
    database: str
    env: dict[str, str]
    load: Load
    routes: set[tuple[str, str]] = field(default_factory=set)
    population: seed.Population | None = None
    token: str = ""
    files: dict[str, Path] = field(default_factory=dict)
    deep_cursor_path: str | None = None
    records: list[Record] = field(default_factory=list)
    raw: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    profiles: dict[str, list[str]] = field(default_factory=dict)
    plans: dict[str, list[str]] = field(default_factory=dict)
    stamp: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ"))

    @property
    def dsn(self) -> str:
        return seed.database_dsn(self.args.pg_host, self.args.pg_port, self.database)

    def has(self, needs: Sequence[tuple[str, str]]) -> bool:
        return all(
            any(method == m and path.startswith(prefix) for m, path in self.routes)
            for method, prefix in needs
        )

    def log(self, message: str) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%H:%M:%S")
        print(f"[bench {stamp}] {message}", flush=True)


# --------------------------------------------------------------------------- setup


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few seconds, for CI: 1 run each")
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (median)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", default="1,2", help="worker counts to run, e.g. 1 or 1,2")
    parser.add_argument("--no-big", action="store_true", help="skip the 10^6-task data set")
    parser.add_argument("--only", default="", help="regex: run only matching scenario keys")
    parser.add_argument("--profile", action="store_true", help="py-spy the slowest scenarios")
    parser.add_argument("--out", type=Path, help="markdown output (default docs/BENCHMARKS.md)")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--port", type=int, default=8811, help="first of three free ports")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument(
        "--tracking",
        action="store_true",
        help="only the tracking routes' CPU per request, in-process (bench/tracking.py)",
    )
    parser.add_argument(
        "--db",
        choices=("postgresql", "sqlite"),
        default="postgresql",
        help="sqlite: also run me/list/get/create on SQLite (the `make run` set-up), 1 worker",
    )
    parser.add_argument(
        "--add-to",
        type=Path,
        help="a bench/results/*.json whose rows this run completes (its rows win)",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.runs, args.duration, args.connections, args.threads = 1, 1.0, 4, 1
        args.workers, args.no_big = "1", True
        if args.out is None:
            args.out = Path(tempfile.gettempdir()) / "backroom-bench-smoke.md"
    if args.out is None:
        args.out = ROOT / "docs" / "BENCHMARKS.md"
    args.worker_counts = [int(part) for part in str(args.workers).split(",") if part.strip()]
    return args


def server_env(workdir: Path, database_url: str) -> dict[str, str]:
    """Production settings, fresh secrets, and rate limits raised out of the way of the load."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BACKROOM", "DATABASE_", "DB_", "RATE_LIMIT", "REDIS"))
    }
    return {
        **inherited,
        "ENVIRONMENT": "production",
        "DATABASE_URL": database_url,
        "DATA_DIR": str(workdir / "data"),
        "SECRET_KEY": secrets.token_urlsafe(36),
        "PIN_PEPPER": secrets.token_urlsafe(36),
        "LOG_LEVEL": "WARNING",
        "ACCESS_TOKEN_TTL": "3600",
        # Limits stay on (their cost is part of every request) but far above the load.
        "RATE_LIMIT_ENABLED": "true",
        "RATE_LIMIT_LOGIN": "1000000/minute",
        "RATE_LIMIT_REGISTER": "1000000/minute",
        "RATE_LIMIT_REFRESH": "1000000/minute",
    }


def load_routes(bench: Bench) -> None:
    """The routes this build serves, from its own OpenAPI document."""
    out = bench.workdir / "openapi.json"
    subprocess.run(
        [str(BIN / "backroom"), "openapi", "--out", str(out)],
        env=bench.env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    document = json.loads(out.read_text())
    bench.routes = {
        (method.lower(), path) for path, item in document["paths"].items() for method in item
    }


# --------------------------------------------------------------------------- data


def password_hashes(bench: Bench, url: str) -> tuple[str, str | None]:
    """Argon2id hashes of the bench password and PIN, made once by Backroom itself.

    The password hash comes from a registration; the PIN hash from an admin creating a
    staff member. Without those routes (a build before accounts), the password is hashed
    with the default Argon2id parameters and PIN login is not benchmarked.
    """
    register = ("post", "/api/auth/register")
    if not bench.has([register]):
        from pwdlib.hashers.argon2 import Argon2Hasher

        return Argon2Hasher(memory_cost=19_456, time_cost=2, parallelism=1).hash(
            seed.BENCH_PASSWORD
        ), None
    with httpx.Client(base_url=url, timeout=30) as client:
        response = client.post(
            "/api/auth/register",
            json={
                "email": "hash-source@bench.example",
                "password": seed.BENCH_PASSWORD,
                "first_name": "Hash",
                "last_name": "Source",
            },
        )
        if response.status_code != 201:
            raise HarnessError(f"register returned {response.status_code}: {response.text}")
        password_hash = asyncio.run(
            _fetch(
                bench,
                "SELECT password_hash FROM \"user\" WHERE email = 'hash-source@bench.example'",
            )
        )
        pin_hash = _pin_hash(bench, client)
    return str(password_hash), pin_hash


def _pin_hash(bench: Bench, client: httpx.Client) -> str | None:
    if not bench.has([("post", "/api/admin/users")]):
        return None
    store = asyncio.run(
        _fetch(
            bench,
            "INSERT INTO store (id, name, timezone, created_at, updated_at) VALUES "
            "(gen_random_uuid(), 'Hash store', 'UTC', now(), now()) RETURNING id",
        )
    )
    asyncio.run(
        _fetch(
            bench,
            "UPDATE \"user\" SET role = 'admin', store_id = $1 "
            "WHERE email = 'hash-source@bench.example' RETURNING id",
            store,
        )
    )
    token = login(client, {"email": "hash-source@bench.example", "password": seed.BENCH_PASSWORD})
    response = client.post(
        "/api/admin/users",
        headers={"Authorization": f"Bearer {token}"},
        json={"partner_number": "89999999", "name": "Pin Source", "pin": seed.BENCH_PIN},
    )
    if response.status_code != 201:
        bench.notes.append(f"PIN hash: admin create returned {response.status_code}")
        return None
    value = asyncio.run(
        _fetch(bench, "SELECT pin_hash FROM \"user\" WHERE partner_number = '89999999'")
    )
    return str(value) if value else None


async def _fetch(bench: Bench, sql: str, *args: object) -> Any:
    conn = await asyncpg.connect(bench.dsn)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


def login(client: httpx.Client, body: dict[str, str]) -> str:
    response = client.post("/api/auth/login", json=body)
    if response.status_code != 200:
        raise HarnessError(f"login returned {response.status_code}: {response.text}")
    return str(response.json()["access_token"])


def seed_population(bench: Bench, url: str) -> None:
    password_hash, pin_hash = password_hashes(bench, url)

    async def go() -> seed.Population:
        conn = await asyncpg.connect(bench.dsn)
        try:
            return await seed.seed_users(conn, password_hash, pin_hash, LOGIN_USERS, FILLER_USERS)
        finally:
            await conn.close()

    bench.population = asyncio.run(go())
    emails = [
        json.dumps({"email": email, "password": seed.BENCH_PASSWORD})
        for email in bench.population.login_emails
    ]
    bench.files["email"] = write_lines(bench.workdir / "logins-email.txt", emails)
    if pin_hash is not None:
        pins = [
            json.dumps({"partner_number": number, "pin": seed.BENCH_PIN})
            for number in bench.population.login_partners
        ]
        bench.files["pin"] = write_lines(bench.workdir / "logins-pin.txt", pins)
    else:
        bench.skipped["login_pin"] = "no PIN hash (needs POST /api/admin/users)"


def seed_tasks(bench: Bench, owner_count: int, total: int) -> None:
    if not bench.has([sc.LIST]):
        return
    assert bench.population is not None
    population = bench.population
    started = time.monotonic()

    async def go() -> list[int]:
        conn = await asyncpg.connect(bench.dsn)
        try:
            await seed.seed_tasks(conn, population, owner_count, total)
            return await seed.sample_task_ids(conn, population.owner_id, 1000)
        finally:
            await conn.close()

    ids = asyncio.run(go())
    bench.files["ids"] = write_lines(bench.workdir / "ids.txt", [str(i) for i in ids])
    elapsed = time.monotonic() - started
    bench.log(f"seeded {total:,} tasks ({owner_count:,} for the owner) in {elapsed:.1f} s")


def write_lines(path: Path, lines: Sequence[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def refresh_token(bench: Bench, url: str) -> None:
    """An access token for the bench owner: by logging in as a client would, or, on a build
    without the login route, signed with the server's own key."""
    if bench.has([sc.LOGIN]):
        with httpx.Client(base_url=url, timeout=30) as client:
            bench.token = login(
                client, {"email": "owner@bench.example", "password": seed.BENCH_PASSWORD}
            )
        return
    if bench.population is None:
        return
    import uuid

    from backroom.core.config import load_settings
    from backroom.core.security import create_access_token

    names = ("ENVIRONMENT", "SECRET_KEY", "PIN_PEPPER", "DATA_DIR", "ACCESS_TOKEN_TTL")
    settings = load_settings(**{name: bench.env[name] for name in names})
    bench.token = create_access_token(
        settings,
        subject=uuid.UUID(bench.population.owner_id),
        role="staff",
        store_id=uuid.UUID(bench.population.store_id),
    )
    bench.notes.append("no login route: the bench token was signed with the server's key")


def find_deep_cursor(bench: Bench, url: str) -> None:
    """Walk `Link: rel="next"` from page 1 to page DEEP_PAGE once; keep that page's path."""
    headers = {"Authorization": f"Bearer {bench.token}"}
    path: str | None = "/api/tasks?limit=20"
    with httpx.Client(base_url=url, timeout=30, headers=headers) as client:
        for _ in range(DEEP_PAGE - 1):
            assert path is not None
            response = client.get(path)
            following = response.links.get("next", {}).get("url")
            if response.status_code != 200 or not following:
                bench.skipped["cursor_deep"] = "the list has no Link rel=next to follow"
                return
            parsed = httpx.URL(following)
            path = parsed.raw_path.decode()
    bench.deep_cursor_path = path


# --------------------------------------------------------------------------- runs


def reference_deep_path(bench: Bench) -> str:
    """Page DEEP_PAGE on the reference server, whose cursor is the last id of the page before."""
    assert bench.population is not None
    last_id = asyncio.run(
        _fetch(
            bench,
            "SELECT id FROM task WHERE user_id = $1::uuid ORDER BY id DESC OFFSET $2 LIMIT 1",
            bench.population.owner_id,
            (DEEP_PAGE - 1) * 20 - 1,
        )
    )
    return f"/api/tasks?limit=20&after_id={last_id}"


def postgres_pids(bench: Bench) -> list[int]:
    async def go() -> list[int]:
        conn = await asyncpg.connect(bench.dsn)
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return [int(row["pid"]) for row in rows]
        finally:
            await conn.close()

    return asyncio.run(go())


def wrk_env(bench: Bench, scenario: sc.Scenario, list_path: str) -> dict[str, str]:
    env = {
        "BENCH_MIX": scenario.mix,
        "BENCH_TOKEN": bench.token,
        "BENCH_LIST": list_path,
        "BENCH_IDS": str(bench.files.get("ids", "")),
        "BENCH_IDEMPOTENCY": "1" if scenario.idempotency else "0",
    }
    if scenario.logins:
        env["BENCH_LOGINS"] = str(bench.files[scenario.logins])
    return env


def settle(server: Server, timeout: float = 30.0) -> None:
    """Wait until the server is idle: work queued by the last run (logins) must not leak."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = procstat.cpu_seconds(procstat.tree(server.pid))
        time.sleep(0.5)
        if procstat.delta(before, procstat.cpu_seconds(procstat.tree(server.pid))) < 0.05:
            return


def one_run(
    bench: Bench,
    server: Server,
    scenario: sc.Scenario,
    list_path: str,
    background: tuple[sc.Scenario, int] | None = None,
) -> dict[str, Any]:
    settle(server)
    pg_before = procstat.cpu_seconds(postgres_pids(bench))
    storm = None
    if background is not None:
        storm_scenario, storm_connections = background
        storm_load = Load(bench.load.duration + 2, storm_connections, 1, bench.load.timeout)
        storm = start_wrk(
            server.url, storm_load, wrk_env(bench, storm_scenario, list_path), storm_connections
        )
        time.sleep(1)
    before = procstat.cpu_seconds(procstat.tree(server.pid))
    process = start_wrk(
        server.url, bench.load, wrk_env(bench, scenario, list_path), scenario.connections
    )
    result = finish_wrk(process, bench.load)
    server_cpu = procstat.delta(before, procstat.cpu_seconds(procstat.tree(server.pid)))
    pg_after = procstat.cpu_seconds({*pg_before, *postgres_pids(bench)})
    result["server_cpu_s"] = server_cpu
    result["db_cpu_s"] = procstat.delta(pg_before, pg_after)
    if storm is not None:
        result["storm"] = finish_wrk(storm, bench.load)
    return result


def non_2xx(result: dict[str, Any]) -> int:
    return sum(count for status, count in result["statuses"].items() if not status.startswith("2"))


def summarize(
    runs: list[dict[str, Any]], scenario: sc.Scenario, where: Where, note: str = ""
) -> Record:
    def median(values: list[float]) -> float:
        return float(statistics.median(values))

    requests = [int(run["requests"]) for run in runs]
    per_request = all(req > 0 for req in requests) and not scenario.key.startswith("storm")
    statuses: dict[str, int] = {}
    for run in runs:
        for status, count in run["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    errors = sum(
        non_2xx(run) + sum(v for k, v in run["errors"].items() if k != "status") for run in runs
    )
    return Record(
        scenario=scenario.key,
        title=scenario.title,
        target=where.target,
        workers=where.workers,
        dataset=where.dataset,
        runs=len(runs),
        rps=median([run["requests"] / (run["duration_us"] / 1e6) for run in runs]),
        p50_ms=median([run["latency_us"]["p50"] / 1000 for run in runs]),
        p99_ms=median([run["latency_us"]["p99"] / 1000 for run in runs]),
        cpu_ms=median([1000 * run["server_cpu_s"] / run["requests"] for run in runs])
        if per_request
        else None,
        db_cpu_ms=median([1000 * run["db_cpu_s"] / run["requests"] for run in runs])
        if per_request
        else None,
        requests=sum(requests),
        errors=errors,
        statuses=statuses,
        note=note,
    )


def selected(bench: Bench, scenario: sc.Scenario) -> bool:
    return not bench.args.only or re.search(bench.args.only, scenario.key) is not None


def run_scenario(
    bench: Bench,
    server: Server,
    scenario: sc.Scenario,
    where: Where,
    *,
    list_path: str | None = None,
    background: tuple[sc.Scenario, int] | None = None,
) -> Record | None:
    if not selected(bench, scenario):
        return None
    if not bench.has(scenario.needs):
        bench.skipped.setdefault(
            scenario.key,
            "waits for "
            + ", ".join(
                f"{m.upper()} {p}{'id}' if p.endswith('{') else ''}" for m, p in scenario.needs
            ),
        )
        return None
    if scenario.key in bench.skipped:
        return None
    runs = []
    for _ in range(bench.args.runs):
        run = one_run(bench, server, scenario, list_path or scenario.list_path, background)
        run.update(scenario=scenario.key, **asdict(where))
        bench.raw.append(run)
        runs.append(run)
    note = ""
    if background is not None:
        logins = [run["storm"] for run in runs]
        rps = statistics.median(r["requests"] / (r["duration_us"] / 1e6) for r in logins)
        note = f"{rps:.0f} logins/s alongside"
    record = summarize(runs, scenario, where, note)
    bench.records.append(record)
    cpu = f"{record.cpu_ms:.2f}" if record.cpu_ms is not None else "-"
    bench.log(
        f"{where.target:9} w{where.workers} {where.dataset} {scenario.key:12} "
        f"{record.rps:8.0f} rps  "
        f"p50 {record.p50_ms:6.1f} ms  p99 {record.p99_ms:7.1f} ms  cpu {cpu} ms/req  "
        f"errors {record.errors}"
    )
    return record


@contextmanager
def servers(bench: Bench, workers: int) -> Iterator[tuple[Server, Server]]:
    port = bench.args.port
    logs = bench.workdir
    backroom = backroom_server(bench.env, port, workers, logs / f"backroom-w{workers}.log")
    reference_env = {
        **bench.env,
        "BENCH_REFERENCE_DSN": bench.dsn,
        "BENCH_REFERENCE_TOKENS": f"{bench.token}={bench.population.owner_id}"
        if bench.population and bench.token
        else "",
    }
    reference = reference_server(
        reference_env, port + 1, workers, logs / f"reference-w{workers}.log"
    )
    with backroom, reference:
        yield backroom, reference


def paired(
    bench: Bench,
    pair: tuple[Server, Server],
    scenario: sc.Scenario,
    where: Where,
    list_path: str | None = None,
    *,
    reference_path: str | None = None,
) -> None:
    """The scenario on Backroom, then on the reference server when it serves it too."""
    backroom, reference = pair
    run_scenario(bench, backroom, scenario, where, list_path=list_path)
    if scenario.reference and (bench.token or not scenario.needs) and not bench.args.smoke:
        on_reference = Where("reference", where.workers, where.dataset)
        path = reference_path or list_path
        run_scenario(bench, reference, scenario, on_reference, list_path=path)


def small_phase(
    bench: Bench,
    workers: int,
    reads: Sequence[sc.Scenario],
    writes: Sequence[sc.Scenario],
    storm: bool,
) -> None:
    """The 10^3-task data set: reads first, the login storm, then writes (they grow the list)."""
    seed_tasks(bench, SMALL_TASKS, SMALL_TASKS)
    where = Where("backroom", workers, "1e3")
    with servers(bench, workers) as pair:
        for scenario in reads:
            paired(bench, pair, scenario, where)
        if storm and not bench.has(sc.STORM_LOGINS.needs):
            bench.skipped.setdefault("storm", "waits for POST /api/auth/login")
        elif storm:
            run_scenario(bench, pair[0], sc.STORM_READS, where)
            run_scenario(
                bench,
                pair[0],
                sc.STORM_READS,
                where,
                background=(sc.STORM_LOGINS, sc.STORM_CONNECTIONS),
            )
        for scenario in writes:
            paired(bench, pair, scenario, where)
        if bench.args.profile and workers == 1:
            profile_scenarios(bench, pair[0], sc.PROFILED)
        if bench.args.smoke:
            check = sc.LIST_20 if bench.token and bench.has([sc.LIST]) else sc.HEALTH
            run_scenario(bench, pair[1], check, Where("reference", workers, "1e3"))


SQLITE_SCENARIOS = (sc.AUTH_ME, sc.LIST_20, sc.GET_ONE, sc.CREATE_ONE)


def sqlite_phase(bench: Bench) -> None:
    """The default embedded database: the same rows copied into a SQLite file (WAL), one
    worker, beside the PostgreSQL rows of the same run."""
    path = bench.workdir / "bench.sqlite"
    env = {**bench.env, "DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
    seed.migrate(env)
    asyncio.run(seed.copy_to_sqlite(bench.env["DATABASE_URL"], env["DATABASE_URL"]))
    bench.log(f"copied the data set into {path.name}")
    where = Where("backroom-sqlite", 1, "1e3")
    log_path = bench.workdir / "backroom-sqlite.log"
    with backroom_server(env, bench.args.port + 2, 1, log_path) as server:
        for scenario in SQLITE_SCENARIOS:
            run_scenario(bench, server, scenario, where)


def big_phase(bench: Bench) -> None:
    if not bench.has([sc.LIST]):
        for scenario in sc.BIG:
            bench.skipped.setdefault(f"{scenario.key} (1e6)", "waits for GET /api/tasks")
        return
    seed_tasks(bench, BIG_OWNER_TASKS, BIG_TASKS)
    with servers(bench, 1) as pair:
        find_deep_cursor(bench, pair[0].url)
        for scenario in sc.BIG:
            path = reference_path = None
            if scenario is sc.DEEP_CURSOR:
                if bench.deep_cursor_path is None:
                    continue
                path, reference_path = bench.deep_cursor_path, reference_deep_path(bench)
            where = Where("backroom", 1, "1e6")
            paired(bench, pair, scenario, where, path, reference_path=reference_path)
        if bench.args.profile:
            profile_scenarios(bench, pair[0], sc.PROFILED_BIG, suffix="-1e6")
    capture_plans(bench)


def profile_scenarios(
    bench: Bench, server: Server, chosen: Sequence[sc.Scenario], suffix: str = ""
) -> None:
    """py-spy each scenario once (not counted in the table: sampling costs CPU too)."""
    spy = BIN / "py-spy"
    if not spy.exists():
        bench.notes.append("profiles: py-spy is not installed (bench/run --profile installs it)")
        return
    for scenario in chosen:
        if not bench.has(scenario.needs) or not selected(bench, scenario):
            continue
        path = bench.deep_cursor_path if scenario is sc.DEEP_CURSOR else scenario.list_path
        if path is None:
            continue
        out = RESULTS / f"profile-{bench.stamp}-{scenario.key}{suffix}.txt"
        bench.log(f"profiling {scenario.key}{suffix} -> {out}")
        bench.profiles[f"{scenario.title}{suffix.replace('-', ', ')}"] = profiling.profile(
            spy,
            server.pid,
            bench.load.duration,
            out,
            lambda scenario=scenario, path=path: one_run(bench, server, scenario, path),
        )


def capture_plans(bench: Bench) -> None:
    """EXPLAIN ANALYZE (through auto_explain) of every list/get request on 10^6 tasks."""
    paths = [sc.LIST_20.list_path, sc.FILTERED.list_path, sc.DEEP_OFFSET.list_path]
    if bench.deep_cursor_path:
        paths.append(bench.deep_cursor_path)
    if bench.files.get("ids"):
        first_id = bench.files["ids"].read_text().split()[0]
        paths.append(f"/api/tasks/{first_id}")
    port = bench.args.port + 2
    bench.plans = profiling.capture_plans(
        seed.admin_dsn(bench.args.pg_host, bench.args.pg_port),
        bench.database,
        lambda: backroom_server(bench.env, port, 1, bench.workdir / "backroom-plans.log"),
        url=f"http://127.0.0.1:{port}",
        token=bench.token,
        paths=paths,
    )
    if not bench.plans:
        bench.notes.append("plans: the PostgreSQL log was not found; no plans captured")


def prepare(bench: Bench) -> None:
    asyncio.run(seed.create_database(bench.args.pg_host, bench.args.pg_port, bench.database))
    bench.log(f"database {bench.database} created; migrating")
    seed.migrate(bench.env)
    load_routes(bench)
    # The population needs a running server only to let Backroom hash the secrets.
    server = backroom_server(bench.env, bench.args.port, 1, bench.workdir / "backroom-seed.log")
    with server:
        seed_population(bench, server.url)
        refresh_token(bench, server.url)


def run_small_phases(bench: Bench) -> None:
    """The small-data scenarios, once per worker count."""
    for workers in bench.args.worker_counts:
        if bench.args.smoke:
            small_phase(bench, workers, sc.SMOKE_READS, sc.SMOKE_WRITES, storm=False)
        elif workers == 1:
            small_phase(bench, workers, sc.SMALL_READS, sc.SMALL_WRITES, storm=True)
        else:
            small_phase(bench, workers, sc.TWO_WORKER_READS, sc.TWO_WORKER_WRITES, storm=False)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.tracking:
        import tracking

        return tracking.main(["--pg-host", args.pg_host, "--pg-port", str(args.pg_port)])
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="backroom-bench-"))
    database = f"backroom_bench_{secrets.token_hex(4)}"
    database_url = f"postgresql+asyncpg://postgres@{args.pg_host}:{args.pg_port}/{database}"
    bench = Bench(
        args=args,
        workdir=workdir,
        database=database,
        env=server_env(workdir, database_url),
        load=Load(args.duration, args.connections, args.threads),
    )
    context = report.collect_context(seed.admin_dsn(args.pg_host, args.pg_port), argv)
    RESULTS.mkdir(exist_ok=True)
    try:
        prepare(bench)
        run_small_phases(bench)
        if args.db == "sqlite" and not args.smoke:
            sqlite_phase(bench)
        if not args.no_big:
            big_phase(bench)
    finally:
        if args.keep_db:
            keep_environment(bench)
        else:
            asyncio.run(seed.drop_database(args.pg_host, args.pg_port, database))
    context["finished_load"] = os.getloadavg()
    context["elapsed_s"] = time.monotonic() - started
    if args.add_to:
        merge_earlier(bench, context, args.add_to)
    (RESULTS / f"{bench.stamp}.json").write_text(
        json.dumps(
            {
                "context": context,
                "records": [asdict(r) for r in bench.records],
                "raw": bench.raw,
                "skipped": bench.skipped,
                "profiles": bench.profiles,
                "plans": bench.plans,
            },
            indent=1,
            default=str,
        )
    )
    report.write(args.out, context, bench, smoke=args.smoke)
    bench.log(f"wrote {args.out} in {context['elapsed_s']:.0f} s")
    if not args.keep_db:
        shutil.rmtree(workdir, ignore_errors=True)  # server logs; kept when a run fails
    if args.smoke:
        return smoke_verdict(bench)
    return 0


def merge_earlier(bench: Bench, context: dict[str, Any], path: Path) -> None:
    """Keep the rows of an earlier run that this one did not measure again."""
    earlier = json.loads(path.read_text())
    fresh = {(r.scenario, r.target, r.workers, r.dataset) for r in bench.records}
    kept = [
        Record(**row)
        for row in earlier["records"]
        if (row["scenario"], row["target"], row["workers"], row["dataset"]) not in fresh
    ]
    order = [scenario.key for scenario in sc.ORDER]
    bench.records = sorted(
        [*kept, *bench.records],
        key=lambda r: (
            r.dataset,
            r.workers,
            order.index(r.scenario) if r.scenario in order else len(order),
            bool(r.note),
            r.target,
        ),
    )
    measured = {r.scenario for r in bench.records}
    skipped = {**earlier.get("skipped", {}), **bench.skipped}
    bench.skipped = {key: why for key, why in skipped.items() if key not in measured}
    bench.profiles = {**earlier.get("profiles", {}), **bench.profiles}
    bench.plans = {**earlier.get("plans", {}), **bench.plans}
    bench.raw[:0] = earlier.get("raw", [])
    context["command"] = f"{earlier['context']['command']}` then `{context['command']}"
    context["elapsed_s"] += earlier["context"].get("elapsed_s", 0)


def keep_environment(bench: Bench) -> None:
    """Settings and token of the kept database, for bench/inprocess.py."""
    names = ("ENVIRONMENT", "DATABASE_URL", "DATA_DIR", "SECRET_KEY", "PIN_PEPPER", "LOG_LEVEL")
    kept = {name: bench.env[name] for name in names} | {"BENCH_TOKEN": bench.token}
    kept |= {name: value for name, value in bench.env.items() if name.startswith("RATE_LIMIT")}
    (RESULTS / "last-env.json").write_text(json.dumps(kept, indent=1))
    bench.log(
        f"kept database {bench.database} (settings in bench/results/last-env.json); "
        f"drop it with: psql -h {bench.args.pg_host} -U postgres "
        f"-c 'DROP DATABASE \"{bench.database}\"'"
    )


def smoke_verdict(bench: Bench) -> int:
    """The smoke fails only when the harness is broken: a scenario that got no 2xx at all."""
    broken = [
        f"{r.target}/{r.scenario}"
        for r in bench.records
        if not any(status.startswith("2") for status in r.statuses)
    ]
    if not bench.records or broken:
        print(f"bench smoke: no successful response from {broken or 'any scenario'}")
        return 1
    print(f"bench smoke: {len(bench.records)} scenarios ran")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except HarnessError as error:
        print(f"bench: {error}", file=sys.stderr)
        sys.exit(2)
