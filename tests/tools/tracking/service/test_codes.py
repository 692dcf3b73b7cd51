"""The code generator: free codes under concurrency, least recently used first, full stores."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Store
from backroom.core.audit import AuditEvent
from backroom.tools.tracking.models import TrackingHistory, TrackingItem
from tests.tools.tracking.factories import count_rows, fill_codes

ITEMS = "/api/tracking/items"
LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


async def _active_codes(session: AsyncSession, store: Store) -> list[str]:
    statement = select(TrackingItem.code).where(
        TrackingItem.store_id == store.id, TrackingItem.is_removed.is_(False)
    )
    codes = list((await session.execute(statement)).scalars())
    await session.commit()
    return codes


async def _add(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> httpx.Response:
    return await client.post(
        ITEMS, json={"name": "Vanilla Syrup", "category": "syrups", **body}, headers=headers
    )


# --- Unhappy paths first ------------------------------------------------------------------


async def test_a_full_store_is_409_code_space_exhausted(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    await fill_codes(session, store, range(10_000))
    without = await _add(client, as_staff)
    assert without.status_code == 409
    assert without.json()["code"] == "code_space_exhausted"
    assert isinstance(without.json()["error"], str)
    explicit = await _add(client, as_staff, code="0000")
    assert explicit.status_code == 409
    assert explicit.json()["code"] == "code_in_use"
    assert await count_rows(session, TrackingHistory, store_id=store.id) == 0

    assert (await client.delete(f"{ITEMS}/4321", headers=as_staff)).status_code == 200
    freed = await _add(client, as_staff)
    assert freed.status_code == 201
    assert freed.json()["item"]["code"] == "4321"


async def test_twenty_concurrent_creates_with_one_code_let_exactly_one_through(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    responses = await asyncio.gather(
        *(_add(client, as_staff, code="2468", name=f"Syrup {n:02d}") for n in range(20))
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 19
    refused = [response.json() for response in responses if response.status_code == 409]
    assert {problem["code"] for problem in refused} == {"code_in_use"}
    (winner,) = [response.json()["item"] for response in responses if response.status_code == 201]
    assert await _active_codes(session, store) == ["2468"]
    assert await count_rows(session, TrackingItem, store_id=store.id) == 1
    assert await count_rows(session, TrackingHistory, store_id=store.id) == 1
    assert await count_rows(session, AuditEvent, store_id=store.id) == 1
    fetched = await client.get(f"{ITEMS}/2468", headers=as_staff)
    assert fetched.json()["item"]["name"] == winner["name"]


# --- Picking codes ----------------------------------------------------------------------------


async def test_fifty_concurrent_creates_without_a_code_get_fifty_distinct_codes(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    responses = await asyncio.gather(*(_add(client, as_staff, name=f"Box {n}") for n in range(50)))
    assert [response.status_code for response in responses] == [201] * 50
    codes = [response.json()["item"]["code"] for response in responses]
    assert len(set(codes)) == 50
    assert sorted(await _active_codes(session, store)) == sorted(codes)
    assert await count_rows(session, TrackingHistory, store_id=store.id) == 50
    assert await count_rows(session, AuditEvent, store_id=store.id) == 50


async def test_a_nearly_full_store_gets_the_lowest_free_codes_in_order(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    await fill_codes(session, store, (n for n in range(10_000) if n not in {0, 17, 9999}))
    codes = [(await _add(client, as_staff)).json()["item"]["code"] for _ in range(3)]
    assert codes == ["0000", "0017", "9999"]
    assert (await _add(client, as_staff)).json()["code"] == "code_space_exhausted"


@contextmanager
def item_selects(app: FastAPI) -> Iterator[list[str]]:
    """The SELECTs of `tracking_item` run while the block runs."""
    seen: list[str] = []
    engine = app.state.db.engine.sync_engine

    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "tracking_item" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", watch)


async def test_a_nearly_full_store_picks_its_lowest_free_code_in_one_query(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    as_staff: dict[str, str],
) -> None:
    await fill_codes(session, store, [*range(4_242), *range(4_243, 9_500)])
    with item_selects(app) as selects:
        first = await _add(client, as_staff)
    second = await _add(client, as_staff)
    assert first.status_code == 201
    assert first.json()["item"]["code"] == "4242"
    assert len(selects) == 1  # the count of active codes and the first gap, together
    assert second.json()["item"]["code"] == "9500"


async def test_never_used_codes_come_before_freed_ones(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    await fill_codes(session, store, range(5_000))
    await fill_codes(session, store, range(5_000, 7_500), removed_at=LONG_AGO)
    responses = [await _add(client, as_staff) for _ in range(20)]
    codes = [int(response.json()["item"]["code"]) for response in responses]
    assert all(7_500 <= code < 10_000 for code in codes), codes


async def test_codes_freed_long_ago_come_before_codes_freed_recently(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    recently = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    await fill_codes(session, store, range(5_000))
    await fill_codes(session, store, range(5_000, 7_500), removed_at=LONG_AGO)
    await fill_codes(session, store, range(7_500, 10_000), removed_at=recently)
    responses = [await _add(client, as_staff) for _ in range(20)]
    codes = [int(response.json()["item"]["code"]) for response in responses]
    assert all(5_000 <= code < 7_500 for code in codes), codes
