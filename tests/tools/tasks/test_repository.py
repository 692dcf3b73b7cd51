"""The list query end to end: each filter, each sort and direction, nulls last, paging links."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import User
from backroom.core.db import utcnow
from backroom.tools.tasks.models import Priority
from tests.tools.tasks.factories import make_tasks

DAY = dt.timedelta(days=1)


async def _titles(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = await client.get("/api/tasks", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()]


async def test_status_and_completed_filter(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    await make_tasks(session, alice, [{"title": "open"}, {"title": "done", "completed": True}])
    assert await _titles(client, as_alice, status="pending") == ["open"]
    assert await _titles(client, as_alice, status="active") == ["open"]
    assert await _titles(client, as_alice, status="completed") == ["done"]
    assert await _titles(client, as_alice, completed="false") == ["open"]
    assert await _titles(client, as_alice, completed="true") == ["done"]
    assert await _titles(client, as_alice, status="all") == ["done", "open"]


@pytest.mark.parametrize(
    ("needle", "expected"),
    [
        ("milk", ["Buy MILK"]),
        ("MILK", ["Buy MILK"]),
        ("100%", ["100% done"]),
        ("%", ["100% done"]),
        ("_", ["snake_case"]),
        ("\\", ["back\\slash"]),
        ("'; DROP TABLE task; --", []),
        ("ÉCOLE", ["école"]),
        ("in the notes", ["Plain"]),
    ],
)
async def test_search_is_a_case_insensitive_substring_with_metacharacters_taken_literally(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    alice: User,
    as_alice: dict[str, str],
    needle: str,
    expected: list[str],
) -> None:
    titles = ["Buy MILK", "100% done", "1000 done", "snake_case", "snakeXcase", "back\\slash"]
    specs: list[dict[str, Any]] = [{"title": title} for title in titles]
    specs += [{"title": "école"}, {"title": "Plain", "description": "It is IN THE NOTES"}]
    await make_tasks(session, alice, specs)
    assert sorted(await _titles(client, as_alice, search=needle)) == sorted(expected)
    assert sorted(await _titles(client, as_alice, q=needle)) == sorted(expected)


async def test_priority_filter_and_repeated_tags_must_all_match(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    await make_tasks(
        session,
        alice,
        [
            {"title": "both", "tags": ["Work", "urgent"], "priority": Priority.HIGH},
            {"title": "work", "tags": ["work"], "priority": Priority.HIGH},
            {"title": "none", "priority": Priority.LOW},
        ],
    )
    assert await _titles(client, as_alice, tag=["work", "URGENT"]) == ["both"]
    assert await _titles(client, as_alice, tag="WORK") == ["work", "both"]
    assert await _titles(client, as_alice, tag="nope") == []
    assert await _titles(client, as_alice, priority="high", tag="urgent") == ["both"]
    assert await _titles(client, as_alice, priority="low") == ["none"]


async def test_due_window_and_overdue(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    now = utcnow()
    await make_tasks(
        session,
        alice,
        [
            {"title": "past", "due_at": now - DAY},
            {"title": "past done", "due_at": now - DAY, "completed": True},
            {"title": "future", "due_at": now + 3 * DAY},
            {"title": "undated"},
        ],
    )
    assert await _titles(client, as_alice, overdue="true") == ["past"]
    assert await _titles(client, as_alice, overdue="false", sort="title") == [
        "future",
        "past",
        "past done",
        "undated",
    ]
    today = now.date().isoformat()
    assert await _titles(client, as_alice, due_before=today, sort="title") == [
        "past",
        "past done",
    ]
    assert await _titles(client, as_alice, due_after=(now + DAY).isoformat()) == ["future"]
    # A half-open window: [due_after, due_before).
    window = {"due_after": (now - DAY).isoformat(), "due_before": (now + 3 * DAY).isoformat()}
    assert await _titles(client, as_alice, sort="title", **window) == ["past", "past done"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["d", "c", "b", "a"]),
        ({"sort": "-created"}, ["a", "b", "c", "d"]),
        ({"sort": "created", "order": "asc"}, ["a", "b", "c", "d"]),
        ({"sort": "title"}, ["a", "b", "c", "d"]),
        ({"sort": "-title"}, ["d", "c", "b", "a"]),
        ({"sort": "-title", "order": "asc"}, ["a", "b", "c", "d"]),
        ({"sort": "priority"}, ["d", "c", "a", "b"]),
        ({"sort": "priority", "order": "asc"}, ["b", "a", "c", "d"]),
        ({"sort": "due_date"}, ["d", "b", "a", "c"]),
        ({"sort": "-due_date"}, ["a", "b", "d", "c"]),
        ({"sort": "due_date", "order": "desc"}, ["a", "b", "d", "c"]),
        ({"sort": "updated"}, ["b", "a", "d", "c"]),
        ({"sort": "updated", "order": "asc"}, ["c", "d", "a", "b"]),
    ],
)
async def test_sorts_have_a_natural_direction_a_reverse_and_nulls_last(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    alice: User,
    as_alice: dict[str, str],
    params: dict[str, str],
    expected: list[str],
) -> None:
    now = utcnow()
    # Created in the order a, b, c, d. Titles differ in case to show case is ignored.
    await make_tasks(
        session,
        alice,
        [
            {"title": "a", "priority": Priority.MEDIUM, "due_at": now + 2 * DAY,
             "updated_at": now + 3 * DAY},
            {"title": "B", "priority": Priority.LOW, "due_at": now + DAY,
             "updated_at": now + 4 * DAY},
            {"title": "c", "priority": Priority.HIGH, "updated_at": now + DAY},
            {"title": "D", "priority": Priority.HIGH, "due_at": now, "updated_at": now + 2 * DAY},
        ],
    )  # fmt: skip
    titles = await _titles(client, as_alice, **params)
    assert [title.lower() for title in titles] == expected


async def test_ties_are_broken_by_id_in_the_sort_direction(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    await make_tasks(session, alice, [{"title": "same"}, {"title": "SAME"}, {"title": "Same"}])
    response = await client.get("/api/tasks", params={"sort": "title"}, headers=as_alice)
    ids = [task["id"] for task in response.json()]
    assert ids == sorted(ids)
    response = await client.get("/api/tasks", params={"sort": "-title"}, headers=as_alice)
    ids = [task["id"] for task in response.json()]
    assert ids == sorted(ids, reverse=True)


async def test_offset_pages_link_to_a_cursor_next_and_an_offset_prev(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    await make_tasks(session, alice, [{"title": f"t{i}"} for i in range(5)])
    response = await client.get(
        "/api/tasks", params={"limit": 2, "offset": 2, "_t": "1"}, headers=as_alice
    )
    assert response.headers["x-total-count"] == "5"
    assert [task["title"] for task in response.json()] == ["t2", "t1"]
    links = response.links
    assert "cursor=" in links["next"]["url"]
    assert "_t=1" in links["next"]["url"]
    assert "offset" not in links["next"]["url"]
    assert "offset=0" in links["prev"]["url"]
    following = await client.get(links["next"]["url"], headers=as_alice)
    assert [task["title"] for task in following.json()] == ["t0"]
    assert "next" not in following.links
    back = await client.get(following.links["prev"]["url"], headers=as_alice)
    assert [task["title"] for task in back.json()] == ["t2", "t1"]
    assert {"next", "prev"} <= set(back.links)


async def test_first_and_only_page_has_no_links(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    await make_tasks(session, alice, [{"title": "only"}])
    response = await client.get("/api/tasks", headers=as_alice)
    assert response.headers["x-total-count"] == "1"
    assert "link" not in response.headers


async def test_total_count_is_exact_on_last_pages_past_the_end_and_by_cursor(
    client: httpx.AsyncClient,
    session: AsyncSession,
    alice: User,
    bob: User,
    as_alice: dict[str, str],
) -> None:
    await make_tasks(session, alice, [{"title": f"t{i}", "completed": i < 2} for i in range(5)])
    await make_tasks(session, bob, [{"title": f"b{i}"} for i in range(3)])

    async def total(**params: Any) -> str:
        response = await client.get("/api/tasks", params=params, headers=as_alice)
        assert response.status_code == 200, response.text
        return response.headers["x-total-count"]

    assert await total() == "5"  # the whole list on page 1
    assert await total(limit=2, offset=4) == "5"  # the last page, one row
    assert await total(limit=2, offset=9) == "5"  # past the end: no row to count from
    assert await total(status="pending", limit=2, offset=2) == "3"
    assert await total(status="completed", offset=2) == "2"
    first = await client.get("/api/tasks", params={"limit": 3}, headers=as_alice)
    last = await client.get(first.links["next"]["url"], headers=as_alice)
    assert [task["title"] for task in last.json()] == ["t1", "t0"]
    assert last.headers["x-total-count"] == "5"


async def test_a_cursor_is_bound_to_its_query_and_cannot_be_edited(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    await make_tasks(session, alice, [{"title": f"t{i}"} for i in range(3)])
    first = await client.get("/api/tasks", params={"limit": 1}, headers=as_alice)
    cursor = first.links["next"]["url"].split("cursor=")[1]
    other_sort = await client.get(
        "/api/tasks", params={"cursor": cursor, "sort": "title"}, headers=as_alice
    )
    assert other_sort.status_code == 422
    assert other_sort.json()["code"] == "invalid_cursor"
    other_filter = await client.get(
        "/api/tasks", params={"cursor": cursor, "status": "pending"}, headers=as_alice
    )
    assert other_filter.status_code == 422
    payload, signature = cursor.split(".")
    edited = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    tampered = await client.get(
        "/api/tasks", params={"cursor": f"{edited}.{signature}"}, headers=as_alice
    )
    assert tampered.status_code == 422
    with_offset = await client.get(
        "/api/tasks", params={"cursor": cursor, "offset": 1}, headers=as_alice
    )
    assert with_offset.status_code == 422
    # A different page size with the same cursor is fine.
    resized = await client.get(
        "/api/tasks", params={"cursor": cursor, "limit": 5}, headers=as_alice
    )
    assert [task["title"] for task in resized.json()] == ["t1", "t0"]
