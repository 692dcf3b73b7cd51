"""The task routes over HTTP: auth, validation, create/read/update/complete/delete, tags."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import User
from backroom.core.audit import AuditEvent
from backroom.tools.tasks.models import Priority
from tests.tools.tasks.factories import make_task

NOT_FOUND = {
    "type": "https://backroom.dev/problems/task_not_found",
    "title": "Not Found",
    "status": 404,
    "detail": "Task not found",
    "error": "Task not found",
    "code": "task_not_found",
}


# --- Unhappy paths first ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/tasks"),
        ("POST", "/api/tasks"),
        ("GET", "/api/tasks/1"),
        ("PATCH", "/api/tasks/1/complete"),
        ("GET", "/api/tags"),
        ("GET", "/api/someone/tasks"),
    ],
)
async def test_every_route_needs_a_token(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path, json={"title": "x"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_bad_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/tasks", headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   \t "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": 5}, "title"),
        ({"title": None}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"title": "ok", "description": "d" * 1001}, "description"),
        ({"title": "ok", "description": "bad\x00"}, "description"),
        ({"title": "ok", "tags": [f"t{i}" for i in range(21)]}, "tags"),
        ({"title": "ok", "tags": ["x" * 51]}, "tags"),
        ({"title": "ok", "tags": ["  "]}, "tags"),
        ({"title": "ok", "tags": ["a\x00"]}, "tags"),
        ({"title": "ok", "tags": "work"}, "tags"),
        ({"title": "ok", "priority": "urgent"}, "priority"),
        ({"title": "ok", "priority": 3}, "priority"),
        ({"title": "ok", "completed": "yes"}, "completed"),
        ({"title": "ok", "completed": 1}, "completed"),
        ({"title": "ok", "due_date": 1700000000}, "due_date"),
        ({"title": "ok", "due_date": "next tuesday"}, "due_date"),
        ({"title": "ok", "due_date": "0001-01-01T00:00:00+05:00"}, "due_date"),
        ({"title": "ok", "owner": "me"}, "owner"),
        ({"title": "ok", "user_id": "x"}, "user_id"),
    ],
)
async def test_invalid_task_is_422_naming_the_field(
    client: httpx.AsyncClient, as_alice: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/tasks", json=body, headers=as_alice)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert field in {error["field"].split(".")[0] for error in problem["errors"]}


async def test_malformed_json_is_400_and_non_json_is_415(
    client: httpx.AsyncClient, as_alice: dict[str, str]
) -> None:
    malformed = await client.post(
        "/api/tasks",
        content=b'{"title": ',
        headers={**as_alice, "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400
    form = await client.post("/api/tasks", data={"title": "x"}, headers=as_alice)
    assert form.status_code == 415


@pytest.mark.parametrize("task_id", ["999999", "abc", "0", "-1", "1.5", "99999999999999999999"])
async def test_unknown_or_malformed_id_is_the_same_404(
    client: httpx.AsyncClient, as_alice: dict[str, str], task_id: str
) -> None:
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = await client.request(
            method, f"/api/tasks/{task_id}", headers=as_alice, json={"title": "x"}
        )
        assert response.status_code == 404, (method, task_id)
        assert response.json() == NOT_FOUND
    complete = await client.patch(f"/api/tasks/{task_id}/complete", headers=as_alice)
    assert complete.json() == NOT_FOUND


# --- Create and read ------------------------------------------------------------------------


async def test_create_returns_201_with_location_etag_and_defaults(
    client: httpx.AsyncClient, as_alice: dict[str, str], alice: User
) -> None:
    response = await client.post("/api/tasks", json={"title": "  Buy milk  "}, headers=as_alice)
    assert response.status_code == 201
    task = response.json()
    assert response.headers["location"] == f"/api/tasks/{task['id']}"
    assert response.headers["etag"] == '"1"'
    assert task["title"] == "Buy milk"
    assert task["user_id"] == str(alice.id)
    assert task["priority"] == "medium"
    assert task["completed"] is False
    assert task["completed_at"] is None
    assert task["description"] is None
    assert task["due_date"] is None
    assert task["tags"] == []
    assert task["version"] == 1
    assert task["created_at"].endswith("Z")
    fetched = await client.get(response.headers["location"], headers=as_alice)
    assert fetched.json() == task
    assert fetched.headers["etag"] == '"1"'


async def test_create_normalises_priority_tags_and_due_date(
    client: httpx.AsyncClient, as_alice: dict[str, str]
) -> None:
    body = {
        "title": "Plan",
        "priority": "HiGh",
        "tags": [" Work ", "home", "WORK", "Home", "errand"],
        "due_date": "2026-12-01T09:30:00+02:00",
        "completed": True,
        "description": "",
    }
    task = (await client.post("/api/tasks", json=body, headers=as_alice)).json()
    assert task["priority"] == "high"
    # De-duplicated ignoring case; the first spelling wins and the order is kept.
    assert task["tags"] == ["Work", "home", "errand"]
    assert task["due_date"] == "2026-12-01T07:30:00Z"
    assert task["completed"] is True
    assert task["completed_at"] is not None
    assert task["description"] == ""


async def test_naive_due_date_is_taken_as_utc(
    client: httpx.AsyncClient, as_alice: dict[str, str]
) -> None:
    task = (
        await client.post(
            "/api/tasks", json={"title": "t", "due_date": "2026-12-01T09:30:00"}, headers=as_alice
        )
    ).json()
    assert task["due_date"] == "2026-12-01T09:30:00Z"


# --- Update -----------------------------------------------------------------------------------


async def test_put_keeps_the_fields_left_out(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    task = await make_task(
        session, alice, title="Old", description="keep", priority=Priority.HIGH, tags=["a"]
    )
    response = await client.put(f"/api/tasks/{task.id}", json={"title": "New"}, headers=as_alice)
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["description"], body["priority"], body["tags"]) == (
        "New",
        "keep",
        "high",
        ["a"],
    )


async def test_patch_null_clears_description_due_date_and_tags(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    task = await make_task(
        session, alice, description="d", due_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), tags=["a"]
    )
    body = {"description": None, "due_date": None, "tags": None}
    response = await client.patch(f"/api/tasks/{task.id}", json=body, headers=as_alice)
    assert response.status_code == 200
    updated = response.json()
    assert (updated["description"], updated["due_date"], updated["tags"]) == (None, None, [])


@pytest.mark.parametrize(
    "body",
    [
        {"title": None},
        {"priority": None},
        {"completed": None},
        {"title": " "},
        {"version": 9},
        {"id": 5},
        {"completed": "true"},
    ],
)
async def test_invalid_update_is_422_and_changes_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    alice: User,
    as_alice: dict[str, str],
    body: dict[str, Any],
) -> None:
    task = await make_task(session, alice, title="Same")
    for method in ("PUT", "PATCH"):
        response = await client.request(
            method, f"/api/tasks/{task.id}", json=body, headers=as_alice
        )
        assert response.status_code == 422
    after = (await client.get(f"/api/tasks/{task.id}", headers=as_alice)).json()
    assert (after["title"], after["version"]) == ("Same", 1)


async def test_every_change_bumps_version_and_updated_at(
    client: httpx.AsyncClient, as_alice: dict[str, str]
) -> None:
    created = (await client.post("/api/tasks", json={"title": "t"}, headers=as_alice)).json()
    url = f"/api/tasks/{created['id']}"
    steps = [
        ("PATCH", url, {"tags": ["only-tags"]}),
        ("PUT", url, {"title": "t2"}),
        ("PATCH", url, {"priority": "low"}),
        ("PATCH", f"{url}/complete", None),
        ("PATCH", f"{url}/complete", {"completed": False}),
    ]
    previous = created
    for method, path, body in steps:
        response = await client.request(method, path, json=body, headers=as_alice)
        assert response.status_code == 200, response.text
        current = response.json()
        assert current["version"] == previous["version"] + 1
        assert current["updated_at"] > previous["updated_at"]
        assert current["created_at"] == created["created_at"]
        assert response.headers["etag"] == f'"{current["version"]}"'
        previous = current


# --- Complete ---------------------------------------------------------------------------------


async def test_complete_without_body_flips_and_sets_then_clears_completed_at(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    task = await make_task(session, alice)
    url = f"/api/tasks/{task.id}/complete"
    done = (await client.patch(url, headers=as_alice)).json()
    assert done["completed"] is True
    assert done["completed_at"] is not None
    reopened = (await client.patch(url, headers=as_alice)).json()
    assert reopened["completed"] is False
    assert reopened["completed_at"] is None


async def test_complete_with_a_value_sets_it_and_keeps_completed_at(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    task = await make_task(session, alice)
    url = f"/api/tasks/{task.id}/complete"
    first = (await client.patch(url, json={"completed": True}, headers=as_alice)).json()
    again = (await client.patch(url, json={"completed": True}, headers=as_alice)).json()
    assert again["completed"] is True
    assert again["completed_at"] == first["completed_at"]
    bad = await client.patch(url, json={"completed": "yes"}, headers=as_alice)
    assert bad.status_code == 422
    extra = await client.patch(url, json={"completed": True, "title": "x"}, headers=as_alice)
    assert extra.status_code == 422


async def test_completing_through_patch_sets_completed_at_too(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    task = await make_task(session, alice)
    body = (
        await client.patch(f"/api/tasks/{task.id}", json={"completed": True}, headers=as_alice)
    ).json()
    assert body["completed_at"] is not None
    body = (
        await client.patch(f"/api/tasks/{task.id}", json={"completed": False}, headers=as_alice)
    ).json()
    assert body["completed_at"] is None


# --- Delete -----------------------------------------------------------------------------------


async def test_delete_is_204_then_404(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    task = await make_task(session, alice, tags=["a"])
    response = await client.delete(f"/api/tasks/{task.id}", headers=as_alice)
    assert response.status_code == 204
    assert response.content == b""
    again = await client.delete(f"/api/tasks/{task.id}", headers=as_alice)
    assert again.status_code == 404
    assert (await client.get("/api/tags", headers=as_alice)).json() == []


# --- Audit ------------------------------------------------------------------------------------


async def test_every_write_is_audited_as_a_private_event_of_the_owner(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    created = (await client.post("/api/tasks", json={"title": "t"}, headers=as_alice)).json()
    url = f"/api/tasks/{created['id']}"
    await client.patch(url, json={"title": "t2"}, headers=as_alice)
    await client.patch(f"{url}/complete", headers=as_alice)
    await client.patch(f"{url}/complete", headers=as_alice)
    await client.delete(url, headers=as_alice)
    events = (await session.execute(select(AuditEvent).order_by(AuditEvent.at))).scalars().all()
    assert [event.action for event in events] == [
        "tasks.task.created",
        "tasks.task.updated",
        "tasks.task.completed",
        "tasks.task.reopened",
        "tasks.task.deleted",
    ]
    assert {event.owner_id for event in events} == {alice.id}
    assert {event.store_id for event in events} == {None}
    assert {event.target_id for event in events} == {str(created["id"])}
    assert events[1].details == {"fields": ["title"]}


async def test_a_failed_write_leaves_no_audit_event(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    task = await make_task(session, alice)
    response = await client.patch(
        f"/api/tasks/{task.id}", json={"title": "x"}, headers={**as_alice, "If-Match": '"7"'}
    )
    assert response.status_code == 412
    assert (await session.execute(select(AuditEvent))).scalars().all() == []


# --- Tags -------------------------------------------------------------------------------------


async def test_tags_are_counted_most_used_first_ignoring_case(
    client: httpx.AsyncClient,
    session: AsyncSession,
    alice: User,
    bob: User,
    as_alice: dict[str, str],
) -> None:
    await make_task(session, alice, tags=["work", "home"])
    await make_task(session, alice, tags=["Work"])
    await make_task(session, alice, tags=["work", "zzz"])
    await make_task(session, bob, tags=["work", "bob-only"])
    response = await client.get("/api/tags", headers=as_alice)
    assert response.status_code == 200
    assert response.json() == [
        {"name": "Work", "count": 3},
        {"name": "home", "count": 1},
        {"name": "zzz", "count": 1},
    ]


async def test_a_null_body_flips_like_no_body(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    task = await make_task(session, alice)
    response = await client.patch(
        f"/api/tasks/{task.id}/complete",
        content=b"null",
        headers={**as_alice, "Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["completed"] is True


async def test_respelling_and_reordering_tags_keeps_one_row_per_tag(
    client: httpx.AsyncClient, session: AsyncSession, alice: User, as_alice: dict[str, str]
) -> None:
    task = await make_task(session, alice, tags=["work", "home"])
    url = f"/api/tasks/{task.id}"
    response = await client.patch(url, json={"tags": ["HOME", "new", "Work"]}, headers=as_alice)
    assert response.status_code == 200
    assert response.json()["tags"] == ["HOME", "new", "Work"]
    assert (await client.get(url, headers=as_alice)).json()["tags"] == ["HOME", "new", "Work"]
    counts = (await client.get("/api/tags", headers=as_alice)).json()
    assert sorted(tag["count"] for tag in counts) == [1, 1, 1]


async def test_a_lone_surrogate_is_422_not_a_database_error(
    client: httpx.AsyncClient, as_alice: dict[str, str]
) -> None:
    response = await client.post(
        "/api/tasks",
        content=b'{"title": "broken \\ud800 text"}',
        headers={**as_alice, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "title"
