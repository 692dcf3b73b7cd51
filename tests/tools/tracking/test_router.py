"""The tracking item routes over HTTP: gates, isolation, validation, then the happy paths."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Store, User
from backroom.core.audit import AuditEvent
from backroom.tools.tracking.models import TrackingHistory, TrackingItem
from tests.tools.tracking.factories import make_item, writes_of

ITEMS = "/api/tracking/items"
FULL_WIDTH = "\uff11\uff12\uff13\uff14"  # "1234" in full-width digits
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
NOT_FOUND = {
    "type": "https://backroom.dev/problems/tracking_item_not_found",
    "title": "Not Found",
    "status": 404,
    "detail": "No item with this code",
    "error": "No item with this code",
    "code": "tracking_item_not_found",
}

# A fixed id no row has: parameters must be the same in every pytest worker's collection.
UNKNOWN_ID = "0b7c6a52-4d0e-4f6b-9a51-3c2e8f1d7a90"

EVERY_ROUTE = [
    ("GET", ITEMS),
    ("GET", f"{ITEMS}/search?q=va&category=syrups"),
    ("GET", f"{ITEMS}/1234"),
    ("POST", ITEMS),
    ("PATCH", f"{ITEMS}/1234"),
    ("DELETE", f"{ITEMS}/1234"),
    ("POST", f"{ITEMS}/{UNKNOWN_ID}/restore"),
    ("GET", "/api/tracking/history"),
    ("GET", "/api/tracking/admin/suggestions"),
    ("POST", "/api/tracking/admin/suggestions"),
    ("DELETE", f"/api/tracking/admin/suggestions/{UNKNOWN_ID}"),
]


# --- Unhappy paths first ------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), EVERY_ROUTE)
async def test_every_route_needs_a_token(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path, json={"name": "Vanilla", "category": "syrups"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path"), EVERY_ROUTE)
async def test_a_user_account_without_a_store_is_403_everywhere(
    client: httpx.AsyncClient, as_user_account: dict[str, str], method: str, path: str
) -> None:
    body = {"name": "Vanilla", "category": "syrups"}
    response = await client.request(method, path, json=body, headers=as_user_account)
    assert response.status_code == 403, response.text
    assert isinstance(response.json()["error"], str)


@pytest.mark.parametrize(
    ("method", "path"),
    [(method, path) for method, path in EVERY_ROUTE if "/admin/" in path],
)
async def test_staff_get_403_on_admin_routes(
    client: httpx.AsyncClient, as_staff: dict[str, str], method: str, path: str
) -> None:
    response = await client.request(
        method, path, json={"name": "Vanilla", "category": "syrups"}, headers=as_staff
    )
    assert response.status_code == 403


async def test_another_stores_item_is_the_same_404_on_every_route(
    client: httpx.AsyncClient,
    session: AsyncSession,
    other_store: Store,
    as_staff: dict[str, str],
) -> None:
    theirs = await make_item(session, other_store, code="4242", name="Their Syrup")
    removed = await make_item(session, other_store, code="4343", removed=True)
    for method, path in [
        ("GET", f"{ITEMS}/4242"),
        ("PATCH", f"{ITEMS}/4242"),
        ("DELETE", f"{ITEMS}/4242"),
        ("DELETE", f"{ITEMS}/4343"),
        ("POST", f"{ITEMS}/{theirs.id}/restore"),
        ("POST", f"{ITEMS}/{removed.id}/restore"),
    ]:
        response = await client.request(method, path, json={"name": "Mine"}, headers=as_staff)
        assert response.status_code == 404, (method, path)
        assert response.json() == NOT_FOUND
    listed = await client.get(f"{ITEMS}?include_removed=true", headers=as_staff)
    assert listed.json() == {"items": [], "count": 0}
    history = await client.get("/api/tracking/history", headers=as_staff)
    assert history.json() == {"history": [], "count": 0, "total": 0}


@pytest.mark.parametrize("code", ["9999", "42", "12345", "12a4", "abcd", FULL_WIDTH, "%20123"])
async def test_unknown_or_malformed_code_is_the_same_404(
    client: httpx.AsyncClient, as_staff: dict[str, str], code: str
) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(
            method, f"{ITEMS}/{code}", json={"name": "New name"}, headers=as_staff
        )
        assert response.status_code == 404, (method, code)
        assert response.json() == NOT_FOUND


@pytest.mark.parametrize("item_id", ["nope", "1234", UNKNOWN_ID])
async def test_restore_of_an_unknown_or_malformed_id_is_404(
    client: httpx.AsyncClient, as_staff: dict[str, str], item_id: str
) -> None:
    response = await client.post(f"{ITEMS}/{item_id}/restore", headers=as_staff)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"category": "syrups"}, "name"),
        ({"name": "Vanilla"}, "category"),
        ({"name": "V", "category": "syrups"}, "name"),
        ({"name": "  V  ", "category": "syrups"}, "name"),
        ({"name": "x" * 101, "category": "syrups"}, "name"),
        ({"name": "Van\x00illa", "category": "syrups"}, "name"),
        ({"name": "Van\nilla", "category": "syrups"}, "name"),
        ({"name": "Van\x7filla", "category": "syrups"}, "name"),
        ({"name": 42, "category": "syrups"}, "name"),
        ({"name": None, "category": "syrups"}, "name"),
        ({"name": "Vanilla", "category": "milk"}, "category"),
        ({"name": "Vanilla", "category": 3}, "category"),
        ({"name": "Vanilla", "category": "syrups", "code": "42"}, "code"),
        ({"name": "Vanilla", "category": "syrups", "code": "12345"}, "code"),
        ({"name": "Vanilla", "category": "syrups", "code": "12a4"}, "code"),
        ({"name": "Vanilla", "category": "syrups", "code": FULL_WIDTH}, "code"),
        ({"name": "Vanilla", "category": "syrups", "code": " 123"}, "code"),
        ({"name": "Vanilla", "category": "syrups", "code": "12 4"}, "code"),
        ({"name": "Vanilla", "category": "syrups", "code": 1234}, "code"),
        ({"name": "Vanilla", "category": "syrups", "store_id": "x"}, "store_id"),
        ({"name": "Vanilla", "category": "syrups", "is_removed": True}, "is_removed"),
    ],
)
async def test_invalid_item_is_422_and_writes_nothing(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    as_staff: dict[str, str],
    body: dict[str, Any],
    field: str,
) -> None:
    before = await writes_of(session, store)
    response = await client.post(ITEMS, json=body, headers=as_staff)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert isinstance(problem["error"], str)
    assert field in {error["field"] for error in problem["errors"]}
    assert await writes_of(session, store) == before


@pytest.mark.parametrize(
    "body",
    [
        {"name": None},
        {"category": None},
        {"name": "x"},
        {"category": "milk"},
        {"code": "1111"},
        {"name": "Fine name", "removed": True},
    ],
)
async def test_invalid_update_is_422_and_changes_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    as_staff: dict[str, str],
    body: dict[str, Any],
) -> None:
    await make_item(session, store, code="1234", name="Vanilla Syrup")
    before = await writes_of(session, store)
    response = await client.patch(f"{ITEMS}/1234", json=body, headers=as_staff)
    assert response.status_code == 422
    assert await writes_of(session, store) == before
    item = (await client.get(f"{ITEMS}/1234", headers=as_staff)).json()["item"]
    assert (item["name"], item["category"]) == ("Vanilla Syrup", "syrups")


@pytest.mark.parametrize(
    "query",
    [
        "category=milk",
        "limit=0",
        "limit=10001",
        "offset=-1",
        "limit=ten",
        "include_removed=maybe",
        "q=" + "x" * 101,
        "q=a%00b",
    ],
)
async def test_bad_list_parameters_are_422(
    client: httpx.AsyncClient, as_staff: dict[str, str], query: str
) -> None:
    response = await client.get(f"{ITEMS}?{query}", headers=as_staff)
    assert response.status_code == 422, query


async def test_explicit_code_held_by_an_active_item_is_409_with_a_readable_error(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    await make_item(session, store, code="0042", name="Vanilla Syrup")
    before = await writes_of(session, store)
    response = await client.post(
        ITEMS,
        json={"name": "Caramel Syrup", "category": "syrups", "code": "0042"},
        headers=as_staff,
    )
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "code_in_use"
    assert problem["error"] == problem["detail"]
    assert "0042" in problem["error"]
    assert await writes_of(session, store) == before


async def test_remove_twice_is_409_and_writes_once(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    await make_item(session, store, code="5555")
    first = await client.delete(f"{ITEMS}/5555", headers=as_staff)
    assert first.status_code == 200
    after_first = await writes_of(session, store)
    second = await client.delete(f"{ITEMS}/5555", headers=as_staff)
    assert second.status_code == 409
    assert second.json()["code"] == "item_already_removed"
    assert await writes_of(session, store) == after_first


async def test_restore_of_an_item_not_removed_is_409(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    item = await make_item(session, store, code="6666")
    response = await client.post(f"{ITEMS}/{item.id}/restore", headers=as_staff)
    assert response.status_code == 409
    assert response.json()["code"] == "item_not_removed"


async def test_reused_code_then_restoring_the_old_item_is_409_code_in_use(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    old = await make_item(session, store, code="7777", name="Old Syrup")
    assert (await client.delete(f"{ITEMS}/7777", headers=as_staff)).status_code == 200
    reuse = await client.post(
        ITEMS, json={"name": "New Syrup", "category": "syrups", "code": "7777"}, headers=as_staff
    )
    assert reuse.status_code == 201
    new_id = reuse.json()["item"]["id"]
    before = await writes_of(session, store)
    restore = await client.post(f"{ITEMS}/{old.id}/restore", headers=as_staff)
    assert restore.status_code == 409
    assert restore.json()["code"] == "code_in_use"
    assert await writes_of(session, store) == before
    active = (await client.get(f"{ITEMS}/7777", headers=as_staff)).json()["item"]
    assert active["id"] == new_id
    listed = (await client.get(f"{ITEMS}?include_removed=true", headers=as_staff)).json()
    states = {item["id"]: item["is_removed"] for item in listed["items"]}
    assert states == {new_id: False, str(old.id): True}


# --- Create, read, list ---------------------------------------------------------------------


def _assert_item_shape(item: dict[str, Any]) -> None:
    assert set(item) == {
        "id", "name", "category", "code", "added_by", "added_by_name", "added_at",
        "is_removed", "removed_at", "removed_by", "removed_by_name",
    }  # fmt: skip
    assert isinstance(item["id"], str)
    uuid.UUID(item["id"])
    assert isinstance(item["code"], str)
    assert len(item["code"]) == 4
    assert isinstance(item["is_removed"], bool)
    assert ISO_Z.match(item["added_at"])
    assert item["removed_at"] is None or ISO_Z.match(item["removed_at"])


async def test_create_with_a_code_keeps_its_leading_zeros(
    client: httpx.AsyncClient, staff: User, as_staff: dict[str, str]
) -> None:
    response = await client.post(
        ITEMS,
        json={"name": "  Vanilla Syrup ", "category": "SYRUPS", "code": "0042"},
        headers=as_staff,
    )
    assert response.status_code == 201
    assert response.headers["location"] == f"{ITEMS}/0042"
    body = response.json()
    assert set(body) == {"message", "item"}
    item = body["item"]
    _assert_item_shape(item)
    assert item["code"] == "0042"
    assert item["name"] == "Vanilla Syrup"
    assert item["category"] == "syrups"
    assert item["added_by"] == str(staff.id)
    assert item["added_by_name"] == staff.name
    assert item["is_removed"] is False
    fetched = await client.get(f"{ITEMS}/0042", headers=as_staff)
    assert fetched.json() == {"item": item}


async def test_create_without_a_code_gets_a_free_four_digit_code(
    client: httpx.AsyncClient, as_staff: dict[str, str]
) -> None:
    response = await client.post(
        ITEMS, json={"name": "Oat Milk", "category": "other"}, headers=as_staff
    )
    assert response.status_code == 201
    code = response.json()["item"]["code"]
    assert re.fullmatch(r"[0-9]{4}", code)
    assert (await client.get(f"{ITEMS}/{code}", headers=as_staff)).status_code == 200
    with_null = await client.post(
        ITEMS, json={"name": "Oat Milk", "category": "other", "code": None}, headers=as_staff
    )
    assert with_null.status_code == 201
    assert with_null.json()["item"]["code"] not in {code, None}


async def test_the_same_code_may_be_active_in_two_stores(
    client: httpx.AsyncClient, as_staff: dict[str, str], as_other_staff: dict[str, str]
) -> None:
    body = {"name": "Vanilla Syrup", "category": "syrups", "code": "1234"}
    ours = await client.post(ITEMS, json=body, headers=as_staff)
    theirs = await client.post(ITEMS, json=body, headers=as_other_staff)
    assert (ours.status_code, theirs.status_code) == (201, 201)
    assert ours.json()["item"]["id"] != theirs.json()["item"]["id"]


async def test_a_removed_items_code_can_be_reused(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    await make_item(session, store, code="3141", removed=True)
    response = await client.post(
        ITEMS, json={"name": "Cold Cup Lids", "category": "lids", "code": "3141"}, headers=as_staff
    )
    assert response.status_code == 201


async def test_list_is_newest_first_with_filters_and_count(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    created = []
    for name, category, code in [
        ("Vanilla Syrup", "syrups", "1001"),
        ("Mocha Sauce", "sauces", "1002"),
        ("Caramel Syrup", "syrups", "1003"),
        ("Dome Lids", "lids", "1004"),
    ]:
        response = await client.post(
            ITEMS, json={"name": name, "category": category, "code": code}, headers=as_staff
        )
        created.append(response.json()["item"])
    await client.delete(f"{ITEMS}/1004", headers=as_staff)

    active = (await client.get(ITEMS, headers=as_staff)).json()
    assert [item["code"] for item in active["items"]] == ["1003", "1002", "1001"]
    assert active["count"] == 3
    for item in active["items"]:
        _assert_item_shape(item)
    everything = (await client.get(f"{ITEMS}?include_removed=true", headers=as_staff)).json()
    assert [item["code"] for item in everything["items"]] == ["1004", "1003", "1002", "1001"]
    syrups = (await client.get(f"{ITEMS}?category=Syrups", headers=as_staff)).json()
    assert [item["code"] for item in syrups["items"]] == ["1003", "1001"]
    searched = (await client.get(f"{ITEMS}?q=SYRUP", headers=as_staff)).json()
    assert [item["name"] for item in searched["items"]] == ["Caramel Syrup", "Vanilla Syrup"]
    paged = (await client.get(f"{ITEMS}?limit=1&offset=1", headers=as_staff)).json()
    assert [item["code"] for item in paged["items"]] == ["1002"]
    assert paged["count"] == 3
    by_code = (await client.get(f"{ITEMS}?q=100&_t=123", headers=as_staff)).json()
    assert by_code["count"] == 3


@pytest.mark.parametrize(
    ("limit", "offset"),
    [(5, 0), (4, 0), (6, 0), (2, 3), (2, 4), (1, 4), (3, 5), (1, 7)],
)
async def test_list_count_is_every_match_whichever_page_is_read(
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    as_staff: dict[str, str],
    *,
    limit: int,
    offset: int,
) -> None:
    """A page that reaches the end, one past it and one in the middle all report the
    same count as the whole list, and the removed item stays out of both."""
    start = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    codes = [f"30{n:02d}" for n in range(5)]
    for n, code in enumerate(codes):
        await make_item(session, store, code=code, added_at=start + dt.timedelta(minutes=n))
    await make_item(session, store, code="3099", removed=True)
    newest_first = codes[::-1]

    response = await client.get(f"{ITEMS}?limit={limit}&offset={offset}", headers=as_staff)

    assert response.status_code == 200
    page = response.json()
    assert [item["code"] for item in page["items"]] == newest_first[offset : offset + limit]
    assert page["count"] == 5


async def test_list_search_treats_wildcards_as_characters(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    await make_item(session, store, code="2001", name="100% Arabica")
    await make_item(session, store, code="2002", name="1000 Arabica")
    response = await client.get(f"{ITEMS}?q=0%25", headers=as_staff)
    assert [item["name"] for item in response.json()["items"]] == ["100% Arabica"]


# --- Writes and their traces ------------------------------------------------------------------


async def _history_and_audit(
    session: AsyncSession, item_id: str
) -> tuple[list[TrackingHistory], list[AuditEvent]]:
    history = (
        await session.execute(
            select(TrackingHistory)
            .where(TrackingHistory.item_id == uuid.UUID(item_id))
            .order_by(TrackingHistory.timestamp)
        )
    ).scalars()
    events = (
        await session.execute(
            select(AuditEvent).where(AuditEvent.target_id == item_id).order_by(AuditEvent.at)
        )
    ).scalars()
    result = list(history), list(events)
    await session.commit()
    return result


async def test_each_write_leaves_one_history_row_and_one_audit_event(
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    staff: User,
    as_staff: dict[str, str],
) -> None:
    created = await client.post(
        ITEMS, json={"name": "Vanila Syrup", "category": "syrups", "code": "0808"}, headers=as_staff
    )
    item_id = created.json()["item"]["id"]
    renamed = await client.patch(
        f"{ITEMS}/0808", json={"name": "Vanilla Syrup", "category": "sauces"}, headers=as_staff
    )
    assert renamed.status_code == 200
    assert renamed.json()["message"] == "Item updated"
    assert renamed.json()["item"]["name"] == "Vanilla Syrup"
    removed = await client.delete(f"{ITEMS}/0808", headers=as_staff)
    assert removed.status_code == 200
    removed_item = removed.json()["item"]
    assert removed_item["is_removed"] is True
    assert removed_item["removed_by"] == str(staff.id)
    assert ISO_Z.match(removed_item["removed_at"])
    assert (await client.get(f"{ITEMS}/0808", headers=as_staff)).status_code == 404
    restored = await client.post(f"{ITEMS}/{item_id}/restore", headers=as_staff)
    assert restored.status_code == 200
    assert restored.json()["item"]["is_removed"] is False
    assert restored.json()["item"]["removed_at"] is None

    history, events = await _history_and_audit(session, item_id)
    assert [(row.action, row.item_name, row.item_code) for row in history] == [
        ("ADD", "Vanila Syrup", "0808"),
        ("ADD", "Vanilla Syrup", "0808"),
        ("REMOVE", "Vanilla Syrup", "0808"),
        ("ADD", "Vanilla Syrup", "0808"),
    ]
    assert {row.user_id for row in history} == {staff.id}
    assert [row.notes for row in history][3] == "Restored"
    assert [event.action for event in events] == [
        "tracking.item.added",
        "tracking.item.renamed",
        "tracking.item.removed",
        "tracking.item.restored",
    ]
    for event in events:
        assert event.store_id == store.id
        assert event.actor_id == staff.id
        assert event.target_type == "tracking_item"
        assert event.target_label == "Vanilla Syrup" or event.action == "tracking.item.added"
    assert events[0].details == {"code": "0808", "category": "syrups", "name": "Vanila Syrup"}
    assert events[1].details == {
        "code": "0808",
        "category": "sauces",
        "name": "Vanilla Syrup",
        "changes": {"name": ["Vanila Syrup", "Vanilla Syrup"], "category": ["syrups", "sauces"]},
    }


async def test_an_update_that_changes_nothing_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    await make_item(session, store, code="1212", name="Dome Lids", category="lids")
    before = await writes_of(session, store)
    response = await client.patch(
        f"{ITEMS}/1212", json={"name": "Dome Lids", "category": "lids"}, headers=as_staff
    )
    assert response.status_code == 200
    assert await writes_of(session, store) == before


async def test_idempotency_key_replays_the_first_create(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    headers = {**as_staff, "Idempotency-Key": "add-vanilla-1"}
    body = {"name": "Vanilla Syrup", "category": "syrups"}
    first = await client.post(ITEMS, json=body, headers=headers)
    again = await client.post(ITEMS, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await writes_of(session, store) == (1, 1, 1)
    other = await client.post(ITEMS, json={**body, "name": "Caramel Syrup"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"


async def test_db_rows_match_the_response(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    response = await client.post(
        ITEMS, json={"name": "Straws", "category": "condiments"}, headers=as_staff
    )
    item = response.json()["item"]
    row = await session.get(TrackingItem, uuid.UUID(item["id"]))
    await session.commit()
    assert row is not None
    assert (row.store_id, row.code, row.name, row.is_removed) == (
        store.id,
        item["code"],
        "Straws",
        False,
    )


async def test_search_is_a_route_of_its_own_not_a_code(
    client: httpx.AsyncClient, as_staff: dict[str, str]
) -> None:
    response = await client.patch(f"{ITEMS}/search", json={"name": "New name"}, headers=as_staff)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
