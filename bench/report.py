"""The numbers table: machine and versions, medians, ratios to the reference, the targets.

The generated part of docs/BENCHMARKS.md sits between two marker comments; everything
outside them (the findings written by hand) is kept when the table is regenerated.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import platform
import shlex
import subprocess
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import asyncpg

START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"
PACKAGES = (
    "fastapi",
    "starlette",
    "pydantic",
    "sqlalchemy",
    "asyncpg",
    "uvicorn",
    "uvloop",
    "httptools",
    "pyjwt",
    "argon2-cffi",
)


class RecordLike(Protocol):
    scenario: str
    title: str
    target: str
    workers: int
    dataset: str
    runs: int
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float | None
    db_cpu_ms: float | None
    requests: int
    errors: int
    note: str


def collect_context(admin_dsn: str, argv: Sequence[str]) -> dict[str, Any]:
    async def server_version() -> str:
        conn = await asyncpg.connect(admin_dsn)
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()

    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "-"
    versions["postgresql"] = asyncio.run(server_version())
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    versions["wrk"] = (wrk.stdout or wrk.stderr).split("[")[0].replace("wrk", "").strip()
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    return {
        "command": " ".join(["bench/run", *(shlex.quote(arg) for arg in argv)]),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "versions": versions,
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "started_load": os.getloadavg(),
    }


def _ms(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _find(
    records: Sequence[RecordLike], scenario: str, target: str, workers: int, dataset: str
) -> RecordLike | None:
    for record in records:
        if (record.scenario, record.target, record.workers, record.dataset) == (
            scenario,
            target,
            workers,
            dataset,
        ):
            return record
    return None


def _vs_postgresql(records: Sequence[RecordLike], record: RecordLike) -> str:
    """A SQLite row against the PostgreSQL row of the same scenario: CPU/req and p99."""
    pg = _find(records, record.scenario, "backroom", record.workers, record.dataset)
    if pg is None:
        return ""
    parts = []
    if record.cpu_ms and pg.cpu_ms:
        parts.append(f"CPU x{record.cpu_ms / pg.cpu_ms:.2f}")
    if pg.p99_ms:
        parts.append(f"p99 x{record.p99_ms / pg.p99_ms:.2f}")
    return " · ".join(parts) + " of PostgreSQL's"


def _vs_reference(records: Sequence[RecordLike], record: RecordLike) -> str:
    """The share of the reference's efficiency: reference CPU/req over ours, and rps."""
    if record.target == "backroom-sqlite":
        return _vs_postgresql(records, record)
    if record.target != "backroom":
        return ""
    ref = _find(records, record.scenario, "reference", record.workers, record.dataset)
    if ref is None or not ref.rps:
        return ""
    parts = []
    if record.cpu_ms and ref.cpu_ms:
        parts.append(f"CPU {100 * ref.cpu_ms / record.cpu_ms:.0f} %")
    parts.append(f"rps {100 * record.rps / ref.rps:.0f} %")
    if ref.p99_ms:
        parts.append(f"p99 x{record.p99_ms / ref.p99_ms:.2f}")
    return " · ".join(parts)


def _title(record: RecordLike) -> str:
    if record.scenario == "storm_reads":
        return f"{record.title}, {'during a login storm' if record.note else 'alone'}"
    return record.title


def results_table(records: Sequence[RecordLike]) -> list[str]:
    lines = [
        "| scenario | server | workers | tasks | rps | p50 ms | p99 ms | server CPU ms/req "
        "| PG CPU ms/req | errors | vs reference | note |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    lines.extend(
        f"| {_title(r)} | {r.target} | {r.workers} | {r.dataset} | {r.rps:.0f} "
        f"| {_ms(r.p50_ms, 1)} | {_ms(r.p99_ms, 1)} | {_ms(r.cpu_ms)} | {_ms(r.db_cpu_ms)} "
        f"| {r.errors} | {_vs_reference(records, r)} | {r.note} |"
        for r in records
    )
    return lines


def _target(name: str, measured: str, ok: bool | None, goal: str) -> str:
    verdict = "n/a" if ok is None else ("met" if ok else "**missed**")
    return f"| {name} | {goal} | {measured} | {verdict} |"


def targets_table(records: Sequence[RecordLike]) -> list[str]:
    lines = ["| target | goal | measured | verdict |", "|---|---|---|---|"]
    for key in ("list", "get", "create", "me"):
        ours = _find(records, key, "backroom", 1, "1e3")
        ref = _find(records, key, "reference", 1, "1e3")
        if ours and ref and ours.cpu_ms and ref.cpu_ms:
            ratio = ours.cpu_ms / ref.cpu_ms
            p99 = ours.p99_ms / ref.p99_ms if ref.p99_ms else None
            ok = ratio <= 2 and (p99 is None or p99 <= 2)
            lines.append(
                _target(
                    f"{key}: CPU/req and p99 vs reference",
                    f"CPU x{ratio:.2f}, p99 x{_ratio(p99)}",
                    ok,
                    "≤ x2 each",
                )
            )
    for key in ("me", "list", "get", "create"):
        lite = _find(records, key, "backroom-sqlite", 1, "1e3")
        pg = _find(records, key, "backroom", 1, "1e3")
        if lite and pg and lite.cpu_ms and pg.cpu_ms and pg.p99_ms:
            cpu, p99 = lite.cpu_ms / pg.cpu_ms, lite.p99_ms / pg.p99_ms
            lines.append(
                _target(
                    f"{key}: SQLite vs PostgreSQL, CPU/req and p99",
                    f"CPU x{cpu:.2f}, p99 x{p99:.2f}",
                    cpu <= 1.5 and p99 <= 2,
                    "CPU ≤ x1.5, p99 ≤ x2",
                )
            )
    alone = _storm(records, with_storm=False)
    storm = _storm(records, with_storm=True)
    if alone and storm and alone.p99_ms:
        ratio = storm.p99_ms / alone.p99_ms
        lines.append(_target("login storm: p99 of list reads", f"x{ratio:.2f}", ratio <= 2, "≤ x2"))
    for big_key, small_key in (("list", "list"), ("get", "get"), ("filter", "filter")):
        big = _find(records, big_key, "backroom", 1, "1e6")
        small = _find(records, small_key, "backroom", 1, "1e3")
        if big and small and small.p50_ms:
            ratio = big.p50_ms / small.p50_ms
            lines.append(
                _target(
                    f"{big_key}: 10^6 vs 10^3 tasks (p50)", f"x{ratio:.2f}", ratio <= 1.3, "≤ x1.3"
                )
            )
    deep = _find(records, "cursor_deep", "backroom", 1, "1e6")
    first = _find(records, "list", "backroom", 1, "1e6")
    if deep and first and first.p50_ms:
        ratio = deep.p50_ms / first.p50_ms
        lines.append(
            _target("cursor page 1000 vs page 1 (p50)", f"x{ratio:.2f}", ratio <= 1.3, "≤ x1.3")
        )
    for key in ("me", "list", "get", "create", "mixed"):
        one = _find(records, key, "backroom", 1, "1e3")
        two = _find(records, key, "backroom", 2, "1e3")
        if one and two and one.cpu_ms and two.cpu_ms:
            ratio = two.cpu_ms / one.cpu_ms
            ok = ratio <= 1.1 and two.errors == 0
            lines.append(
                _target(
                    f"{key}: 2 workers vs 1, CPU/req",
                    f"x{ratio:.2f}, {two.errors} errors",
                    ok,
                    "≤ x1.1, 0 errors",
                )
            )
    failing = [r for r in records if r.errors]
    lines.append(
        _target(
            "0 errors in every scenario",
            ", ".join(f"{r.scenario}/{r.target}/w{r.workers}: {r.errors}" for r in failing) or "0",
            not failing,
            "0",
        )
    )
    return lines


def _storm(records: Sequence[RecordLike], *, with_storm: bool) -> RecordLike | None:
    for record in records:
        if record.scenario == "storm_reads" and bool(record.note) == with_storm:
            return record
    return None


class BenchLike(Protocol):
    records: Sequence[RecordLike]
    skipped: dict[str, str]
    notes: Sequence[str]
    profiles: dict[str, list[str]]
    plans: dict[str, list[str]]


def generated(context: dict[str, Any], bench: BenchLike) -> list[str]:
    records, skipped, notes = bench.records, bench.skipped, bench.notes
    v = context["versions"]
    load_start = ", ".join(f"{x:.2f}" for x in context["started_load"])
    load_end = ", ".join(f"{x:.2f}" for x in context.get("finished_load", ()))
    lines = [
        START,
        f"Generated {context['date']} by `{context['command']}` "
        f"in {context.get('elapsed_s', 0):.0f} s.",
        "",
        f"- Machine: {context['cores']} cores ({context['cpu']}), {context['memory_gib']} GiB; "
        f"load average {load_start} at start, {load_end} at the end. wrk, PostgreSQL and the "
        "server share these cores.",
        f"- Versions: Python {v['python']}, FastAPI {v['fastapi']}, Starlette {v['starlette']}, "
        f"Pydantic {v['pydantic']}, SQLAlchemy {v['sqlalchemy']}, asyncpg {v['asyncpg']}, "
        f"uvicorn {v['uvicorn']} (uvloop {v['uvloop']}, httptools {v['httptools']}), "
        f"PyJWT {v['pyjwt']}, argon2-cffi {v['argon2-cffi']}, PostgreSQL {v['postgresql']}, "
        f"wrk {v['wrk']}.",
        "",
        "Each row is the median of its runs (rps, p50, p99 and CPU separately); errors are "
        "summed over the runs (non-2xx responses + socket errors). *vs reference*: the "
        "reference server's CPU per request as a share of ours (100 % = as cheap as raw "
        "Starlette + asyncpg), our rps as a share of its rps, and our p99 over its p99.",
        "",
        *results_table(records),
        "",
        "### Targets",
        "",
        *targets_table(records),
    ]
    if skipped:
        lines += ["", "### Not run", ""]
        lines += [f"- `{key}`: {reason}" for key, reason in sorted(skipped.items())]
    if notes:
        lines += ["", *[f"- {note}" for note in notes]]
    lines += _profiles(bench.profiles) + _plans(bench.plans)
    lines.append(END)
    return lines


def _profiles(profiles: dict[str, list[str]]) -> list[str]:
    """Self time by package for each profiled scenario (full summaries in bench/results/)."""
    if not profiles:
        return []
    lines = ["", "### Profiles (py-spy, CPU samples of the worker)", ""]
    for title, summary in profiles.items():
        lines += [f"<details><summary>{title}</summary>", "", "```", *summary, "```", "</details>"]
    return lines


def _plans(plans: dict[str, list[str]]) -> list[str]:
    if not plans:
        return []
    lines = ["", "### Query plans (auto_explain, 10^6 tasks, 10^5 for the owner)", ""]
    for path, blocks in plans.items():
        lines += [f"<details><summary><code>GET {path[:90]}</code></summary>", "", "```"]
        lines += blocks or ["(no statement logged)"]
        lines += ["```", "</details>"]
    return lines


def write(path: Path, context: dict[str, Any], bench: BenchLike, *, smoke: bool) -> None:
    block = "\n".join(generated(context, bench))
    if path.exists() and START in (text := path.read_text()) and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        path.write_text(before + block + after)
        return
    title = "# Benchmark smoke" if smoke else "# Benchmarks"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{title}\n\n## Results\n\n{block}\n")
