"""Rules that only show under concurrency: no write is lost, versions never repeat."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import User
from tests.tools.tasks.factories import make_task


async def test_concurrent_patches_of_different_fields_both_land(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    task = await make_task(session, alice, title="orig")
    url = f"/api/tasks/{task.id}"
    first, second = await asyncio.gather(
        client.patch(url, json={"title": "renamed"}, headers=as_alice),
        client.patch(url, json={"priority": "high", "tags": ["t"]}, headers=as_alice),
    )
    assert first.status_code == second.status_code == 200
    assert {first.json()["version"], second.json()["version"]} == {2, 3}
    final = (await client.get(url, headers=as_alice)).json()
    assert (final["title"], final["priority"], final["tags"], final["version"]) == (
        "renamed",
        "high",
        ["t"],
        3,
    )


async def test_concurrent_flips_do_not_lose_one(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    task = await make_task(session, alice)
    url = f"/api/tasks/{task.id}/complete"
    responses = await asyncio.gather(*(client.patch(url, headers=as_alice) for _ in range(4)))
    assert [response.status_code for response in responses] == [200] * 4
    final = (await client.get(f"/api/tasks/{task.id}", headers=as_alice)).json()
    # Four flips bring it back where it started; a lost update would leave it completed.
    assert final["completed"] is False
    assert final["version"] == 5


async def test_concurrent_writes_with_the_same_if_match_let_exactly_one_through(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    task = await make_task(session, alice)
    headers = {**as_alice, "If-Match": '"1"'}
    responses = await asyncio.gather(
        *(
            client.patch(f"/api/tasks/{task.id}", json={"title": f"t{i}"}, headers=headers)
            for i in range(3)
        )
    )
    assert sorted(response.status_code for response in responses) == [200, 412, 412]
