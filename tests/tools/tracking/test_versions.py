"""Tracking items carry their version as an ETag; PATCH and DELETE honour If-Match (API.md §1)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Store
from tests.tools.tracking.factories import make_item, writes_of

ITEMS = "/api/tracking/items"


async def _etag(client: httpx.AsyncClient, code: str, headers: dict[str, str]) -> str:
    response = await client.get(f"{ITEMS}/{code}", headers=headers)
    assert response.status_code == 200
    return response.headers["etag"]


async def test_a_new_item_reads_with_etag_1(
    client: httpx.AsyncClient, as_staff: dict[str, str]
) -> None:
    created = await client.post(
        ITEMS,
        json={"name": "Vanilla Syrup", "category": "syrups", "code": "0042"},
        headers=as_staff,
    )
    assert created.status_code == 201
    assert await _etag(client, "0042", as_staff) == '"1"'


@pytest.mark.parametrize(
    ("method", "body"), [("PATCH", {"name": "Caramel Syrup"}), ("DELETE", None)]
)
@pytest.mark.parametrize(
    ("if_match", "status", "code"),
    [
        ('"2"', 412, "tracking_item_changed"),
        ('"0", "7"', 412, "tracking_item_changed"),
        ("not-a-tag", 422, "invalid_if_match"),
        ("", 422, "invalid_if_match"),
    ],
)
async def test_a_stale_if_match_is_412_an_unreadable_one_422_and_neither_writes(
    client: httpx.AsyncClient,
    *,
    session: AsyncSession,
    store: Store,
    as_staff: dict[str, str],
    method: str,
    body: dict[str, str] | None,
    if_match: str,
    status: int,
    code: str,
) -> None:
    await make_item(session, store, code="0042", name="Vanilla Syrup")
    before = await writes_of(session, store)
    response = await client.request(
        method, f"{ITEMS}/0042", json=body, headers={**as_staff, "If-Match": if_match}
    )
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert isinstance(response.json()["error"], str)
    assert await writes_of(session, store) == before
    item = (await client.get(f"{ITEMS}/0042", headers=as_staff)).json()["item"]
    assert (item["name"], item["is_removed"]) == ("Vanilla Syrup", False)


async def test_an_unknown_code_is_404_whatever_if_match_says(
    client: httpx.AsyncClient, as_staff: dict[str, str]
) -> None:
    for code in ("0042", "0"):
        for method in ("PATCH", "DELETE"):
            response = await client.request(
                method,
                f"{ITEMS}/{code}",
                json={"name": "New name"},
                headers={**as_staff, "If-Match": ""},
            )
            assert response.status_code == 404, (code, method, response.text)


async def test_the_current_etag_lets_a_rename_through_and_moves_the_etag_on(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    await make_item(session, store, code="0042", name="Vanilla Syrup")
    tag = await _etag(client, "0042", as_staff)
    renamed = await client.patch(
        f"{ITEMS}/0042", json={"name": "Caramel Syrup"}, headers={**as_staff, "If-Match": tag}
    )
    assert renamed.status_code == 200
    assert renamed.json()["item"]["name"] == "Caramel Syrup"
    assert renamed.headers["etag"] == '"2"'
    assert await _etag(client, "0042", as_staff) == '"2"'
    # The tag read before the rename is now stale, for a second rename and for a removal.
    again = await client.patch(
        f"{ITEMS}/0042", json={"name": "Hazelnut Syrup"}, headers={**as_staff, "If-Match": tag}
    )
    assert again.status_code == 412
    gone = await client.delete(f"{ITEMS}/0042", headers={**as_staff, "If-Match": '"2"'})
    assert gone.status_code == 200
    assert gone.json()["item"]["is_removed"] is True


async def test_without_if_match_the_last_writer_wins(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    await make_item(session, store, code="0042", name="Vanilla Syrup")
    first = await client.patch(f"{ITEMS}/0042", json={"name": "Caramel Syrup"}, headers=as_staff)
    second = await client.patch(f"{ITEMS}/0042", json={"name": "Mocha Sauce"}, headers=as_staff)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.headers["etag"] == '"3"'


async def test_two_renames_from_one_read_let_exactly_one_through(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    await make_item(session, store, code="0042", name="Vanilla Syrup")
    tag = await _etag(client, "0042", as_staff)
    names = ["Caramel Syrup", "Mocha Sauce"]
    responses = await asyncio.gather(
        *(
            client.patch(f"{ITEMS}/0042", json={"name": n}, headers={**as_staff, "If-Match": tag})
            for n in names
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 412]
    [winner] = [r for r in responses if r.status_code == 200]
    item = (await client.get(f"{ITEMS}/0042", headers=as_staff)).json()["item"]
    assert item["name"] == winner.json()["item"]["name"]
    assert await _etag(client, "0042", as_staff) == '"2"'
