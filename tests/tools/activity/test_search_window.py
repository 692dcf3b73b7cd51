"""Full-text search over more events than PostgreSQL's search window (2000 newest events).

A common word is answered from the window and a rare or old one by the index; either
way every match comes back once, newest first, page after page, and never another
store's. On SQLite the same promises hold through FTS5.
"""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.core.audit import AuditAction, AuditEvent
from tests.tools.activity.conftest import Crew

# More events than the window, so the oldest matches lie beyond it.
EVENTS = 2300
START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _label(number: int) -> str:
    if number == 0:
        return "Rare Pistachio Sauce"  # the oldest event of all
    if number % 23 == 0:
        return f"Common Vanilla Syrup {number}"  # 99 of them, spread over time
    return f"Oat Milk {number}"


async def _seed(session: AsyncSession, crew: Crew, other: Crew) -> dict[str, list[str]]:
    """The events, oldest first, in one store and a copy in the other; labels per word."""
    rows = [
        {
            "id": uuid.uuid4(),
            "at": START + dt.timedelta(seconds=number),
            "action": AuditAction.TRACKING_ITEM_ADDED.value,
            "actor_id": store.staff.user.id,
            "actor_name": store.staff.user.name,
            "store_id": store.store.id,
            "target_type": "tracking_item",
            "target_id": str(number),
            "target_label": _label(number),
            "details": {"code": f"{number % 10000:04d}", "name": _label(number)},
        }
        for store in (crew, other)
        for number in range(EVENTS)
    ]
    await session.execute(insert(AuditEvent), rows)
    await session.commit()
    labels = [_label(number) for number in reversed(range(EVENTS))]  # newest first
    return {
        "vani": [label for label in labels if "Vanilla" in label],
        "pistachio": [label for label in labels if "Pistachio" in label],
    }


async def _search_all(client: httpx.AsyncClient, crew: Crew, q: str, limit: int) -> list[str]:
    found: list[str] = []
    cursor = None
    for _ in range(EVENTS // limit + 2):  # a cursor that never ends fails, not hangs
        params: dict[str, str | int] = {"q": q, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/api/audit", params=params, headers=crew.admin.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert all(event["actor_id"] == str(crew.staff.user.id) for event in page["events"])
        found += [event["target_label"] for event in page["events"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError(f"paging did not end: {len(found)} events so far")


async def test_a_common_word_pages_through_every_match_newest_first(
    client: httpx.AsyncClient, session: AsyncSession, crew_a: Crew, crew_b: Crew
) -> None:
    expected = await _seed(session, crew_a, crew_b)
    assert len(expected["vani"]) == 99
    assert await _search_all(client, crew_a, "vani", 50) == expected["vani"]
    assert await _search_all(client, crew_a, "vani", 30) == expected["vani"]
    assert await _search_all(client, crew_a, "vanilla syrup", 200) == expected["vani"]


async def test_a_word_found_only_beyond_the_window_is_found(
    client: httpx.AsyncClient, session: AsyncSession, crew_a: Crew, crew_b: Crew
) -> None:
    expected = await _seed(session, crew_a, crew_b)
    assert await _search_all(client, crew_a, "pistachio", 50) == expected["pistachio"]
    assert await _search_all(client, crew_b, "pista", 50) == expected["pistachio"]
    assert await _search_all(client, crew_a, "nothinglikethis", 50) == []
