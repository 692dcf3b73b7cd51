"""The count-session routes over HTTP: ownership, expiry, counting, pull list, completion."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Store, User
from backroom.core.audit import AuditEvent
from backroom.core.clock import FixedClock
from backroom.core.config import Settings
from backroom.tools.rtde.models import RTDESession
from tests.factories import auth_headers, make_user
from tests.tools.rtde.factories import make_item, make_items

SESSIONS = "/api/rtde/sessions"
NIL = "00000000-0000-0000-0000-000000000000"

SESSION_NOT_FOUND = {
    "type": "https://backroom.dev/problems/rtde_session_not_found",
    "title": "Not Found",
    "status": 404,
    "detail": "Session not found",
    "error": "Session not found",
    "code": "rtde_session_not_found",
}


async def start(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> str:
    response = await client.post(f"{SESSIONS}/start", json=body or None, headers=headers)
    assert response.status_code in {200, 201}, response.text
    session_id: str = response.json()["session_id"]
    return session_id


def count(item_id: object, quantity: object) -> dict[str, Any]:
    return {"item_id": str(item_id), "counted_quantity": quantity}


def tick(item_id: object, pulled: bool = True) -> dict[str, Any]:
    return {"item_id": str(item_id), "is_pulled": pulled}


async def session_rows(session: AsyncSession, user: User) -> list[RTDESession]:
    statement = select(RTDESession).where(RTDESession.user_id == user.id)
    rows = (await session.execute(statement)).scalars().all()
    await session.commit()
    return list(rows)


# --- Unhappy paths first ------------------------------------------------------------------

SESSION_ROUTES = [
    ("GET", f"{SESSIONS}/active"),
    ("GET", f"{SESSIONS}/last-completed"),
    ("POST", f"{SESSIONS}/start"),
    ("GET", f"{SESSIONS}/{NIL}"),
    ("PUT", f"{SESSIONS}/{NIL}/count"),
    ("GET", f"{SESSIONS}/{NIL}/pull-list"),
    ("PUT", f"{SESSIONS}/{NIL}/pull"),
    ("POST", f"{SESSIONS}/{NIL}/complete"),
]


@pytest.mark.parametrize(("method", "path"), SESSION_ROUTES)
async def test_session_routes_need_a_token_and_a_store_role(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    method: str,
    path: str,
) -> None:
    anonymous = await client.request(method, path, json={})
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    plain = auth_headers(settings, await make_user(session))
    forbidden = await client.request(method, path, json={}, headers=plain)
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "insufficient_role"


async def test_another_users_session_is_404_everywhere_even_for_an_admin(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    staff: User,
    as_staff: dict[str, str],
    as_coworker: dict[str, str],
    as_admin: dict[str, str],
    as_outsider: dict[str, str],
) -> None:
    item = await make_item(session, store)
    session_id = await start(client, as_staff)
    url = f"{SESSIONS}/{session_id}"
    for headers in (as_coworker, as_admin, as_outsider):
        attempts = [
            await client.get(url, headers=headers),
            await client.put(f"{url}/count", json=count(item.id, 3), headers=headers),
            await client.get(f"{url}/pull-list", headers=headers),
            await client.put(f"{url}/pull", json=tick(item.id), headers=headers),
            await client.post(f"{url}/complete", headers=headers),
        ]
        for response in attempts:
            assert response.status_code == 404, response.request.url
            assert response.json() == SESSION_NOT_FOUND
        # Nor do they see it as their own open session.
        active = await client.get(f"{SESSIONS}/active", headers=headers)
        assert active.json() == {"session": None}
    # The owner's session is untouched by all of that.
    view = (await client.get(url, headers=as_staff)).json()
    assert view["session"]["status"] == "in_progress"
    assert [line["counted_quantity"] for line in view["items"]] == [None]
    assert [line["is_pulled"] for line in view["items"]] == [False]
    assert [row.status for row in await session_rows(session, staff)] == ["in_progress"]


@pytest.mark.parametrize("session_id", [NIL, "not-a-uuid", "active-ish", "12"])
async def test_unknown_or_malformed_session_id_is_the_same_404(
    client: httpx.AsyncClient, as_staff: dict[str, str], session_id: str
) -> None:
    url = f"{SESSIONS}/{session_id}"
    for response in (
        await client.get(url, headers=as_staff),
        await client.put(f"{url}/count", json=count(NIL, 1), headers=as_staff),
        await client.get(f"{url}/pull-list", headers=as_staff),
        await client.put(f"{url}/pull", json=tick(NIL), headers=as_staff),
        await client.post(f"{url}/complete", headers=as_staff),
    ):
        assert response.status_code == 404
        assert response.json() == SESSION_NOT_FOUND


async def test_an_expired_session_refuses_count_pull_and_complete_with_409(
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    clock: FixedClock,
    as_staff: dict[str, str],
) -> None:
    item = await make_item(session, store, par_level=5)
    session_id = await start(client, as_staff)
    url = f"{SESSIONS}/{session_id}"
    clock.advance(dt.timedelta(minutes=29, seconds=59))
    assert (await client.put(f"{url}/count", json=count(item.id, 2), headers=as_staff)).is_success
    clock.advance(dt.timedelta(seconds=1))  # exactly 30 minutes: expired
    for response in (
        await client.put(f"{url}/count", json=count(item.id, 4), headers=as_staff),
        await client.put(f"{url}/pull", json=tick(item.id), headers=as_staff),
        await client.post(f"{url}/complete", headers=as_staff),
    ):
        assert response.status_code == 409
        assert response.json()["code"] == "session_expired"
    assert (await client.get(f"{SESSIONS}/active", headers=as_staff)).json() == {"session": None}
    view = (await client.get(url, headers=as_staff)).json()
    assert view["session"]["status"] == "expired"
    assert view["session"]["completed_at"] is None
    assert [line["counted_quantity"] for line in view["items"]] == [2]
    assert [line["is_pulled"] for line in view["items"]] == [False]
    resume = await client.post(f"{SESSIONS}/start", json={"action": "resume"}, headers=as_staff)
    assert resume.status_code == 409
    assert resume.json()["code"] == "no_session_to_resume"
    # Starting afresh still works: the stale row no longer blocks a new one.
    assert await start(client, as_staff) != session_id


@pytest.mark.parametrize("settings_overrides", [{"RTDE_SESSION_MINUTES": 5}])
async def test_the_lifetime_follows_the_setting(
    client: httpx.AsyncClient, clock: FixedClock, as_staff: dict[str, str]
) -> None:
    response = await client.post(f"{SESSIONS}/start", headers=as_staff)
    assert response.json()["expires_at"] == "2026-11-27T09:05:00Z"
    clock.advance(dt.timedelta(minutes=5))
    assert (await client.get(f"{SESSIONS}/active", headers=as_staff)).json() == {"session": None}


async def test_resume_without_an_open_session_is_409(
    client: httpx.AsyncClient, as_staff: dict[str, str], as_coworker: dict[str, str]
) -> None:
    await start(client, as_coworker)  # someone else's open session is not yours to resume
    response = await client.post(f"{SESSIONS}/start", json={"action": "resume"}, headers=as_staff)
    assert response.status_code == 409
    assert response.json()["error"] == "You have no open session to resume; start a new one"


@pytest.mark.parametrize(
    "body",
    [{"action": "restart"}, {"action": None}, {"action": 1}, {"action": "new", "x": 1}, []],
)
async def test_start_refuses_a_bad_body_with_422(
    client: httpx.AsyncClient,
    session: AsyncSession,
    staff: User,
    as_staff: dict[str, str],
    body: Any,
) -> None:
    response = await client.post(f"{SESSIONS}/start", json=body, headers=as_staff)
    assert response.status_code == 422
    assert await session_rows(session, staff) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"item_id": "ITEM", "counted_quantity": -1}, "counted_quantity"),
        ({"item_id": "ITEM", "counted_quantity": 1000}, "counted_quantity"),
        ({"item_id": "ITEM", "counted_quantity": "3"}, "counted_quantity"),
        ({"item_id": "ITEM", "counted_quantity": 2.5}, "counted_quantity"),
        ({"item_id": "ITEM", "counted_quantity": True}, "counted_quantity"),
        ({"item_id": "ITEM", "counted_quantity": None}, "counted_quantity"),
        ({"item_id": "ITEM"}, "counted_quantity"),
        ({"counted_quantity": 3}, "item_id"),
        ({"item_id": "nope", "counted_quantity": 3}, "item_id"),
        ({"item_id": "ITEM", "counted_quantity": 3, "note": "x"}, "note"),
    ],
)
async def test_invalid_count_is_422(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    as_staff: dict[str, str],
    body: dict[str, Any],
    field: str,
) -> None:
    item = await make_item(session, store)
    url = f"{SESSIONS}/{await start(client, as_staff)}"
    sent = {key: str(item.id) if value == "ITEM" else value for key, value in body.items()}
    response = await client.put(f"{url}/count", json=sent, headers=as_staff)
    assert response.status_code == 422
    assert field in {error["field"] for error in response.json()["errors"]}
    view = (await client.get(url, headers=as_staff)).json()
    assert [line["counted_quantity"] for line in view["items"]] == [None]


async def test_count_or_pull_of_an_item_outside_the_session_is_404(
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    other_store: Store,
    as_staff: dict[str, str],
) -> None:
    await make_item(session, store)
    foreign = await make_item(session, other_store)
    url = f"{SESSIONS}/{await start(client, as_staff)}"
    later = await make_item(session, store)  # created after the start: not in the session
    for item_id in (foreign.id, later.id, NIL):
        counted = await client.put(f"{url}/count", json=count(item_id, 1), headers=as_staff)
        pulled = await client.put(f"{url}/pull", json=tick(item_id), headers=as_staff)
        for response in (counted, pulled):
            assert response.status_code == 404
            assert response.json()["code"] == "rtde_session_item_not_found"


async def test_a_completed_session_refuses_count_pull_and_complete_with_409(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    item = await make_item(session, store)
    url = f"{SESSIONS}/{await start(client, as_staff)}"
    assert (await client.post(f"{url}/complete", headers=as_staff)).status_code == 200
    for response in (
        await client.put(f"{url}/count", json=count(item.id, 4), headers=as_staff),
        await client.put(f"{url}/pull", json=tick(item.id), headers=as_staff),
        await client.post(f"{url}/complete", headers=as_staff),
    ):
        assert response.status_code == 409
        assert response.json()["code"] == "session_completed"


# --- Starting and resuming -----------------------------------------------------------------


@pytest.mark.parametrize("how", ["no body", "empty body", "empty object", "explicit"])
async def test_start_new_answers_201_with_the_id_and_expiry(
    client: httpx.AsyncClient, clock: FixedClock, as_staff: dict[str, str], how: str
) -> None:
    post: dict[str, Any] = {
        "no body": {},
        "empty body": {"content": b"", "headers": {"Content-Type": "application/json"}},
        "empty object": {"json": {}},
        "explicit": {"json": {"action": "new"}},
    }[how]
    headers = {**as_staff, **post.pop("headers", {})}
    response = await client.post(f"{SESSIONS}/start", headers=headers, **post)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"session_id", "expires_at"}
    assert body["expires_at"] == "2026-11-27T09:30:00Z"
    active = (await client.get(f"{SESSIONS}/active", headers=as_staff)).json()
    assert active["session"]["id"] == body["session_id"]
    assert active["session"]["started_at"] == "2026-11-27T09:00:00Z"


async def test_resume_returns_the_open_session_with_200(
    client: httpx.AsyncClient, clock: FixedClock, as_staff: dict[str, str]
) -> None:
    session_id = await start(client, as_staff)
    clock.advance(dt.timedelta(minutes=10))
    response = await client.post(f"{SESSIONS}/start", json={"action": "resume"}, headers=as_staff)
    assert response.status_code == 200
    assert response.json() == {"session_id": session_id, "expires_at": "2026-11-27T09:30:00Z"}


async def test_start_new_ends_the_callers_old_session_only(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    staff: User,
    coworker: User,
    as_staff: dict[str, str],
    as_coworker: dict[str, str],
) -> None:
    item = await make_item(session, store)
    old = await start(client, as_staff)
    theirs = await start(client, as_coworker)
    new = await start(client, as_staff)
    assert new != old
    refused = await client.put(f"{SESSIONS}/{old}/count", json=count(item.id, 1), headers=as_staff)
    assert refused.status_code == 409
    assert refused.json()["code"] == "session_expired"
    old_view = (await client.get(f"{SESSIONS}/{old}", headers=as_staff)).json()
    assert old_view["session"]["status"] == "expired"
    active = (await client.get(f"{SESSIONS}/active", headers=as_staff)).json()
    assert active["session"]["id"] == new
    statuses = {str(row.id): row.status for row in await session_rows(session, staff)}
    assert statuses == {old: "expired", new: "in_progress"}
    assert [row.status for row in await session_rows(session, coworker)] == ["in_progress"]
    kept = (await client.get(f"{SESSIONS}/active", headers=as_coworker)).json()
    assert kept["session"]["id"] == theirs


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
    assert [event.action for event in events] == ["rtde.session.started", "rtde.session.completed"]
    done = events[1]
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


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", f"{SESSIONS}/start", "POST"),
        ("DELETE", f"{SESSIONS}/active", "GET, HEAD"),
        ("GET", "/api/rtde/admin/items/reorder", "PUT"),
        ("DELETE", "/api/rtde/admin/items/reorder", "PUT"),
    ],
)
async def test_fixed_paths_are_not_read_as_ids(
    client: httpx.AsyncClient, as_admin: dict[str, str], method: str, path: str, allow: str
) -> None:
    response = await client.request(method, path, headers=as_admin)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
