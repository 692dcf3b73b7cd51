"""Load-and-validate dependencies: owned tasks, the `{user_id}` family, If-Match, list query."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import User
from backroom.tools.tasks.models import Priority
from tests.factories import random_uuid
from tests.tools.tasks.factories import make_task, make_tasks
from tests.tools.tasks.test_router import NOT_FOUND

# --- OwnedTask: another user's task is indistinguishable from a missing one -------------------

WRITES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("PUT", "", {"title": "hijacked"}),
    ("PATCH", "", {"title": "hijacked"}),
    ("PATCH", "/complete", None),
    ("PATCH", "/complete", {"completed": True}),
    ("DELETE", "", None),
]


@pytest.mark.parametrize("prefix", ["/api", "bob"])
async def test_other_users_task_is_404_like_a_missing_one_and_stays_unchanged(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    alice: User,
    bob: User,
    as_alice: dict[str, str],
    as_bob: dict[str, str],
    prefix: str,
) -> None:
    base = "/api" if prefix == "/api" else f"/api/{bob.id}"
    task = await make_task(session, alice, title="Alice's", tags=["private"])
    before = (await client.get(f"/api/tasks/{task.id}", headers=as_alice)).json()
    missing = await client.get(f"{base}/tasks/987654", headers=as_bob)
    assert missing.status_code == 404
    read = await client.get(f"{base}/tasks/{task.id}", headers=as_bob)
    assert read.status_code == 404
    assert read.json() == missing.json() == NOT_FOUND
    for method, suffix, body in WRITES:
        response = await client.request(
            method, f"{base}/tasks/{task.id}{suffix}", json=body, headers=as_bob
        )
        assert response.status_code == 404, (method, suffix)
        assert response.json() == NOT_FOUND
    after = await client.get(f"/api/tasks/{task.id}", headers=as_alice)
    assert after.json() == before


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "all"},
        {"tag": "private"},
        {"search": "Alice"},
        {"priority": "medium"},
        {"sort": "title"},
        {"sort": "due_date", "order": "desc"},
        {"overdue": "true"},
        {"due_after": "2000-01-01"},
    ],
)
async def test_lists_never_include_other_users_tasks(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    alice: User,
    bob: User,
    as_bob: dict[str, str],
    params: dict[str, str],
) -> None:
    await make_tasks(session, alice, [{"title": "Alice's", "tags": ["private"]}] * 3)
    for base in ("/api", f"/api/{bob.id}"):
        response = await client.get(f"{base}/tasks", params=params, headers=as_bob)
        assert response.status_code == 200
        assert response.json() == []
        assert response.headers["x-total-count"] == "0"
    assert (await client.get("/api/tags", headers=as_bob)).json() == []


# --- The {user_id} family -----------------------------------------------------------------------


async def test_user_id_family_serves_the_callers_own_list(
    client: httpx.AsyncClient, alice: User, as_alice: dict[str, str]
) -> None:
    base = f"/api/{alice.id}"
    created = await client.post(f"{base}/tasks", json={"title": "via path"}, headers=as_alice)
    assert created.status_code == 201
    task = created.json()
    assert created.headers["location"] == f"{base}/tasks/{task['id']}"
    url = created.headers["location"]
    assert (await client.get(url, headers=as_alice)).json() == task
    assert (await client.get(f"{base}/tasks", headers=as_alice)).json() == [task]
    patched = await client.patch(url, json={"tags": ["x"]}, headers=as_alice)
    assert patched.json()["tags"] == ["x"]
    put = await client.put(url, json={"priority": "low"}, headers=as_alice)
    assert put.json()["priority"] == "low"
    done = await client.patch(f"{url}/complete", headers=as_alice)
    assert done.json()["completed"] is True
    assert (await client.get(f"{base}/tags", headers=as_alice)).json() == [
        {"name": "x", "count": 1}
    ]
    assert (await client.delete(url, headers=as_alice)).status_code == 204
    # The same data as the other family.
    assert (await client.get("/api/tasks", headers=as_alice)).json() == []


async def test_user_id_family_accepts_the_id_in_upper_case(
    client: httpx.AsyncClient, alice: User, as_alice: dict[str, str]
) -> None:
    response = await client.get(f"/api/{str(alice.id).upper()}/tasks", headers=as_alice)
    assert response.status_code == 200


@pytest.mark.parametrize("who", ["bob", "random", "garbage"])
async def test_user_id_family_with_someone_elses_id_is_403(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    alice: User,
    bob: User,
    as_alice: dict[str, str],
    who: str,
) -> None:
    other = {"bob": str(bob.id), "random": random_uuid(), "garbage": "not-a-user"}[who]
    task = await make_task(session, alice)
    requests = [
        ("GET", "/tasks", None),
        ("POST", "/tasks", {"title": "x"}),
        ("GET", f"/tasks/{task.id}", None),
        ("PUT", f"/tasks/{task.id}", {"title": "x"}),
        ("PATCH", f"/tasks/{task.id}", {"title": "x"}),
        ("PATCH", f"/tasks/{task.id}/complete", None),
        ("DELETE", f"/tasks/{task.id}", None),
        ("GET", "/tags", None),
    ]
    for method, suffix, body in requests:
        response = await client.request(
            method, f"/api/{other}{suffix}", json=body, headers=as_alice
        )
        assert response.status_code == 403, (method, suffix)
        assert response.json()["code"] == "not_your_task_list"
    assert (await client.get(f"/api/tasks/{task.id}", headers=as_alice)).json()["version"] == 1


# --- If-Match -----------------------------------------------------------------------------------


@pytest.mark.parametrize("header", ['"1"', 'W/"1"', "*", '"7", "1"', ' "1" '])
async def test_matching_if_match_lets_the_write_through(
    client: httpx.AsyncClient,
    session: AsyncSession,
    alice: User,
    as_alice: dict[str, str],
    header: str,
) -> None:
    task = await make_task(session, alice)
    response = await client.patch(
        f"/api/tasks/{task.id}", json={"title": "new"}, headers={**as_alice, "If-Match": header}
    )
    assert response.status_code == 200
    assert response.headers["etag"] == '"2"'


@pytest.mark.parametrize("header", ['"2"', '"0"', "1", "garbage", '""', '"1', 'W/"x"'])
async def test_stale_or_unreadable_if_match_is_412_on_every_write(
    client: httpx.AsyncClient,
    session: AsyncSession,
    alice: User,
    as_alice: dict[str, str],
    header: str,
) -> None:
    task = await make_task(session, alice, title="orig")
    headers = {**as_alice, "If-Match": header}
    for method, suffix, body in WRITES:
        response = await client.request(
            method, f"/api/tasks/{task.id}{suffix}", json=body, headers=headers
        )
        assert response.status_code == 412, (method, suffix)
        assert response.json()["code"] == "task_changed"
    after = (await client.get(f"/api/tasks/{task.id}", headers=as_alice)).json()
    assert (after["title"], after["version"], after["completed"]) == ("orig", 1, False)


async def test_if_match_from_a_read_goes_stale_after_another_write(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    task = await make_task(session, alice)
    etag = (await client.get(f"/api/tasks/{task.id}", headers=as_alice)).headers["etag"]
    await client.patch(f"/api/tasks/{task.id}/complete", headers=as_alice)
    stale = await client.delete(f"/api/tasks/{task.id}", headers={**as_alice, "If-Match": etag})
    assert stale.status_code == 412
    fresh = (await client.get(f"/api/tasks/{task.id}", headers=as_alice)).headers["etag"]
    deleted = await client.delete(f"/api/tasks/{task.id}", headers={**as_alice, "If-Match": fresh})
    assert deleted.status_code == 204


# --- The list query -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "-5"},
        {"limit": "ten"},
        {"limit": "true"},
        {"offset": "-1"},
        {"offset": "99999999999999999999999"},
        {"status": "done"},
        {"completed": "maybe"},
        {"status": "pending", "completed": "true"},
        {"priority": "urgent"},
        {"sort": "colour"},
        {"sort": "--title"},
        {"order": "up"},
        {"search": "x" * 201},
        {"q": "x" * 201},
        {"search": "a\x00b"},
        {"tag": "a\x00"},
        {"tag": ""},
        {"tag": ["work", ""]},
        {"tag": "x" * 51},
        {"tag": [f"t{i}" for i in range(21)]},
        {"due_before": "soon"},
        {"due_after": "2026-13-01"},
        {"due_before": "0.5"},
        {"due_after": "1700000000"},
        {"overdue": "perhaps"},
        {"cursor": ""},
        {"cursor": "x" * 2049},
        {"cursor": "garbage"},
        {"cursor": "a.b.c"},
    ],
)
async def test_bad_list_parameters_are_422(
    client: httpx.AsyncClient, as_alice: dict[str, str], params: dict[str, Any]
) -> None:
    response = await client.get("/api/tasks", params=params, headers=as_alice)
    assert response.status_code == 422, response.text
    assert response.json()["errors"]


# Three tasks that every parameter below tells apart: ignoring any of them (or reading it
# wrongly) changes the answer. Created in this order, so the default list is C, B, A.
LIST_SPECS: list[dict[str, Any]] = [
    {
        "title": "Cherry",
        "priority": Priority.LOW,
        "due_at": dt.datetime(2025, 12, 31, tzinfo=dt.UTC),
    },
    {
        "title": "apple",
        "priority": Priority.HIGH,
        "completed": True,
        "due_at": dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
    },
    {"title": "banana", "priority": Priority.HIGH},
]


async def _titles(client: httpx.AsyncClient, headers: dict[str, str], params: Any) -> list[str]:
    response = await client.get("/api/tasks", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()]


async def test_unknown_list_parameters_are_ignored(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    await make_tasks(session, alice, LIST_SPECS)
    plain = await _titles(client, as_alice, {})
    assert plain == ["banana", "apple", "Cherry"]
    assert await _titles(client, as_alice, {"_t": "123", "foo": "bar"}) == plain
    # Next to a known parameter, an unknown one changes nothing either.
    assert await _titles(client, as_alice, {"_t": "1", "status": "pending"}) == ["banana", "Cherry"]


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({"status": "PENDING"}, ["banana", "Cherry"]),
        ({"status": "Active"}, ["banana", "Cherry"]),
        ({"status": "completed", "completed": "true"}, ["apple"]),
        ({"priority": "HIGH"}, ["banana", "apple"]),
        ({"sort": "-Due_Date"}, ["apple", "Cherry", "banana"]),
        ({"sort": "title", "order": "DESC"}, ["Cherry", "banana", "apple"]),
        ({"due_before": "2026-01-01T10:00:00+05:00"}, ["Cherry"]),
        ({"due_after": "2026-01-01"}, ["apple"]),
        ({"limit": "100", "offset": "1000000"}, []),
    ],
)
async def test_list_parameters_are_read_generously(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    alice: User,
    as_alice: dict[str, str],
    params: dict[str, str],
    titles: list[str],
) -> None:
    await make_tasks(session, alice, LIST_SPECS)
    assert await _titles(client, as_alice, {}) == ["banana", "apple", "Cherry"]
    assert await _titles(client, as_alice, params) == titles
