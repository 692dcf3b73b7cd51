"""Per-owner task counters: exact after every kind of write, under races, and after a backfill."""

from __future__ import annotations

import asyncio
import random
import uuid

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from backroom.accounts.models import User
from backroom.core.migrations import downgrade, upgrade
from backroom.tools.tasks.models import Task, TaskCount
from tests.factories import make_user
from tests.tools.tasks.factories import make_tasks


async def _stored(session: AsyncSession, user_id: uuid.UUID) -> tuple[int, int]:
    """The counters as stored (0, 0 without a row)."""
    row = (
        await session.execute(
            select(TaskCount.total, TaskCount.completed).where(TaskCount.user_id == user_id)
        )
    ).first()
    await session.rollback()
    return (0, 0) if row is None else (row[0], row[1])


async def _actual(session: AsyncSession, user_id: uuid.UUID) -> tuple[int, int]:
    """The counts from the task rows themselves."""
    total = func.count()
    done = func.coalesce(func.sum(func.cast(Task.completed, type_=Task.version.type)), 0)
    row = (await session.execute(select(total, done).where(Task.user_id == user_id))).one()
    await session.rollback()
    return (int(row[0]), int(row[1]))


async def _header_totals(client: httpx.AsyncClient, headers: dict[str, str]) -> list[int]:
    """X-Total-Count of all / pending / completed, on a page that does not show it all."""
    totals = []
    for status in ("all", "pending", "completed"):
        response = await client.get(
            "/api/tasks", params={"status": status, "limit": 1, "sort": "title"}, headers=headers
        )
        assert response.status_code == 200, response.text
        totals.append(int(response.headers["x-total-count"]))
    return totals


async def test_an_owner_without_tasks_counts_zero(
    client: httpx.AsyncClient, as_alice: dict[str, str]
) -> None:
    assert await _header_totals(client, as_alice) == [0, 0, 0]


async def test_counters_follow_creates_completions_updates_and_deletes(
    client: httpx.AsyncClient,
    session: AsyncSession,
    alice: User,
    bob: User,
    as_alice: dict[str, str],
) -> None:
    alice_id, bob_id = alice.id, bob.id
    await make_tasks(session, bob, [{"completed": True}, {}])  # another owner's rows
    ids = []
    for index in range(5):
        body = {"title": f"t{index}", "completed": index == 0}
        created = await client.post("/api/tasks", json=body, headers=as_alice)
        assert created.status_code == 201
        ids.append(created.json()["id"])
    assert await _header_totals(client, as_alice) == [5, 4, 1]

    await client.patch(f"/api/tasks/{ids[1]}/complete", headers=as_alice)  # flip: done
    await client.patch(f"/api/tasks/{ids[0]}", json={"completed": False}, headers=as_alice)
    await client.patch(f"/api/tasks/{ids[2]}", json={"title": "renamed"}, headers=as_alice)
    await client.patch(
        f"/api/tasks/{ids[3]}/complete", json={"completed": False}, headers=as_alice
    )  # already pending: no change
    assert await _header_totals(client, as_alice) == [5, 4, 1]

    await client.patch(f"/api/tasks/{ids[2]}/complete", headers=as_alice)
    assert (await client.delete(f"/api/tasks/{ids[1]}", headers=as_alice)).status_code == 204
    assert (await client.delete(f"/api/tasks/{ids[4]}", headers=as_alice)).status_code == 204
    assert await _header_totals(client, as_alice) == [3, 2, 1]
    assert await _stored(session, alice_id) == (3, 1) == await _actual(session, alice_id)
    assert await _stored(session, bob_id) == (2, 1) == await _actual(session, bob_id)


async def test_filtered_lists_still_count_the_matching_rows(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    await make_tasks(
        session,
        alice,
        [{"title": "milk", "tags": ["dairy"]}, {"title": "more milk"}, {"title": "eggs"}],
    )
    response = await client.get(
        "/api/tasks", params={"search": "milk", "limit": 1}, headers=as_alice
    )
    assert response.headers["x-total-count"] == "2"
    response = await client.get("/api/tasks", params={"tag": "dairy"}, headers=as_alice)
    assert response.headers["x-total-count"] == "1"


async def test_counters_stay_exact_under_concurrent_creates_deletes_and_completes(
    client: httpx.AsyncClient,
    session: AsyncSession,
    alice: User,
    as_alice: dict[str, str],
) -> None:
    alice_id = alice.id
    seeded = await make_tasks(session, alice, [{"completed": i % 2 == 0} for i in range(12)])
    calls = [
        client.post("/api/tasks", json={"title": f"new {i}"}, headers=as_alice) for i in range(8)
    ]
    calls += [client.delete(f"/api/tasks/{task.id}", headers=as_alice) for task in seeded[:4]]
    calls += [
        client.patch(f"/api/tasks/{task.id}/complete", headers=as_alice) for task in seeded[4:]
    ]
    # The same task deleted twice and flipped twice at once: one delete wins, flips queue.
    calls += [client.delete(f"/api/tasks/{seeded[0].id}", headers=as_alice)]
    calls += [client.patch(f"/api/tasks/{seeded[5].id}/complete", headers=as_alice)]
    random.Random(12).shuffle(calls)
    responses = await asyncio.gather(*calls)
    codes = sorted(response.status_code for response in responses)
    assert codes == sorted([201] * 8 + [204] * 4 + [404] + [200] * 9), [
        response.text for response in responses if response.status_code >= 400
    ]

    # 12 seeded - 4 deleted + 8 created = 16. The 8 survivors were flipped: the 4 done
    # ones (4, 6, 8, 10) are pending now and the 4 pending ones done, except seeded[5],
    # flipped twice and pending again: 3 done.
    assert await _actual(session, alice_id) == (16, 3)
    assert await _stored(session, alice_id) == (16, 3)
    assert await _header_totals(client, as_alice) == [16, 13, 3]


async def test_deleting_the_owner_removes_their_counters(
    session: AsyncSession, alice: User, bob: User
) -> None:
    alice_id, bob_id = alice.id, bob.id
    await make_tasks(session, alice, [{}, {"completed": True}])
    await make_tasks(session, bob, [{}])
    assert await _stored(session, alice_id) == (2, 1)
    await session.delete(await session.get(User, alice_id))
    await session.commit()
    assert await _stored(session, alice_id) == (0, 0)
    assert await _stored(session, bob_id) == (1, 0)


def test_the_migration_backfills_the_counters_of_existing_tasks(fresh_database: str) -> None:
    upgrade(fresh_database)

    async def seed() -> list[User]:
        engine = create_async_engine(fresh_database, poolclass=NullPool)
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            users = [await make_user(session), await make_user(session)]
            await make_tasks(session, users[0], [{}, {"completed": True}, {"completed": True}])
            await make_tasks(session, users[1], [{}])
        await engine.dispose()
        return users

    async def stored() -> dict[str, tuple[int, int]]:
        engine = create_async_engine(fresh_database, poolclass=NullPool)
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT user_id, total, completed FROM task_count")
            )
            found = {str(row[0]).replace("-", ""): (row[1], row[2]) for row in rows}
        await engine.dispose()
        return found

    users = asyncio.run(seed())
    downgrade(fresh_database, "0003")  # as a database was before the counters existed
    upgrade(fresh_database)
    assert asyncio.run(stored()) == {users[0].id.hex: (3, 2), users[1].id.hex: (1, 0)}
