"""List and get read rows without the ORM: their JSON must be `TaskRead`'s, field for field."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from backroom.accounts.models import User
from backroom.tools.tasks.models import Priority, Task
from backroom.tools.tasks.schemas import TaskRead
from tests.tools.tasks.factories import make_tasks

DUE = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


async def _expected(session: AsyncSession, user: User) -> list[dict[str, object]]:
    """What the ORM path (`TaskRead.from_task`) serialises, newest first."""
    session.expunge_all()
    statement = (
        select(Task)
        .options(selectinload(Task.tags))
        .where(Task.user_id == user.id)
        .order_by(Task.id.desc())
    )
    tasks = (await session.execute(statement)).scalars().all()
    dumped = [TaskRead.from_task(task).model_dump(mode="json") for task in tasks]
    await session.rollback()  # end the read: on SQLite its transaction holds the write lock
    return dumped


async def test_list_and_get_match_the_schema_dump(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    await make_tasks(
        session,
        alice,
        [
            {"title": "plain"},
            {
                "title": "Full",
                "description": "notes ü",
                "priority": Priority.HIGH,
                "due_at": DUE,
                "completed": True,
                "tags": ["zeta", "Alpha", "mid"],
            },
            {"title": "low", "priority": Priority.LOW, "tags": ["one"]},
        ],
    )
    expected = await _expected(session, alice)

    listed = await client.get("/api/tasks", headers=as_alice)
    assert listed.status_code == 200
    assert listed.headers["content-type"] == "application/json; charset=utf-8"
    assert listed.json() == expected
    assert listed.json()[1]["tags"] == ["zeta", "Alpha", "mid"]
    assert listed.json()[1]["due_date"] == "2026-12-01T09:30:00Z"
    assert listed.json()[1]["completed_at"].endswith("Z")
    assert [task["priority"] for task in listed.json()] == ["low", "high", "medium"]

    for task in expected:
        got = await client.get(f"/api/tasks/{task['id']}", headers=as_alice)
        assert got.status_code == 200
        assert got.headers["content-type"] == "application/json; charset=utf-8"
        assert got.headers["etag"] == f'"{task["version"]}"'
        assert got.json() == task


async def test_a_page_by_cursor_is_the_same_rows(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    await make_tasks(session, alice, [{"tags": [f"t{i}"]} for i in range(5)])
    expected = await _expected(session, alice)
    first = await client.get("/api/tasks", params={"limit": 2}, headers=as_alice)
    next_url = first.headers["link"].split(">")[0].lstrip("<")
    second = await client.get(next_url, headers=as_alice)
    assert first.json() + second.json() == expected[:4]
