"""`GET /api/audit/export`: the store's trail as CSV, streamed."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import tracemalloc
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Message

from backroom.core.audit import AuditAction, AuditEvent
from backroom.core.clock import FixedClock
from tests.tools.activity.conftest import Crew, Member, tracking_added, write_event

BASE = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
HEADER = [
    "id",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "details",
    "request_id",
    "ip",
]


async def _export(client: httpx.AsyncClient, member: Member, **params: Any) -> httpx.Response:
    return await client.get("/api/audit/export", params=params, headers=member.headers)


def _rows(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text)))


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/audit/export")).status_code == 401


async def test_staff_and_users_are_403(
    client: httpx.AsyncClient, crew_a: Crew, plain_user: Member
) -> None:
    for member in (crew_a.staff, plain_user):
        response = await _export(client, member)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"


async def test_bad_filters_are_422_before_anything_is_sent(
    client: httpx.AsyncClient, crew_a: Crew
) -> None:
    response = await _export(client, crew_a.admin, since="2026-11-21", until="2026-11-20")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_time_range"


async def test_export_holds_only_the_admins_store_newest_first(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, crew_a: Crew, crew_b: Crew
) -> None:
    app.state.clock = FixedClock(dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC))
    await tracking_added(session, crew_b, "Hazelnut Syrup", "0007", at=BASE)
    first = await tracking_added(session, crew_a, "Vanilla Syrup", "0042", at=BASE)
    second = await tracking_added(
        session, crew_a, "Mocha Sauce", "0100", category="sauces", at=BASE + dt.timedelta(hours=1)
    )

    response = await _export(client, crew_a.admin)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="audit-store-a-2026-11-27.csv"'
    )
    rows = _rows(response)
    assert rows[0] == HEADER
    assert rows[1:] == [
        [
            str(event.id),
            event.at.isoformat().replace("+00:00", "Z"),
            str(crew_a.staff.user.id),
            "StaffA Hand",
            "tracking.item.added",
            "tracking_item",
            str(event.target_id),
            event.target_label,
            json.dumps(event.details, sort_keys=True, separators=(",", ":")),
            "",
            "",
        ]
        for event in (second, first)
    ]


async def test_export_takes_the_search_filters(
    client: httpx.AsyncClient, session: AsyncSession, crew_a: Crew
) -> None:
    vanilla = await tracking_added(session, crew_a, "Vanilla Syrup", "0042")
    await tracking_added(session, crew_a, "Mocha Sauce", "0100")
    await write_event(
        session,
        AuditAction.MILK_PAR_UPDATED,
        store=crew_a.store,
        actor=crew_a.admin.actor,
        target_type="milk_par_level",
        target_label="Vanilla Oat",
        details={"milk_type_name": "Vanilla Oat", "old": 1, "new": 2},
    )
    rows = _rows(await _export(client, crew_a.admin, q="vani", action="tracking."))
    assert [row[0] for row in rows[1:]] == [str(vanilla.id)]
    empty = _rows(await _export(client, crew_a.admin, q="nothing"))
    assert empty == [HEADER]


async def test_cells_that_a_spreadsheet_would_run_are_neutralised(
    client: httpx.AsyncClient, session: AsyncSession, crew_a: Crew
) -> None:
    dangerous = ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tTab", "\rReturn"]
    for label in dangerous:
        await write_event(
            session,
            AuditAction.TRACKING_ITEM_ADDED,
            store=crew_a.store,
            actor=crew_a.staff.actor,
            target_type="tracking_item",
            target_id=label,
            target_label=label,
            details={"name": label},
            at=BASE,
        )
    rows = _rows(await _export(client, crew_a.admin))[1:]
    assert sorted(row[7] for row in rows) == sorted("'" + label for label in dangerous)
    assert sorted(row[6] for row in rows) == sorted("'" + label for label in dangerous)
    # Harmless text is left alone, and JSON starts with a brace.
    assert {row[3] for row in rows} == {"StaffA Hand"}
    assert all(row[8].startswith('{"name":') for row in rows)


async def _bulk_events(session: AsyncSession, crew: Crew, count: int) -> None:
    rows = [
        {
            "id": uuid.uuid4(),
            "at": BASE + dt.timedelta(seconds=n),
            "action": AuditAction.TRACKING_ITEM_ADDED.value,
            "actor_id": crew.staff.user.id,
            "actor_name": "StaffA Hand",
            "store_id": crew.store.id,
            "target_type": "tracking_item",
            "target_id": str(n),
            "target_label": f"Item {n}",
            "details": {"code": f"{n % 10000:04d}", "category": "other", "name": f"Item {n}"},
        }
        for n in range(count)
    ]
    await session.execute(insert(AuditEvent), rows)
    await session.commit()


def _request(path: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")]
        + [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 4321),
        "server": ("testserver", 80),
    }


# 10^5 rows make about 12 MB of CSV; Python objects for all of them at once would take
# several times that. The export must hold a batch of rows, never the whole trail.
LARGE_EXPORT = 100_000
EXPORT_MEMORY_BOUND = 16 * 1024 * 1024


@pytest.mark.slow
async def test_a_large_export_streams_in_bounded_memory_and_writers_go_on_meanwhile(
    app: FastAPI, session: AsyncSession, crew_a: Crew
) -> None:
    """Driven at the ASGI level, to see each chunk as the server sends it.

    The chunks are counted as they come and dropped, so the traced peak is the server's.
    """
    await _bulk_events(session, crew_a, LARGE_EXPORT)
    first_chunk, tail = b"", b""
    rows_seen = chunks_seen = 0
    written_while_streaming: list[AuditEvent] = []
    meanwhile_exported: list[bool] = []
    received = False

    async def receive() -> Message:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        nonlocal first_chunk, tail, rows_seen, chunks_seen
        if message["type"] == "http.response.start":
            assert message["status"] == 200
        if message["type"] != "http.response.body":
            return
        body: bytes = message.get("body", b"")
        if not body:
            return
        chunks_seen += 1
        rows_seen += body.count(b"\r\n")
        meanwhile_exported.append(b"Written meanwhile" in (tail + body))
        tail = (tail + body)[-200:]
        if chunks_seen == 1:
            first_chunk = body
            # The first bytes are out while the cursor is still open: a write now must
            # neither wait for the export nor appear in it.
            assert message.get("more_body") is True
            written_while_streaming.append(
                await tracking_added(session, crew_a, "Written meanwhile", "7777")
            )

    tracemalloc.start()
    try:
        await asyncio.wait_for(
            app(_request("/api/audit/export", crew_a.admin.headers), receive, send), timeout=120
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    first_rows = list(csv.reader(io.StringIO(first_chunk.decode())))
    assert first_rows[0] == HEADER
    assert first_rows[1][7] == f"Item {LARGE_EXPORT - 1}"  # newest first
    assert 0 < len(first_rows) - 1 < LARGE_EXPORT // 100
    assert tail.decode().splitlines()[-1].split(",")[7] == "Item 0"
    assert rows_seen == LARGE_EXPORT + 1  # the header, then every event once
    assert chunks_seen > 100
    assert peak < EXPORT_MEMORY_BOUND, f"peak {peak / 2**20:.1f} MiB while streaming"
    [meanwhile] = written_while_streaming
    assert meanwhile.target_label == "Written meanwhile"
    assert not any(meanwhile_exported)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Café Nord #2", "audit-caf-nord-2-"), ("☕☕", "audit-{id}-")],
)
async def test_the_file_name_names_the_store(
    *,
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    crew_a: Crew,
    name: str,
    expected: str,
) -> None:
    app.state.clock = FixedClock(dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC))
    crew_a.store.name = name
    await session.commit()
    response = await _export(client, crew_a.admin)
    prefix = expected.format(id=crew_a.store.id)
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{prefix}2026-01-02.csv"'
    )
