"""The count-session routes over HTTP: ownership, expiry, counting, pull list, completion."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Store, User
from backroom.core.clock import FixedClock
from backroom.core.config import Settings
from backroom.tools.rtde.models import RTDESession
from tests.factories import auth_headers, make_user
from tests.tools.rtde.factories import SESSIONS, count, make_item, start, tick

NIL = "00000000-0000-0000-0000-000000000000"

SESSION_NOT_FOUND = {
    "type": "https://backroom.dev/problems/rtde_session_not_found",
    "title": "Not Found",
    "status": 404,
    "detail": "Session not found",
    "error": "Session not found",
    "code": "rtde_session_not_found",
}


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
    posts: dict[str, dict[str, Any]] = {
        "no body": {},
        "empty body": {"content": b"", "headers": {"Content-Type": "application/json"}},
        "empty object": {"json": {}},
        "explicit": {"json": {"action": "new"}},
    }
    post = posts[how]
    headers = {**as_staff, **post.pop("headers", {})}
    response = await client.post(f"{SESSIONS}/start", headers=headers, **post)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"session_id", "expires_at"}
    assert response.headers["location"] == f"{SESSIONS}/{body['session_id']}"
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
