"""Sessions over HTTP: one per business day, the cross-midnight rule in each store's time
zone (daylight-saving nights included), concurrent starts, and reopening."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role
from backroom.core.clock import FixedClock
from backroom.core.config import Settings
from tests.factories import auth_headers, make_user
from tests.tools.milk_count.factories import (
    BASE,
    active_types,
    audit_events,
    make_milk_store,
    save,
    start,
    valid_body,
    walk_to,
)


def local(zone: str, *parts: int) -> dt.datetime:
    """A wall-clock time in `zone`, as the aware instant a clock is set to."""
    return dt.datetime(*parts, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


async def _today(client: httpx.AsyncClient, headers: dict[str, str]) -> Any:
    response = await client.get(f"{BASE}/sessions/today", headers=headers)
    assert response.status_code == 200
    return response.json()["session"]


async def _staff_of(session: AsyncSession, settings: Settings, timezone: str) -> dict[str, str]:
    store = await make_milk_store(session, timezone=timezone)
    return auth_headers(settings, await make_user(session, role=Role.STAFF, store=store))


# --- One session per business day --------------------------------------------------------------


async def test_two_concurrent_starts_make_one_session_201_and_409_with_it(
    client: httpx.AsyncClient, app: FastAPI, clock: FixedClock, as_staff: dict[str, str]
) -> None:
    responses = await asyncio.gather(
        client.post(f"{BASE}/sessions/start", headers=as_staff),
        client.post(f"{BASE}/sessions/start", headers=as_staff),
    )

    assert sorted(r.status_code for r in responses) == [201, 409]
    created = next(r for r in responses if r.status_code == 201).json()["session"]
    refused = next(r for r in responses if r.status_code == 409).json()
    assert refused["code"] == "milk_session_exists"
    assert refused["error"] == "A milk count session already exists for this business day"
    assert refused["session"] == created
    history = (await client.get(f"{BASE}/history", headers=as_staff)).json()
    assert [s["id"] for s in history["sessions"]] == [created["id"]]
    assert len(await audit_events(app, "milk_count.session.started")) == 1
    entries = (await client.get(f"{BASE}/sessions/{created['id']}", headers=as_staff)).json()
    assert len(entries["entries"]) == 9


async def test_a_finished_count_still_blocks_a_second_start_that_day(
    client: httpx.AsyncClient, clock: FixedClock, as_staff: dict[str, str]
) -> None:
    clock.at(local("America/Los_Angeles", 2026, 11, 25, 7, 0))
    types = await active_types(client, as_staff)
    session = await start(client, as_staff)
    await walk_to(client, as_staff, session["id"], "completed", types)
    clock.advance(dt.timedelta(hours=12))  # 19:00 the same day

    response = await client.post(f"{BASE}/sessions/start", headers=as_staff)

    assert response.status_code == 409
    assert response.json()["session"]["id"] == session["id"]
    assert response.json()["session"]["status"] == "completed"
    assert (await _today(client, as_staff))["id"] == session["id"]


# --- The cross-midnight rule ------------------------------------------------------------------


NIGHTS = [
    # (zone, evening start, next morning): an ordinary night, and both daylight-saving changes.
    pytest.param("America/Los_Angeles", (2026, 11, 25, 22), (2026, 11, 26, 6), id="los-angeles"),
    pytest.param("America/New_York", (2026, 10, 31, 22), (2026, 11, 1, 6), id="new-york-dst-ends"),
    pytest.param("Europe/Berlin", (2026, 3, 28, 22), (2026, 3, 29, 6), id="berlin-dst-starts"),
    pytest.param("Asia/Tokyo", (2026, 11, 25, 22), (2026, 11, 26, 6), id="tokyo"),
]


@pytest.mark.parametrize(("zone", "evening", "morning"), NIGHTS)
async def test_a_night_count_at_22_is_finished_at_06_the_next_day_in_the_same_session(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    zone: str,
    evening: tuple[int, ...],
    morning: tuple[int, ...],
) -> None:
    headers = await _staff_of(session, settings, zone)
    types = await active_types(client, headers)
    clock.at(local(zone, *evening))
    started = await start(client, headers)
    assert started["date"] == dt.date(*evening[:3]).isoformat()
    await walk_to(client, headers, started["id"], "morning", types)

    clock.at(local(zone, *morning))
    assert (await _today(client, headers))["id"] == started["id"]
    again = await client.post(f"{BASE}/sessions/start", headers=headers)
    assert again.status_code == 409
    assert again.json()["session"]["id"] == started["id"]
    saved = await save(client, headers, started["id"], "morning", valid_body("morning", types))
    assert saved.status_code == 200
    assert saved.json()["session"]["date"] == started["date"]
    assert saved.json()["session"]["morning_saved_at"] == (
        local(zone, *morning).astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    )


async def test_two_stores_in_different_zones_have_different_business_days_at_one_instant(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    los_angeles = await _staff_of(session, settings, "America/Los_Angeles")
    tokyo = await _staff_of(session, settings, "Asia/Tokyo")
    clock.at(dt.datetime(2026, 11, 26, 6, 0, tzinfo=dt.UTC))  # 22:00 in LA, 15:00 in Tokyo

    assert (await start(client, los_angeles))["date"] == "2026-11-25"
    assert (await start(client, tokyo))["date"] == "2026-11-26"

    clock.advance(dt.timedelta(hours=8))  # 06:00 in LA; 23:00 in Tokyo, the same day
    assert (await _today(client, los_angeles))["date"] == "2026-11-25"
    assert (await _today(client, tokyo))["date"] == "2026-11-26"


async def test_an_unfinished_count_stops_being_today_after_20_hours(
    client: httpx.AsyncClient, clock: FixedClock, as_staff: dict[str, str]
) -> None:
    started = await start(client, as_staff)  # 22:00 on the 25th in Los Angeles
    clock.advance(dt.timedelta(hours=20))  # 18:00 on the 26th: still inside the window
    assert (await _today(client, as_staff))["id"] == started["id"]

    clock.advance(dt.timedelta(seconds=1))
    assert await _today(client, as_staff) is None
    fresh = await start(client, as_staff)
    assert fresh["date"] == "2026-11-26"
    assert fresh["id"] != started["id"]
    history = (await client.get(f"{BASE}/history", headers=as_staff)).json()
    assert [(s["date"], s["status"]) for s in history["sessions"]] == [
        ("2026-11-26", "night_foh"),
        ("2026-11-25", "night_foh"),
    ]


async def test_a_completed_count_is_today_only_on_its_own_date(
    client: httpx.AsyncClient, clock: FixedClock, as_staff: dict[str, str]
) -> None:
    types = await active_types(client, as_staff)
    clock.at(local("America/Los_Angeles", 2026, 11, 25, 18, 0))
    started = await start(client, as_staff)
    await walk_to(client, as_staff, started["id"], "completed", types)
    clock.at(local("America/Los_Angeles", 2026, 11, 25, 23, 59))
    assert (await _today(client, as_staff))["status"] == "completed"
    clock.at(local("America/Los_Angeles", 2026, 11, 26, 0, 1))
    assert await _today(client, as_staff) is None
