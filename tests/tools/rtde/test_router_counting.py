"""Counting, the session view, the pull list and completion over HTTP."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Store, User
from backroom.core.audit import AuditEvent
from backroom.core.clock import FixedClock
from tests.tools.rtde.factories import SESSIONS, count, make_item, make_items, start, tick

# --- The session view, counting and the pull list ------------------------------------------


async def test_the_session_pins_the_items_active_when_it_started(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    other_store: Store,
    as_admin: dict[str, str],
    as_staff: dict[str, str],
) -> None:
    kept, dropped, _inactive = await make_items(
        session,
        store,
        {"name": "Kept", "par_level": 4},
        {"name": "Dropped later", "par_level": 7, "brand": "B", "icon": "🥤"},
        {"name": "Inactive", "active": False},
    )
    await make_item(session, other_store, name="Elsewhere")
    url = f"{SESSIONS}/{await start(client, as_staff)}"
    await client.delete(f"/api/rtde/admin/items/{dropped.id}", headers=as_admin)
    await client.post(
        "/api/rtde/admin/items", json={"name": "Created later", "par_level": 2}, headers=as_admin
    )
    view = (await client.get(url, headers=as_staff)).json()
    assert [line["name"] for line in view["items"]] == ["Kept", "Dropped later"]
    assert view["items"][1] == {
        "item_id": str(dropped.id),
        "name": "Dropped later",
        "brand": "B",
        "image_filename": None,
        "icon": "🥤",
        "par_level": 7,
        "display_order": 2,
        "counted_quantity": None,
        "need_quantity": 7,
        "is_pulled": False,
    }
    # The deactivated item can still be counted in this session...
    counted = await client.put(f"{url}/count", json=count(dropped.id, 1), headers=as_staff)
    assert counted.status_code == 200
    # ...and a new session leaves it and keeps the newer item.
    fresh = (
        await client.get(f"{SESSIONS}/{await start(client, as_staff)}", headers=as_staff)
    ).json()
    assert [line["name"] for line in fresh["items"]] == ["Kept", "Created later"]
    assert kept.id != dropped.id


@pytest.mark.parametrize(
    ("par", "counted", "need"), [(6, 0, 6), (6, 2, 4), (6, 6, 0), (6, 9, 0), (1, 999, 0)]
)
async def test_need_is_par_minus_count_never_below_zero(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    as_staff: dict[str, str],
    par: int,
    counted: int,
    need: int,
) -> None:
    item = await make_item(session, store, par_level=par)
    url = f"{SESSIONS}/{await start(client, as_staff)}"
    response = await client.put(f"{url}/count", json=count(item.id, counted), headers=as_staff)
    assert response.status_code == 200
    assert response.json() == {
        "message": "Count saved",
        "counted_quantity": counted,
        "need_quantity": need,
    }
    (line,) = (await client.get(url, headers=as_staff)).json()["items"]
    assert (line["counted_quantity"], line["need_quantity"]) == (counted, need)


async def test_counting_is_idempotent_and_the_last_count_wins(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    item = await make_item(session, store, par_level=8)
    url = f"{SESSIONS}/{await start(client, as_staff)}"
    first = await client.put(f"{url}/count", json=count(item.id, 3), headers=as_staff)
    again = await client.put(f"{url}/count", json=count(item.id, 3), headers=as_staff)
    assert first.json() == again.json()
    await client.put(f"{url}/count", json=count(item.id, 5), headers=as_staff)
    view = (await client.get(url, headers=as_staff)).json()
    assert [(line["counted_quantity"], line["need_quantity"]) for line in view["items"]] == [(5, 3)]
    active = (await client.get(f"{SESSIONS}/active", headers=as_staff)).json()["session"]
    assert (active["items_counted"], active["total_items"]) == (1, 1)


async def test_pull_list_leaves_out_uncounted_items_unless_asked(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    short, full, uncounted, zero = await make_items(
        session,
        store,
        {"name": "Short", "par_level": 6, "image_filename": "short.png"},
        {"name": "Full", "par_level": 3},
        {"name": "Uncounted", "par_level": 4},
        {"name": "Zero", "par_level": 2},
    )
    url = f"{SESSIONS}/{await start(client, as_staff)}"
    for item, quantity in ((short, 1), (full, 3), (zero, 0)):
        await client.put(f"{url}/count", json=count(item.id, quantity), headers=as_staff)
    await client.put(f"{url}/pull", json=tick(zero.id), headers=as_staff)

    counted_only = (await client.get(f"{url}/pull-list", headers=as_staff)).json()
    assert counted_only == {
        "pull_list": [
            {
                "item_id": str(short.id),
                "name": "Short",
                "brand": None,
                "image_filename": "short.png",
                "icon": None,
                "need_quantity": 5,
                "is_pulled": False,
            },
            {
                "item_id": str(zero.id),
                "name": "Zero",
                "brand": None,
                "image_filename": None,
                "icon": None,
                "need_quantity": 2,
                "is_pulled": True,
            },
        ],
        "total_items": 2,
        "items_pulled": 1,
    }
    every = (
        await client.get(f"{url}/pull-list", params={"include_uncounted": "true"}, headers=as_staff)
    ).json()
    assert [(line["name"], line["need_quantity"]) for line in every["pull_list"]] == [
        ("Short", 5),
        ("Uncounted", 4),
        ("Zero", 2),
    ]
    assert (every["total_items"], every["items_pulled"]) == (3, 1)
    assert uncounted.par_level == 4


async def test_pull_ticks_and_unticks(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    item = await make_item(session, store, par_level=5)
    url = f"{SESSIONS}/{await start(client, as_staff)}"
    await client.put(f"{url}/count", json=count(item.id, 1), headers=as_staff)
    ticked = await client.put(f"{url}/pull", json=tick(item.id), headers=as_staff)
    assert ticked.status_code == 200
    assert ticked.json() == {"message": "Item marked as pulled"}
    assert (await client.get(f"{url}/pull-list", headers=as_staff)).json()["items_pulled"] == 1
    await client.put(f"{url}/pull", json=tick(item.id, pulled=False), headers=as_staff)
    assert (await client.get(f"{url}/pull-list", headers=as_staff)).json()["items_pulled"] == 0
    bad = await client.put(
        f"{url}/pull", json={"item_id": str(item.id), "is_pulled": "yes"}, headers=as_staff
    )
    assert bad.status_code == 422


# --- Completion and the dashboard --------------------------------------------------------


async def test_completion_keeps_the_session_and_is_audited(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    staff: User,
    clock: FixedClock,
    as_staff: dict[str, str],
    as_coworker: dict[str, str],
) -> None:
    never = await client.get(f"{SESSIONS}/last-completed", headers=as_coworker)
    assert never.json() == {"last_completed_at": None, "user_name": None}
    first, second = await make_items(session, store, {"par_level": 4}, {"par_level": 4})
    session_id = await start(client, as_staff)
    url = f"{SESSIONS}/{session_id}"
    await client.put(f"{url}/count", json=count(first.id, 1), headers=as_staff)
    await client.put(f"{url}/pull", json=tick(first.id), headers=as_staff)
    clock.advance(dt.timedelta(minutes=12))
    response = await client.post(f"{url}/complete", headers=as_staff)
    assert response.status_code == 200
    assert response.json() == {"message": "Session completed"}

    view = (await client.get(url, headers=as_staff)).json()
    assert view["session"] == {
        "id": session_id,
        "user_id": str(staff.id),
        "status": "completed",
        "started_at": "2026-11-27T09:00:00Z",
        "expires_at": "2026-11-27T09:30:00Z",
        "completed_at": "2026-11-27T09:12:00Z",
    }
    assert [line["counted_quantity"] for line in view["items"]] == [1, None]
    # Long after it would have expired, a completed session still reads as completed.
    clock.advance(dt.timedelta(days=1))
    later = (await client.get(url, headers=as_staff)).json()
    assert later["session"]["status"] == "completed"
    assert (await client.get(f"{SESSIONS}/active", headers=as_staff)).json() == {"session": None}
    last = await client.get(f"{SESSIONS}/last-completed", headers=as_coworker)
    assert last.json() == {"last_completed_at": "2026-11-27T09:12:00Z", "user_name": staff.name}

    events = (await session.execute(select(AuditEvent).order_by(AuditEvent.at))).scalars().all()
    assert [event.action for event in events] == [
        "rtde.session.started",
        "rtde.count.saved",
        "rtde.count.pulled",
        "rtde.session.completed",
    ]
    counted, pulled, done = events[1:]
    for line in (counted, pulled):
        assert (line.target_type, line.target_id, line.target_label) == (
            "rtde_session",
            session_id,
            first.name,
        )
    assert counted.details == {"item_id": str(first.id), "name": first.name, "counted_quantity": 1}
    assert pulled.details == {"item_id": str(first.id), "name": first.name, "is_pulled": True}
    assert (done.store_id, done.actor_id, done.target_type, done.target_id) == (
        store.id,
        staff.id,
        "rtde_session",
        session_id,
    )
    assert done.target_label is None
    assert done.details == {
        "activity_type": "rtde_completed",
        "items_counted": 1,
        "items_pulled": 1,
    }
    assert events[0].details == {"expires_at": "2026-11-27T09:30:00Z"}
    assert second.par_level == 4


async def test_another_stores_completions_are_invisible(
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    as_staff: dict[str, str],
    as_outsider: dict[str, str],
) -> None:
    await make_item(session, store)
    url = f"{SESSIONS}/{await start(client, as_staff)}"
    await client.post(f"{url}/complete", headers=as_staff)
    elsewhere = await client.get(f"{SESSIONS}/last-completed", headers=as_outsider)
    assert elsewhere.json() == {"last_completed_at": None, "user_name": None}
    assert (await client.get(f"{SESSIONS}/active", headers=as_outsider)).json() == {"session": None}


async def test_a_whole_number_written_as_a_float_is_an_integer(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    item = await make_item(session, store, par_level=6)
    url = f"{SESSIONS}/{await start(client, as_staff)}"
    response = await client.put(f"{url}/count", json=count(item.id, 2.0), headers=as_staff)
    assert response.status_code == 200
    assert response.json() == {"message": "Count saved", "counted_quantity": 2, "need_quantity": 4}
    assert '"counted_quantity":2,' in response.text
