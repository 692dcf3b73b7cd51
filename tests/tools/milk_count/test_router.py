"""The staff routes over HTTP: the gate, other stores, the alias, milk types, sessions,
the session read and history."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

from backroom.accounts.models import User
from backroom.core.clock import FixedClock
from tests.tools.milk_count.factories import (
    ALIAS,
    BASE,
    DEFAULT_NAMES,
    PHASE_PATHS,
    active_types,
    start,
    valid_body,
    walk_to,
)

SID = "00000000-0000-4000-8000-000000000000"
STAFF_ROUTES = [
    ("GET", "/milk-types"),
    ("GET", "/sessions/today"),
    ("POST", "/sessions/start"),
    ("GET", f"/sessions/{SID}"),
    ("PUT", f"/sessions/{SID}/night-foh"),
    ("PUT", f"/sessions/{SID}/night-boh"),
    ("PUT", f"/sessions/{SID}/morning"),
    ("PUT", f"/sessions/{SID}/on-order"),
    ("GET", f"/sessions/{SID}/summary"),
    ("GET", "/history"),
]
ADMIN_ROUTES = [
    ("GET", "/admin/milk-types"),
    ("POST", "/admin/milk-types"),
    ("PUT", f"/admin/milk-types/{SID}"),
    ("GET", "/admin/par-levels"),
    ("PUT", f"/admin/par-levels/{SID}"),
    ("PUT", f"/sessions/{SID}/reopen"),
]
SESSION_NOT_FOUND = {
    "type": "https://backroom.dev/problems/milk_session_not_found",
    "title": "Not Found",
    "status": 404,
    "detail": "Milk count session not found",
    "error": "Milk count session not found",
    "code": "milk_session_not_found",
}


# --- Unhappy paths first ------------------------------------------------------------------


@pytest.mark.parametrize("prefix", [BASE, ALIAS])
@pytest.mark.parametrize(("method", "path"), STAFF_ROUTES + ADMIN_ROUTES)
async def test_every_route_needs_a_token(
    client: httpx.AsyncClient, prefix: str, method: str, path: str
) -> None:
    response = await client.request(method, prefix + path, json={})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path"), STAFF_ROUTES + ADMIN_ROUTES)
async def test_an_account_without_a_store_is_403(
    client: httpx.AsyncClient, as_user: dict[str, str], method: str, path: str
) -> None:
    response = await client.request(method, BASE + path, json={}, headers=as_user)
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_role"


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
async def test_staff_on_an_admin_route_is_403(
    client: httpx.AsyncClient, as_staff: dict[str, str], method: str, path: str
) -> None:
    response = await client.request(method, BASE + path, json={}, headers=as_staff)
    assert response.status_code == 403


SESSION_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "", None),
    ("PUT", "/night-foh", "night_foh"),
    ("PUT", "/night-boh", "night_boh"),
    ("PUT", "/morning", "morning"),
    ("PUT", "/on-order", "on_order"),
    ("GET", "/summary", None),
    ("PUT", "/reopen", {"phase": "night_foh"}),
]


@pytest.mark.parametrize(("method", "suffix", "body"), SESSION_ROUTES)
async def test_another_stores_session_is_404_on_every_route(
    *,
    client: httpx.AsyncClient,
    clock: FixedClock,
    as_admin: dict[str, str],
    as_other_admin: dict[str, str],
    method: str,
    suffix: str,
    body: Any,
) -> None:
    theirs = await start(client, as_other_admin)
    types = await active_types(client, as_admin)
    payload = valid_body(body, types) if isinstance(body, str) else body
    for session_id in (theirs["id"], SID, "not-a-uuid", "1"):
        response = await client.request(
            method, f"{BASE}/sessions/{session_id}{suffix}", json=payload, headers=as_admin
        )
        assert response.status_code == 404, session_id
        assert response.json() == SESSION_NOT_FOUND
    # Nothing moved on their side.
    mine = await client.get(f"{BASE}/sessions/{theirs['id']}", headers=as_other_admin)
    assert mine.json()["session"]["status"] == "night_foh"
    assert mine.json()["session"]["night_foh_saved_at"] is None


@pytest.mark.parametrize(
    "query",
    [
        {"status": "open"},
        {"status": "COMPLETED"},
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"offset": -1},
        {"limit": "1.5"},
    ],
)
async def test_history_refuses_bad_query_parameters(
    client: httpx.AsyncClient, as_staff: dict[str, str], query: dict[str, Any]
) -> None:
    response = await client.get(f"{BASE}/history", params=query, headers=as_staff)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


# --- The alias ----------------------------------------------------------------------------


async def test_the_alias_answers_the_same_as_the_main_prefix(
    client: httpx.AsyncClient, clock: FixedClock, as_staff: dict[str, str]
) -> None:
    started = await client.post(f"{ALIAS}/sessions/start", headers=as_staff)
    assert started.status_code == 201
    session_id = started.json()["session"]["id"]
    assert started.headers["location"] == f"{ALIAS}/sessions/{session_id}"
    for path in ("/milk-types", "/sessions/today", f"/sessions/{session_id}", "/history"):
        main = await client.get(BASE + path, headers=as_staff)
        alias = await client.get(ALIAS + path, headers=as_staff)
        assert (alias.status_code, alias.json()) == (main.status_code, main.json()), path
    types = await active_types(client, as_staff)
    saved = await client.put(
        f"{ALIAS}/sessions/{session_id}/night-foh",
        json=valid_body("night_foh", types),
        headers=as_staff,
    )
    assert saved.status_code == 200
    assert saved.json()["session"]["status"] == "night_boh"


async def test_the_alias_is_absent_from_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [path for path in paths if path.startswith(ALIAS)]
    milk = sorted(path.removeprefix(BASE) for path in paths if path.startswith(BASE))
    assert milk == sorted(
        {
            "/milk-types",
            "/admin/milk-types",
            "/admin/milk-types/{milk_type_id}",
            "/admin/par-levels",
            "/admin/par-levels/{milk_type_id}",
            "/sessions/today",
            "/sessions/start",
            "/sessions/{session_id}",
            "/sessions/{session_id}/night-foh",
            "/sessions/{session_id}/night-boh",
            "/sessions/{session_id}/morning",
            "/sessions/{session_id}/on-order",
            "/sessions/{session_id}/summary",
            "/sessions/{session_id}/reopen",
            "/history",
        }
    )


# --- Milk types ---------------------------------------------------------------------------


async def test_staff_see_the_default_milk_types_in_order_at_par_0(
    client: httpx.AsyncClient, as_staff: dict[str, str]
) -> None:
    types = await active_types(client, as_staff)
    assert [t["name"] for t in types] == DEFAULT_NAMES
    assert [t["category"] for t in types] == ["dairy"] * 5 + ["non_dairy"] * 4
    assert [t["display_order"] for t in types] == list(range(1, 10))
    for milk_type in types:
        assert milk_type["par_value"] == 0
        assert milk_type["active"] is True
        assert uuid.UUID(milk_type["id"])
        assert milk_type["created_at"].endswith("Z")
        assert milk_type["updated_at"].endswith("Z")


async def test_the_milk_types_are_the_callers_stores_only(
    client: httpx.AsyncClient, as_staff: dict[str, str], as_other_admin: dict[str, str]
) -> None:
    mine = {t["id"] for t in await active_types(client, as_staff)}
    theirs = {t["id"] for t in await active_types(client, as_other_admin)}
    assert len(mine) == len(theirs) == 9
    assert not mine & theirs


# --- Sessions -----------------------------------------------------------------------------


async def test_today_is_null_before_a_count_starts(
    client: httpx.AsyncClient, clock: FixedClock, as_staff: dict[str, str]
) -> None:
    response = await client.get(f"{BASE}/sessions/today", headers=as_staff)
    assert response.status_code == 200
    assert response.json() == {"session": None}


async def test_starting_a_count_gives_an_empty_session_with_an_entry_per_milk_type(
    client: httpx.AsyncClient, clock: FixedClock, as_staff: dict[str, str]
) -> None:
    response = await client.post(f"{BASE}/sessions/start", headers=as_staff)
    assert response.status_code == 201
    body = response.json()
    session = body["session"]
    assert body["message"] == "Milk count started"
    assert response.headers["location"] == f"{BASE}/sessions/{session['id']}"
    assert session == {
        "id": session["id"],
        "date": "2026-11-25",  # 22:00 in Los Angeles, 06:00 UTC the next day
        "status": "night_foh",
        "created_at": "2026-11-26T06:00:00Z",
        "night_foh_saved_at": None,
        "night_boh_saved_at": None,
        "morning_saved_at": None,
        "on_order_saved_at": None,
        "completed_at": None,
        "night_count_user_id": None,
        "night_count_user_name": None,
        "morning_count_user_id": None,
        "morning_count_user_name": None,
    }
    today = await client.get(f"{BASE}/sessions/today", headers=as_staff)
    assert today.json() == {"session": session}

    detail = (await client.get(f"{BASE}/sessions/{session['id']}", headers=as_staff)).json()
    assert detail["session"] == session
    assert [e["milk_type_name"] for e in detail["entries"]] == DEFAULT_NAMES
    for entry in detail["entries"]:
        assert entry["session_id"] == session["id"]
        for key in (
            "foh_count",
            "boh_count",
            "morning_method",
            "current_boh",
            "delivered",
            "on_order",
        ):
            assert entry[key] is None, key
        assert entry["par"] == 0


async def test_phase_saves_record_who_counted_and_when(
    *,
    client: httpx.AsyncClient,
    clock: FixedClock,
    as_staff: dict[str, str],
    as_admin: dict[str, str],
    staff: User,
    admin: User,
) -> None:
    types = await active_types(client, as_staff)
    session = await start(client, as_staff)
    await walk_to(client, as_staff, session["id"], "morning", types)
    clock.at(clock.now().replace(hour=14))  # 06:00 in Los Angeles
    response = await client.put(
        f"{BASE}/sessions/{session['id']}/morning",
        json=valid_body("morning", types),
        headers=as_admin,
    )
    saved = response.json()["session"]
    assert saved["night_count_user_id"] == str(staff.id)
    assert saved["night_count_user_name"] == staff.name
    assert saved["night_foh_saved_at"] == saved["night_boh_saved_at"] == "2026-11-26T06:00:00Z"
    assert saved["morning_count_user_id"] == str(admin.id)
    assert saved["morning_count_user_name"] == admin.name
    assert saved["morning_saved_at"] == "2026-11-26T14:00:00Z"
    assert saved["status"] == "on_order"


# --- History ------------------------------------------------------------------------------


async def test_history_lists_the_newest_business_day_first_with_paging_and_status(
    client: httpx.AsyncClient,
    clock: FixedClock,
    as_staff: dict[str, str],
    as_other_admin: dict[str, str],
) -> None:
    types = await active_types(client, as_staff)
    ids = []
    for day in range(3):
        session = await start(client, as_staff)
        ids.append(session["id"])
        if day < 2:
            await walk_to(client, as_staff, session["id"], "completed", types)
        clock.advance(dt.timedelta(days=1))
    await start(client, as_other_admin)  # another store's session never shows

    page = (await client.get(f"{BASE}/history", headers=as_staff)).json()
    assert [s["id"] for s in page["sessions"]] == ids[::-1]
    assert (page["total"], page["limit"], page["offset"]) == (3, 30, 0)
    assert [s["date"] for s in page["sessions"]] == ["2026-11-27", "2026-11-26", "2026-11-25"]

    second = await client.get(f"{BASE}/history", params={"limit": 1, "offset": 1}, headers=as_staff)
    assert second.json()["sessions"][0]["id"] == ids[1]
    assert (second.json()["total"], second.json()["limit"], second.json()["offset"]) == (3, 1, 1)

    done = await client.get(f"{BASE}/history", params={"status": "completed"}, headers=as_staff)
    assert [s["id"] for s in done.json()["sessions"]] == [ids[1], ids[0]]
    assert done.json()["total"] == 2
    open_ = await client.get(f"{BASE}/history", params={"status": "night_foh"}, headers=as_staff)
    assert [s["id"] for s in open_.json()["sessions"]] == [ids[2]]


async def test_unknown_query_parameters_are_ignored(
    client: httpx.AsyncClient, as_staff: dict[str, str]
) -> None:
    response = await client.get(f"{BASE}/history", params={"_t": "123"}, headers=as_staff)
    assert response.status_code == 200
    assert response.json() == {"sessions": [], "total": 0, "limit": 30, "offset": 0}


def test_every_phase_has_a_route() -> None:
    assert set(PHASE_PATHS) == {"night_foh", "night_boh", "morning", "on_order"}


async def test_get_on_the_start_route_is_405_naming_post(
    client: httpx.AsyncClient, as_staff: dict[str, str]
) -> None:
    response = await client.get(f"{BASE}/sessions/start", headers=as_staff)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
