"""The history's `total` comes from per-store counts the database keeps (migration 0010):
exact after every add and remove, per action, per store, and from the first upgrade on.
"""

from __future__ import annotations

import uuid

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role
from backroom.core.config import Settings
from backroom.core.migrations import upgrade, with_connection
from tests.factories import auth_headers, make_store, make_user

HISTORY = "/api/tracking/history"
BEFORE_COUNTS = "0009"


async def _staff(session: AsyncSession, settings: Settings) -> dict[str, str]:
    store = await make_store(session)
    return auth_headers(settings, await make_user(session, role=Role.STAFF, store=store))


async def _add_and_remove(
    client: httpx.AsyncClient, headers: dict[str, str], adds: int, removes: int
) -> None:
    codes = []
    for number in range(adds):
        body = {"name": f"Box {number}", "category": "cups"}
        response = await client.post("/api/tracking/items", json=body, headers=headers)
        assert response.status_code == 201, response.text
        codes.append(response.json()["item"]["code"])
    for code in codes[:removes]:
        response = await client.delete(f"/api/tracking/items/{code}", headers=headers)
        assert response.status_code == 200, response.text


async def _total(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> int:
    response = await client.get(HISTORY, params={"limit": "1", **params}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == min(1, body["total"])
    total: int = body["total"]
    return total


async def test_totals_count_each_action_of_each_store_alone(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    mine, theirs = await _staff(session, settings), await _staff(session, settings)
    await _add_and_remove(client, mine, adds=4, removes=3)
    await _add_and_remove(client, theirs, adds=2, removes=1)

    assert await _total(client, mine) == 7
    assert await _total(client, mine, action="add") == 4
    assert await _total(client, mine, action="REMOVE") == 3
    assert await _total(client, theirs) == 3
    assert await _total(client, theirs, action="Add") == 2


async def test_a_store_without_history_has_a_total_of_zero(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    headers = await _staff(session, settings)
    response = await client.get(HISTORY, headers=headers)
    assert response.json() == {"history": [], "count": 0, "total": 0}
    assert await _total(client, headers, action="remove") == 0


def test_the_upgrade_counts_the_history_written_before_it(fresh_database: str) -> None:
    upgrade(fresh_database, BEFORE_COUNTS)
    sqlite = "sqlite" in fresh_database
    store_id, item_id = uuid.uuid4(), uuid.uuid4()

    def ident(value: uuid.UUID) -> object:
        return value.hex if sqlite else value

    def write_history(connection: Connection) -> None:
        connection.execute(
            sa.text(
                "INSERT INTO store (id, name, timezone, created_at, updated_at) "
                "VALUES (:id, 'Old Store', 'UTC', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"id": ident(store_id)},
        )
        connection.execute(
            sa.text(
                "INSERT INTO tracking_item (id, store_id, name, name_key, category, code, "
                "added_at, is_removed, version, created_at, updated_at) VALUES (:id, :store, "
                "'Lids', 'lids', 'lids', '0042', CURRENT_TIMESTAMP, false, 1, CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP)"
            ),
            {"id": ident(item_id), "store": ident(store_id)},
        )
        for action in ("ADD", "REMOVE", "ADD"):
            connection.execute(
                sa.text(
                    "INSERT INTO tracking_history (id, store_id, item_id, item_name, item_code, "
                    "action, timestamp) VALUES (:id, :store, :item, 'Lids', '0042', :action, "
                    "CURRENT_TIMESTAMP)"
                ),
                {
                    "id": ident(uuid.uuid4()),
                    "store": ident(store_id),
                    "item": ident(item_id),
                    "action": action,
                },
            )
        connection.commit()

    with_connection(fresh_database, write_history)
    upgrade(fresh_database)

    def counts(connection: Connection) -> list[tuple[int, int]]:
        rows = connection.execute(
            sa.text("SELECT adds, removes FROM tracking_history_count WHERE store_id = :store"),
            {"store": ident(store_id)},
        )
        return [(int(adds), int(removes)) for adds, removes in rows]

    assert with_connection(fresh_database, counts) == [(2, 1)]
