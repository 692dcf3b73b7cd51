"""The admin's item routes and the session history over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Store, User
from backroom.core.audit import AuditEvent
from backroom.core.config import Settings
from backroom.tools.rtde.models import RTDEItem
from tests.factories import auth_headers, make_user
from tests.tools.rtde.factories import make_item, make_items

ITEMS = "/api/rtde/admin/items"

ITEM_NOT_FOUND = {
    "type": "https://backroom.dev/problems/rtde_item_not_found",
    "title": "Not Found",
    "status": 404,
    "detail": "Item not found",
    "error": "Item not found",
    "code": "rtde_item_not_found",
}


async def audit_events(session: AsyncSession) -> list[AuditEvent]:
    events = (await session.execute(select(AuditEvent).order_by(AuditEvent.at))).scalars().all()
    await session.commit()  # end the read (keeping loaded rows), so app writes never wait
    return list(events)


async def orders(session: AsyncSession, store: Store) -> dict[str, int]:
    rows = (
        await session.execute(
            select(RTDEItem.name, RTDEItem.display_order).where(RTDEItem.store_id == store.id)
        )
    ).all()
    await session.commit()
    return dict(rows)


# --- Unhappy paths first ------------------------------------------------------------------

ADMIN_ROUTES = [
    ("GET", ITEMS),
    ("POST", ITEMS),
    ("PUT", f"{ITEMS}/reorder"),
    ("GET", f"{ITEMS}/00000000-0000-0000-0000-000000000000"),
    ("PUT", f"{ITEMS}/00000000-0000-0000-0000-000000000000"),
    ("DELETE", f"{ITEMS}/00000000-0000-0000-0000-000000000000"),
    ("GET", "/api/rtde/sessions/history"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
async def test_admin_routes_need_a_token(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path, json={})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
async def test_staff_and_plain_users_get_403_on_admin_routes(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    as_staff: dict[str, str],
    method: str,
    path: str,
) -> None:
    plain = auth_headers(settings, await make_user(session))
    for headers in (as_staff, plain):
        response = await client.request(method, path, json={}, headers=headers)
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "insufficient_role"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"par_level": 5}, "name"),
        ({"name": "", "par_level": 5}, "name"),
        ({"name": "   ", "par_level": 5}, "name"),
        ({"name": "x" * 101, "par_level": 5}, "name"),
        ({"name": "x" * 100 + " ", "par_level": 5}, "name"),
        ({"name": 7, "par_level": 5}, "name"),
        ({"name": "a\x00b", "par_level": 5}, "name"),
        ({"name": "Cold brew"}, "par_level"),
        ({"name": "Cold brew", "par_level": 0}, "par_level"),
        ({"name": "Cold brew", "par_level": 1000}, "par_level"),
        ({"name": "Cold brew", "par_level": "5"}, "par_level"),
        ({"name": "Cold brew", "par_level": True}, "par_level"),
        ({"name": "Cold brew", "par_level": 5.5}, "par_level"),
        ({"name": "Cold brew", "par_level": 5, "brand": "b" * 51}, "brand"),
        ({"name": "Cold brew", "par_level": 5, "icon": "i" * 11}, "icon"),
        ({"name": "Cold brew", "par_level": 5, "image_filename": "f" * 101}, "image_filename"),
        ({"name": "Cold brew", "par_level": 5, "image_filename": "a/b.png"}, "image_filename"),
        ({"name": "Cold brew", "par_level": 5, "image_filename": "a\\b.png"}, "image_filename"),
        ({"name": "Cold brew", "par_level": 5, "image_filename": "..png"}, "image_filename"),
        ({"name": "Cold brew", "par_level": 5, "active": "yes"}, "active"),
        ({"name": "Cold brew", "par_level": 5, "display_order": 1}, "display_order"),
        ({"name": "Cold brew", "par_level": 5, "store_id": "x"}, "store_id"),
    ],
)
async def test_invalid_item_is_422_naming_the_field(
    client: httpx.AsyncClient, as_admin: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = await client.post(ITEMS, json=body, headers=as_admin)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert field in {error["field"].split(".")[0] for error in problem["errors"]}


@pytest.mark.parametrize(
    "body",
    [{"name": None}, {"par_level": None}, {"active": None}, {"par_level": 0}, {"icon": "x" * 11}],
)
async def test_invalid_update_is_422_and_changes_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    as_admin: dict[str, str],
    body: dict[str, Any],
) -> None:
    item = await make_item(session, store, name="Lemonade", par_level=4)
    response = await client.put(f"{ITEMS}/{item.id}", json=body, headers=as_admin)
    assert response.status_code == 422
    read = await client.get(f"{ITEMS}/{item.id}", headers=as_admin)
    assert read.json()["item"]["par_level"] == 4
    assert read.json()["item"]["version"] == 1


async def test_another_stores_item_and_malformed_ids_are_the_same_404(
    client: httpx.AsyncClient,
    session: AsyncSession,
    other_store: Store,
    as_admin: dict[str, str],
) -> None:
    foreign = await make_item(session, other_store, name="Theirs")
    for item_id in (str(foreign.id), "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        for method in ("GET", "PUT", "DELETE"):
            response = await client.request(
                method, f"{ITEMS}/{item_id}", json={"name": "Mine now"}, headers=as_admin
            )
            assert response.status_code == 404, (method, item_id)
            assert response.json() == ITEM_NOT_FOUND
    listed = await client.get(f"{ITEMS}?include_inactive=true", headers=as_admin)
    assert listed.json() == {"items": []}
    assert (await orders(session, other_store)) == {"Theirs": 1}


async def test_stale_if_match_is_412_and_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_admin: dict[str, str]
) -> None:
    item = await make_item(session, store, name="Iced tea")
    for method in ("PUT", "DELETE"):
        response = await client.request(
            method,
            f"{ITEMS}/{item.id}",
            json={"name": "Hot tea"},
            headers={**as_admin, "If-Match": '"2"'},
        )
        assert response.status_code == 412, method
        assert response.json()["code"] == "rtde_item_changed"
    read = await client.get(f"{ITEMS}/{item.id}", headers=as_admin)
    assert read.json()["item"]["name"] == "Iced tea"
    assert read.headers["etag"] == '"1"'
    assert await audit_events(session) == []


async def test_reorder_with_an_unknown_id_is_404_and_changes_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    other_store: Store,
    as_admin: dict[str, str],
) -> None:
    first, second = await make_items(session, store, {"name": "A"}, {"name": "B"})
    foreign = await make_item(session, other_store, name="Z")
    for unknown in (foreign.id, "00000000-0000-0000-0000-000000000000"):
        body = {
            "item_orders": [
                {"id": str(second.id), "display_order": 1},
                {"id": str(first.id), "display_order": 2},
                {"id": str(unknown), "display_order": 3},
            ]
        }
        response = await client.put(f"{ITEMS}/reorder", json=body, headers=as_admin)
        assert response.status_code == 404
        assert response.json() == ITEM_NOT_FOUND
    assert await orders(session, store) == {"A": 1, "B": 2}
    assert await orders(session, other_store) == {"Z": 1}
    assert await audit_events(session) == []


@pytest.mark.parametrize(
    "orders_sent",
    [
        [],
        [{"id": "FIRST", "display_order": 1}, {"id": "FIRST", "display_order": 2}],
        [{"id": "FIRST"}],
        [{"id": "FIRST", "display_order": "1"}],
        [{"id": "FIRST", "display_order": 1.5}],
        [{"id": "FIRST", "display_order": True}],
        [{"id": "FIRST", "display_order": -1}],
        [{"id": "FIRST", "display_order": None}],
        [{"id": "not-a-uuid", "display_order": 1}],
        [{"id": "FIRST", "display_order": 1, "name": "x"}],
    ],
)
async def test_reorder_refuses_bad_bodies_with_422(
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    as_admin: dict[str, str],
    orders_sent: list[dict[str, Any]],
) -> None:
    (item,) = await make_items(session, store, {"name": "A", "display_order": 5})
    body = {
        "item_orders": [
            {key: str(item.id) if value == "FIRST" else value for key, value in entry.items()}
            for entry in orders_sent
        ]
    }
    response = await client.put(f"{ITEMS}/reorder", json=body, headers=as_admin)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert await orders(session, store) == {"A": 5}


# --- Create, read, list ------------------------------------------------------------------


async def test_create_appends_after_every_item_and_answers_201(
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    admin: User,
    as_admin: dict[str, str],
) -> None:
    await make_items(session, store, {"name": "A"}, {"name": "B", "active": False})
    body = {
        "name": "  Cold brew ",
        "par_level": 12,
        "brand": "Backroom",
        "icon": "🧋",
        "image_filename": "cold-brew.png",
    }
    response = await client.post(ITEMS, json=body, headers=as_admin)
    assert response.status_code == 201, response.text
    created = response.json()
    item = created["item"]
    assert created["message"] == "Item created"
    assert response.headers["location"] == f"{ITEMS}/{item['id']}"
    assert response.headers["etag"] == '"1"'
    assert {key: item[key] for key in body} == {**body, "name": "Cold brew"}
    assert item["display_order"] == 3
    assert item["active"] is True
    assert item["version"] == 1
    assert item["created_at"].endswith("Z")
    assert item["updated_at"].endswith("Z")
    read = await client.get(response.headers["location"], headers=as_admin)
    assert read.json() == {"item": item}
    (event,) = await audit_events(session)
    assert event.action == "rtde.item.created"
    assert event.store_id == store.id
    assert event.actor_id == admin.id
    assert (event.target_type, event.target_id, event.target_label) == (
        "rtde_item",
        item["id"],
        "Cold brew",
    )
    assert event.details == {
        "activity_type": "rtde_item_created",
        "name": "Cold brew",
        "par_level": 12,
    }


async def test_create_with_an_idempotency_key_replays_the_first_response(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_admin: dict[str, str]
) -> None:
    headers = {**as_admin, "Idempotency-Key": "add-lemonade-1"}
    body = {"name": "Lemonade", "par_level": 4}
    first = await client.post(ITEMS, json=body, headers=headers)
    again = await client.post(ITEMS, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = await client.post(ITEMS, json={**body, "par_level": 5}, headers=headers)
    assert other.status_code == 422
    assert await orders(session, store) == {"Lemonade": 1}


async def test_list_is_in_display_order_and_hides_inactive_unless_asked(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_admin: dict[str, str]
) -> None:
    await make_items(
        session,
        store,
        {"name": "Third", "display_order": 3},
        {"name": "First", "display_order": 1},
        {"name": "Off", "display_order": 2, "active": False},
    )
    active = await client.get(ITEMS, headers=as_admin)
    assert [item["name"] for item in active.json()["items"]] == ["First", "Third"]
    every = await client.get(ITEMS, params={"include_inactive": "true"}, headers=as_admin)
    assert [item["name"] for item in every.json()["items"]] == ["First", "Off", "Third"]
    assert [item["active"] for item in every.json()["items"]] == [True, False, True]


# --- Update, delete, reorder -------------------------------------------------------------


async def test_put_changes_the_fields_sent_bumps_the_version_and_audits(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_admin: dict[str, str]
) -> None:
    item = await make_item(session, store, name="Tea", par_level=4, brand="Old")
    response = await client.put(
        f"{ITEMS}/{item.id}",
        json={"par_level": 9, "brand": None, "active": False},
        headers={**as_admin, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"] == "Item updated"
    assert response.headers["etag"] == '"2"'
    changed = body["item"]
    assert (changed["name"], changed["par_level"], changed["brand"], changed["active"]) == (
        "Tea",
        9,
        None,
        False,
    )
    assert changed["version"] == 2
    (event,) = await audit_events(session)
    assert event.action == "rtde.item.updated"
    assert event.details == {
        "activity_type": "rtde_item_updated",
        "name": "Tea",
        "changes": {"active": [True, False], "brand": ["Old", None], "par_level": [4, 9]},
    }


async def test_delete_removes_an_item_no_session_listed(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_admin: dict[str, str]
) -> None:
    item = await make_item(session, store, name="Fresh")
    response = await client.delete(f"{ITEMS}/{item.id}", headers=as_admin)
    assert response.status_code == 200
    assert response.json() == {"message": "Item deleted", "deleted_permanently": True}
    assert (await client.get(f"{ITEMS}/{item.id}", headers=as_admin)).status_code == 404
    (event,) = await audit_events(session)
    assert (event.action, event.target_label) == ("rtde.item.deleted", "Fresh")
    assert event.details == {
        "activity_type": "rtde_item_deleted",
        "name": "Fresh",
        "deleted_permanently": True,
    }


async def test_delete_deactivates_an_item_a_session_listed(
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    as_admin: dict[str, str],
    as_staff: dict[str, str],
) -> None:
    item = await make_item(session, store, name="Counted")
    assert (await client.post("/api/rtde/sessions/start", headers=as_staff)).status_code == 201
    response = await client.delete(f"{ITEMS}/{item.id}", headers=as_admin)
    assert response.status_code == 200
    assert response.json()["deleted_permanently"] is False
    read = await client.get(f"{ITEMS}/{item.id}", headers=as_admin)
    assert read.json()["item"]["active"] is False
    assert read.json()["item"]["version"] == 2
    events = await audit_events(session)
    assert events[-1].action == "rtde.item.deactivated"
    assert events[-1].details == {
        "activity_type": "rtde_item_deleted",
        "name": "Counted",
        "deleted_permanently": False,
    }


async def test_reorder_numbers_1_to_n_in_the_requested_order(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_admin: dict[str, str]
) -> None:
    a, b, c, d = await make_items(
        session, store, {"name": "A"}, {"name": "B"}, {"name": "C"}, {"name": "D", "active": False}
    )
    body = {
        "item_orders": [
            {"id": str(c.id), "display_order": 10},
            {"id": str(a.id), "display_order": 30},
            {"id": str(b.id), "display_order": 10},  # a tie keeps the order of the list
        ]
    }
    response = await client.put(f"{ITEMS}/reorder", json=body, headers=as_admin)
    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Items reordered"}
    # The unlisted (inactive) item follows the listed ones.
    assert await orders(session, store) == {"C": 1, "B": 2, "A": 3, "D": 4}
    listed = await client.get(ITEMS, headers=as_admin)
    assert [item["name"] for item in listed.json()["items"]] == ["C", "B", "A"]
    (event,) = await audit_events(session)
    assert event.action == "rtde.item.reordered"
    assert event.target_label is None
    assert event.details == {"order": [str(c.id), str(b.id), str(a.id), str(d.id)]}


# --- History -------------------------------------------------------------------------------


async def test_history_lists_completed_sessions_newest_first_paged(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    staff: User,
    coworker: User,
    as_admin: dict[str, str],
    as_staff: dict[str, str],
    as_coworker: dict[str, str],
    as_outsider: dict[str, str],
) -> None:
    first, second = await make_items(session, store, {"par_level": 5}, {"par_level": 3})
    finished = []
    for headers, pulled in ((as_staff, [first]), (as_coworker, [first, second]), (as_staff, [])):
        started = await client.post("/api/rtde/sessions/start", json={}, headers=headers)
        url = f"/api/rtde/sessions/{started.json()['session_id']}"
        await client.put(
            f"{url}/count", json={"item_id": str(first.id), "counted_quantity": 1}, headers=headers
        )
        for item in pulled:
            tick = {"item_id": str(item.id), "is_pulled": True}
            assert (await client.put(f"{url}/pull", json=tick, headers=headers)).status_code == 200
        assert (await client.post(f"{url}/complete", headers=headers)).status_code == 200
        finished.append(started.json()["session_id"])
    # An open session is not history.
    await client.post("/api/rtde/sessions/start", headers=as_coworker)

    page = await client.get("/api/rtde/sessions/history", headers=as_admin)
    assert page.status_code == 200
    body = page.json()
    assert (body["total"], body["limit"], body["offset"]) == (3, 30, 0)
    assert [entry["id"] for entry in body["sessions"]] == finished[::-1]
    assert [entry["user_name"] for entry in body["sessions"]] == [
        staff.name,
        coworker.name,
        staff.name,
    ]
    assert [entry["items_pulled"] for entry in body["sessions"]] == [0, 2, 1]
    assert {entry["items_counted"] for entry in body["sessions"]} == {1}
    assert {entry["total_items"] for entry in body["sessions"]} == {2}
    assert all(entry["completed_at"].endswith("Z") for entry in body["sessions"])

    second_page = await client.get(
        "/api/rtde/sessions/history", params={"limit": 2, "offset": 2}, headers=as_admin
    )
    assert [entry["id"] for entry in second_page.json()["sessions"]] == [finished[0]]
    assert second_page.json()["total"] == 3
    elsewhere = await client.get("/api/rtde/sessions/history", headers=as_outsider)
    assert elsewhere.json() == {"sessions": [], "total": 0, "limit": 30, "offset": 0}
    bad = await client.get("/api/rtde/sessions/history?limit=0", headers=as_admin)
    assert bad.status_code == 422
