"""The store's history: newest first, filters, bounds, and the shape the tablet app reads."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role, Store, User
from backroom.core.config import Settings
from tests.factories import auth_headers, make_user

HISTORY = "/api/tracking/history"
ITEMS = "/api/tracking/items"
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=501",
        "offset=-1",
        "limit=x",
        "user_id=not-a-uuid",
        "action=MOVE",
        "item_code=42",
        "item_code=12a4",
    ],
)
async def test_bad_history_parameters_are_422(
    client: httpx.AsyncClient, as_staff: dict[str, str], query: str
) -> None:
    response = await client.get(f"{HISTORY}?{query}", headers=as_staff)
    assert response.status_code == 422, query
    assert response.json()["code"] == "validation_error"


async def _walk(
    client: httpx.AsyncClient, sam: dict[str, str], kim: dict[str, str]
) -> list[tuple[str, str, dict[str, str]]]:
    """Sam adds 1111 and 2222, Kim removes 1111 and adds 3333: four entries, oldest first."""
    steps = [
        ("POST", "1111", sam),
        ("POST", "2222", sam),
        ("DELETE", "1111", kim),
        ("POST", "3333", kim),
    ]
    for method, code, headers in steps:
        if method == "POST":
            body = {"name": f"Box {code}", "category": "other", "code": code}
            response = await client.post(ITEMS, json=body, headers=headers)
        else:
            response = await client.delete(f"{ITEMS}/{code}", headers=headers)
        assert response.status_code in {200, 201}
    return steps


async def test_history_is_newest_first_with_filters_count_and_total(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    store: Store,
    staff: User,
    as_staff: dict[str, str],
) -> None:
    kim = await make_user(session, role=Role.STAFF, store=store, first_name="Kim")
    await _walk(client, as_staff, auth_headers(settings, kim))

    everything = (await client.get(f"{HISTORY}?_t=1", headers=as_staff)).json()
    assert set(everything) == {"history", "count", "total"}
    entries = everything["history"]
    assert [(e["action"], e["item_code"]) for e in entries] == [
        ("ADD", "3333"),
        ("REMOVE", "1111"),
        ("ADD", "2222"),
        ("ADD", "1111"),
    ]
    assert (everything["count"], everything["total"]) == (4, 4)
    first = entries[0]
    assert set(first) == {
        "id", "action", "item_id", "item_name", "item_code", "user_id", "user_name",
        "timestamp", "notes",
    }  # fmt: skip
    assert (first["item_name"], first["user_id"], first["user_name"]) == (
        "Box 3333",
        str(kim.id),
        kim.name,
    )
    assert ISO_Z.match(first["timestamp"])
    uuid.UUID(first["id"])
    assert first["notes"] is None

    def codes(body: dict[str, object]) -> list[str]:
        return [entry["item_code"] for entry in body["history"]]  # type: ignore[attr-defined]

    by_sam = (await client.get(HISTORY, params={"user_id": str(staff.id)}, headers=as_staff)).json()
    assert codes(by_sam) == ["2222", "1111"]
    removes = (await client.get(HISTORY, params={"action": "remove"}, headers=as_staff)).json()
    assert codes(removes) == ["1111"]
    adds = (await client.get(HISTORY, params={"action": "Add"}, headers=as_staff)).json()
    assert codes(adds) == ["3333", "2222", "1111"]
    of_1111 = (await client.get(HISTORY, params={"item_code": "1111"}, headers=as_staff)).json()
    assert [e["action"] for e in of_1111["history"]] == ["REMOVE", "ADD"]
    page = (await client.get(HISTORY, params={"limit": 2, "offset": 1}, headers=as_staff)).json()
    assert codes(page) == ["1111", "2222"]
    assert (page["count"], page["total"]) == (2, 4)
    past_end = (await client.get(HISTORY, params={"offset": 10}, headers=as_staff)).json()
    assert past_end == {"history": [], "count": 0, "total": 4}
    biggest = await client.get(HISTORY, params={"limit": 500}, headers=as_staff)
    assert biggest.status_code == 200


async def test_history_keeps_the_names_of_the_time(
    client: httpx.AsyncClient, as_staff: dict[str, str]
) -> None:
    body = {"name": "Vanila Syrup", "category": "syrups", "code": "4444"}
    assert (await client.post(ITEMS, json=body, headers=as_staff)).status_code == 201
    await client.patch(f"{ITEMS}/4444", json={"name": "Vanilla Syrup"}, headers=as_staff)
    entries = (await client.get(HISTORY, headers=as_staff)).json()["history"]
    assert [(e["item_name"], e["notes"]) for e in entries] == [
        ("Vanilla Syrup", "Renamed from 'Vanila Syrup' to 'Vanilla Syrup'"),
        ("Vanila Syrup", None),
    ]
