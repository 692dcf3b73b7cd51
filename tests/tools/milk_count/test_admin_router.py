"""The admin routes over HTTP: milk types, par levels (If-Match) and reopening a session."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from backroom.accounts.models import Store, User
from backroom.core.clock import FixedClock
from tests.tools.milk_count.factories import (
    BASE,
    DEFAULT_NAMES,
    active_types,
    audit_events,
    save,
    start,
    valid_body,
    walk_to,
)

TYPE_NOT_FOUND = {
    "type": "https://backroom.dev/problems/milk_type_not_found",
    "title": "Not Found",
    "status": 404,
    "detail": "Milk type not found",
    "error": "Milk type not found",
    "code": "milk_type_not_found",
}


# --- Unhappy paths first ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/admin/milk-types/{id}", {"name": "Mine now"}),
        ("PUT", "/admin/par-levels/{id}", {"par_value": 5}),
    ],
)
async def test_another_stores_or_an_unknown_milk_type_is_404(
    *,
    client: httpx.AsyncClient,
    as_admin: dict[str, str],
    as_other_admin: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    theirs = (await active_types(client, as_other_admin))[0]["id"]
    for ident in (theirs, "00000000-0000-4000-8000-000000000000", "oat", "1"):
        response = await client.request(
            method, BASE + path.format(id=ident), json=body, headers=as_admin
        )
        assert response.status_code == 404, ident
        assert response.json() == TYPE_NOT_FOUND
    assert (await active_types(client, as_other_admin))[0]["name"] == "2%"
    assert (await active_types(client, as_other_admin))[0]["par_value"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": "Rice"},
        {"name": "", "category": "dairy"},
        {"name": "   ", "category": "dairy"},
        {"name": "x" * 51, "category": "dairy"},
        {"name": " " * 10 + "x" * 45, "category": "dairy"},
        {"name": "a\x00b", "category": "dairy"},
        {"name": 5, "category": "dairy"},
        {"name": "Rice", "category": "grain"},
        {"name": "Rice", "category": "DAIRY"},
        {"name": "Rice", "category": "dairy", "display_order": 0},
        {"name": "Rice", "category": "dairy", "display_order": True},
        {"name": "Rice", "category": "dairy", "display_order": "2"},
        {"name": "Rice", "category": "dairy", "active": False},
    ],
)
async def test_an_invalid_milk_type_is_422(
    client: httpx.AsyncClient, app: FastAPI, as_admin: dict[str, str], body: dict[str, Any]
) -> None:
    response = await client.post(f"{BASE}/admin/milk-types", json=body, headers=as_admin)
    assert response.status_code == 422
    assert response.json()["errors"]
    assert len(await active_types(client, as_admin)) == 9


@pytest.mark.parametrize(
    "body",
    [
        {"name": None},
        {"name": " "},
        {"display_order": 0},
        {"display_order": None},
        {"display_order": 1.5},
        {"active": None},
        {"active": "false"},
        {"active": 0},
        {"category": "non_dairy"},
    ],
)
async def test_an_invalid_milk_type_change_is_422(
    client: httpx.AsyncClient, as_admin: dict[str, str], body: dict[str, Any]
) -> None:
    milk_type = (await active_types(client, as_admin))[0]
    response = await client.put(
        f"{BASE}/admin/milk-types/{milk_type['id']}", json=body, headers=as_admin
    )
    assert response.status_code == 422
    assert (await active_types(client, as_admin))[0] == milk_type


@pytest.mark.parametrize("name", ["oat", "OAT", " Oat "])
async def test_a_duplicate_name_is_409_ignoring_case(
    client: httpx.AsyncClient, as_admin: dict[str, str], name: str
) -> None:
    created = await client.post(
        f"{BASE}/admin/milk-types", json={"name": name, "category": "non_dairy"}, headers=as_admin
    )
    assert created.status_code == 409
    assert created.json()["code"] == "milk_type_exists"
    assert created.json()["error"] == "A milk type with this name already exists in your store"
    whole = (await active_types(client, as_admin))[1]
    renamed = await client.put(
        f"{BASE}/admin/milk-types/{whole['id']}", json={"name": name}, headers=as_admin
    )
    assert renamed.status_code == 409
    assert (await active_types(client, as_admin))[1]["name"] == "Whole"


async def test_a_deactivated_milk_types_name_is_still_taken(
    client: httpx.AsyncClient, as_admin: dict[str, str]
) -> None:
    soy = next(t for t in await active_types(client, as_admin) if t["name"] == "Soy")
    await client.put(
        f"{BASE}/admin/milk-types/{soy['id']}", json={"active": False}, headers=as_admin
    )
    again = await client.post(
        f"{BASE}/admin/milk-types", json={"name": "soy", "category": "non_dairy"}, headers=as_admin
    )
    assert again.status_code == 409


async def test_two_stores_may_use_the_same_name(
    client: httpx.AsyncClient, as_admin: dict[str, str], as_other_admin: dict[str, str]
) -> None:
    for headers in (as_admin, as_other_admin):
        created = await client.post(
            f"{BASE}/admin/milk-types",
            json={"name": "Rice", "category": "non_dairy"},
            headers=headers,
        )
        assert created.status_code == 201


@pytest.mark.parametrize(
    "body",
    [{}, {"par_value": -1}, {"par_value": 10_000}, {"par_value": True}, {"par_value": 2.5},
     {"par_value": "3"}, {"par_value": None}, {"par_value": 3, "note": "x"}],
)  # fmt: skip
async def test_an_invalid_par_is_422(
    client: httpx.AsyncClient, as_admin: dict[str, str], body: dict[str, Any]
) -> None:
    milk_type = (await active_types(client, as_admin))[0]
    response = await client.put(
        f"{BASE}/admin/par-levels/{milk_type['id']}", json=body, headers=as_admin
    )
    assert response.status_code == 422
    assert (await active_types(client, as_admin))[0]["par_value"] == 0


@pytest.mark.parametrize(
    ("if_match", "status", "code"),
    [
        ('"7"', 412, "par_level_changed"),
        ('"0", "2"', 412, "par_level_changed"),
        ("garbage", 422, "invalid_if_match"),
        ('"1" junk', 422, "invalid_if_match"),
        ("", 422, "invalid_if_match"),
    ],
)
async def test_a_stale_or_unreadable_if_match_changes_nothing(
    *,
    client: httpx.AsyncClient,
    app: FastAPI,
    as_admin: dict[str, str],
    if_match: str,
    status: int,
    code: str,
) -> None:
    milk_type = (await active_types(client, as_admin))[0]
    response = await client.put(
        f"{BASE}/admin/par-levels/{milk_type['id']}",
        json={"par_value": 9},
        headers={**as_admin, "If-Match": if_match},
    )
    assert response.status_code == status
    assert response.json()["code"] == code
    assert (await active_types(client, as_admin))[0]["par_value"] == 0
    assert await audit_events(app, "milk_count.par_level.updated") == []


async def test_two_writers_with_the_same_version_one_200_one_412(
    client: httpx.AsyncClient, as_admin: dict[str, str]
) -> None:
    milk_type = (await active_types(client, as_admin))[0]
    path = f"{BASE}/admin/par-levels/{milk_type['id']}"
    first, second = await asyncio.gather(
        client.put(path, json={"par_value": 11}, headers={**as_admin, "If-Match": '"1"'}),
        client.put(path, json={"par_value": 22}, headers={**as_admin, "If-Match": '"1"'}),
    )
    assert sorted((first.status_code, second.status_code)) == [200, 412]
    winner = first if first.status_code == 200 else second
    assert (await active_types(client, as_admin))[0]["par_value"] == winner.json()["par_level"][
        "par_value"
    ]


async def test_reopening_needs_an_earlier_phase(
    client: httpx.AsyncClient, clock: FixedClock, as_staff: dict[str, str], as_admin: dict[str, str]
) -> None:
    types = await active_types(client, as_staff)
    sid = (await start(client, as_staff))["id"]
    await walk_to(client, as_staff, sid, "morning", types)
    for phase in ("morning", "on_order"):
        response = await client.put(
            f"{BASE}/sessions/{sid}/reopen", json={"phase": phase}, headers=as_admin
        )
        assert response.status_code == 409, phase
        assert response.json()["code"] == "not_an_earlier_phase"
        assert response.json()["current_phase"] == "morning"
    for body in ({"phase": "completed"}, {"phase": "evening"}, {}, {"phase": "morning", "x": 1}):
        response = await client.put(f"{BASE}/sessions/{sid}/reopen", json=body, headers=as_admin)
        assert response.status_code == 422, body
    detail = (await client.get(f"{BASE}/sessions/{sid}", headers=as_staff)).json()
    assert detail["session"]["status"] == "morning"


# --- Milk types ---------------------------------------------------------------------------


async def test_an_admin_adds_a_milk_type_at_the_end_with_par_0(
    *,
    client: httpx.AsyncClient,
    app: FastAPI,
    clock: FixedClock,
    as_admin: dict[str, str],
    store: Store,
) -> None:
    response = await client.post(
        f"{BASE}/admin/milk-types",
        json={"name": "  Macadamia ", "category": "non_dairy"},
        headers=as_admin,
    )
    assert response.status_code == 201
    body = response.json()
    milk_type = body["milk_type"]
    assert body["message"] == "Milk type created"
    assert response.headers["location"] == f"{BASE}/admin/milk-types/{milk_type['id']}"
    assert milk_type == {
        "id": milk_type["id"],
        "name": "Macadamia",
        "category": "non_dairy",
        "display_order": 10,
        "active": True,
        "par_value": 0,
        "created_at": "2026-11-26T06:00:00Z",
        "updated_at": "2026-11-26T06:00:00Z",
    }
    assert (await active_types(client, as_admin))[-1] == milk_type
    pars = (await client.get(f"{BASE}/admin/par-levels", headers=as_admin)).json()["par_levels"]
    assert pars[-1]["milk_type_id"] == milk_type["id"]
    (event,) = await audit_events(app, "milk_count.milk_type.created")
    assert (event.store_id, event.target_type, event.target_label) == (
        store.id,
        "milk_type",
        "Macadamia",
    )
    assert event.details == {"name": "Macadamia", "category": "non_dairy"}


async def test_an_admin_renames_reorders_and_deactivates(
    client: httpx.AsyncClient, app: FastAPI, clock: FixedClock, as_admin: dict[str, str]
) -> None:
    almond = (await active_types(client, as_admin))[-1]
    response = await client.put(
        f"{BASE}/admin/milk-types/{almond['id']}",
        json={"name": "Almond Milk", "display_order": 1},
        headers=as_admin,
    )
    assert response.status_code == 200
    assert response.json()["message"] == "Milk type updated"
    assert (await active_types(client, as_admin))[0]["name"] == "Almond Milk"

    response = await client.put(
        f"{BASE}/admin/milk-types/{almond['id']}", json={"active": False}, headers=as_admin
    )
    assert response.json()["milk_type"]["active"] is False
    assert "Almond Milk" not in [t["name"] for t in await active_types(client, as_admin)]
    everything = await client.get(
        f"{BASE}/admin/milk-types", params={"include_inactive": "true"}, headers=as_admin
    )
    assert [t["name"] for t in everything.json()["milk_types"]] == [
        "Almond Milk",
        *DEFAULT_NAMES[:-1],
    ]
    pars = (await client.get(f"{BASE}/admin/par-levels", headers=as_admin)).json()["par_levels"]
    assert almond["id"] not in [p["milk_type_id"] for p in pars]

    events = await audit_events(app, "milk_count.milk_type.updated")
    assert [e.details["changes"] for e in events] == [
        {"name": ["Almond", "Almond Milk"], "display_order": [9, 1]},
        {"active": [True, False]},
    ]


async def test_a_change_to_nothing_new_writes_no_event(
    client: httpx.AsyncClient, app: FastAPI, as_admin: dict[str, str]
) -> None:
    whole = (await active_types(client, as_admin))[1]
    response = await client.put(
        f"{BASE}/admin/milk-types/{whole['id']}",
        json={"name": "Whole", "active": True},
        headers=as_admin,
    )
    assert response.status_code == 200
    assert response.json()["milk_type"] == whole
    assert await audit_events(app, "milk_count.milk_type.updated") == []


# --- Par levels ---------------------------------------------------------------------------


async def test_par_levels_list_every_active_type_in_order(
    client: httpx.AsyncClient, as_admin: dict[str, str]
) -> None:
    pars = (await client.get(f"{BASE}/admin/par-levels", headers=as_admin)).json()["par_levels"]
    types = await active_types(client, as_admin)
    assert [p["milk_type_id"] for p in pars] == [t["id"] for t in types]
    assert [p["milk_type_name"] for p in pars] == DEFAULT_NAMES
    assert pars[0]["milk_type_category"] == "dairy"
    assert {
        (p["par_value"], p["version"], p["updated_by"], p["updated_by_name"]) for p in pars
    } == {(0, 1, None, None)}
    assert all(p["updated_at"].endswith("Z") for p in pars)


async def test_setting_a_par_bumps_its_version_and_is_audited(
    *,
    client: httpx.AsyncClient,
    app: FastAPI,
    clock: FixedClock,
    as_admin: dict[str, str],
    admin: User,
    store: Store,
) -> None:
    oat = next(t for t in await active_types(client, as_admin) if t["name"] == "Oat")
    path = f"{BASE}/admin/par-levels/{oat['id']}"
    first = await client.put(path, json={"par_value": 24}, headers={**as_admin, "If-Match": '"1"'})
    assert first.status_code == 200
    assert first.headers["etag"] == '"2"'
    par = first.json()["par_level"]
    assert first.json()["message"] == "Par level updated"
    assert par == {
        "id": par["id"],
        "milk_type_id": oat["id"],
        "milk_type_name": "Oat",
        "milk_type_category": "non_dairy",
        "par_value": 24,
        "updated_at": "2026-11-26T06:00:00Z",
        "updated_by": str(admin.id),
        "updated_by_name": admin.name,
        "version": 2,
    }
    second = await client.put(path, json={"par_value": 30}, headers=as_admin)  # no If-Match
    assert second.headers["etag"] == '"3"'
    assert (
        next(t for t in await active_types(client, as_admin) if t["name"] == "Oat")["par_value"]
        == 30
    )

    events = await audit_events(app, "milk_count.par_level.updated")
    assert [e.details for e in events] == [
        {"activity_type": "milk_par_updated", "milk_type_id": oat["id"], "milk_type_name": "Oat",
         "old": 0, "new": 24},
        {"activity_type": "milk_par_updated", "milk_type_id": oat["id"], "milk_type_name": "Oat",
         "old": 24, "new": 30},
    ]  # fmt: skip
    assert {(e.store_id, e.target_type, e.target_label) for e in events} == {
        (store.id, "milk_par_level", "Oat")
    }


# --- Reopen -------------------------------------------------------------------------------


async def test_reopening_a_completed_session_keeps_its_data_and_is_audited(
    *,
    client: httpx.AsyncClient,
    app: FastAPI,
    clock: FixedClock,
    as_staff: dict[str, str],
    as_admin: dict[str, str],
    store: Store,
) -> None:
    types = await active_types(client, as_staff)
    sid = (await start(client, as_staff))["id"]
    await walk_to(client, as_staff, sid, "completed", types)
    before = (await client.get(f"{BASE}/sessions/{sid}", headers=as_staff)).json()

    response = await client.put(
        f"{BASE}/sessions/{sid}/reopen", json={"phase": "morning"}, headers=as_admin
    )

    assert response.status_code == 200
    session = response.json()["session"]
    assert response.json()["message"] == "Session reopened at morning"
    assert session["status"] == "morning"
    assert session["completed_at"] is None
    assert session["on_order_saved_at"] == before["session"]["on_order_saved_at"]
    after = (await client.get(f"{BASE}/sessions/{sid}", headers=as_staff)).json()
    assert [e["on_order"] for e in after["entries"]] == [e["on_order"] for e in before["entries"]]
    (event,) = await audit_events(app, "milk_count.session.reopened")
    assert (event.store_id, event.target_type, event.target_id, event.target_label) == (
        store.id,
        "milk_session",
        sid,
        "2026-11-25",
    )
    assert event.details == {"date": "2026-11-25", "from_status": "completed", "status": "morning"}

    again = await save(client, as_staff, sid, "morning", valid_body("morning", types))
    assert again.json()["session"]["status"] == "on_order"
    done = await save(client, as_staff, sid, "on_order", valid_body("on_order", types))
    assert done.json()["session"]["status"] == "completed"


async def test_moving_a_milk_type_renumbers_the_others_without_gaps_or_ties(
    client: httpx.AsyncClient, as_admin: dict[str, str]
) -> None:
    types = await active_types(client, as_admin)
    oat = next(t for t in types if t["name"] == "Oat")
    moved = await client.put(
        f"{BASE}/admin/milk-types/{oat['id']}", json={"display_order": 2}, headers=as_admin
    )
    assert moved.json()["milk_type"]["display_order"] == 2
    after = await active_types(client, as_admin)
    expected = [
        "2%",
        "Oat",
        "Whole",
        "Non-Fat",
        "Half & Half",
        "Heavy Cream",
        "Soy",
        "Coconut",
        "Almond",
    ]
    assert [t["name"] for t in after] == expected
    assert [t["display_order"] for t in after] == list(range(1, 10))

    last = await client.put(
        f"{BASE}/admin/milk-types/{oat['id']}", json={"display_order": 500}, headers=as_admin
    )
    assert last.json()["milk_type"]["display_order"] == 9

    first = await client.post(
        f"{BASE}/admin/milk-types",
        json={"name": "Rice", "category": "non_dairy", "display_order": 1},
        headers=as_admin,
    )
    assert first.json()["milk_type"]["display_order"] == 1
    names = [t["name"] for t in await active_types(client, as_admin)]
    assert names == ["Rice", *DEFAULT_NAMES[:6], *DEFAULT_NAMES[7:], "Oat"]


async def test_a_bad_body_is_422_whatever_if_match_says(
    client: httpx.AsyncClient, as_admin: dict[str, str]
) -> None:
    milk_type = (await active_types(client, as_admin))[0]
    path = f"{BASE}/admin/par-levels/{milk_type['id']}"
    for if_match in ('"7"', "garbage"):
        response = await client.put(path, json={}, headers={**as_admin, "If-Match": if_match})
        assert response.status_code == 422, if_match
