"""The `/api/{user_id}/tasks` family with Better Auth tokens, as a Next.js client sends them.

The token is minted the way Better Auth's cookie cache mints it: HS256 with the shared
secret, the user id nested at `user.id`, no `sub`, `typ`, `iss` or `aud`. The path names
the Better Auth user id; the tasks belong to the local user made for it.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.core.config import Settings
from tests.factories import auth_headers, make_user

SECRET = "better-auth-shared-secret-" + "t" * 32
NOT_FOUND = {
    "type": "https://backroom.dev/problems/task_not_found",
    "title": "Not Found",
    "status": 404,
    "detail": "Task not found",
    "error": "Task not found",
    "code": "task_not_found",
}


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"BETTER_AUTH_SECRET": SECRET, "RATE_LIMIT_ENABLED": False}


def better_auth_headers(user_id: str, *, nested: bool = True) -> dict[str, str]:
    now = int(time.time())
    payload: dict[str, Any] = {"iat": now, "exp": now + 300}
    if nested:  # the cookie-cache shape
        payload["session"] = {"id": f"sess-{user_id}", "userId": user_id, "expiresAt": now + 86400}
        payload["user"] = {"id": user_id, "email": f"{user_id}@example.com", "name": "BA User"}
    else:  # a custom signer with a flat `sub`
        payload["sub"] = user_id
    return {"Authorization": f"Bearer {jwt.encode(payload, SECRET, algorithm='HS256')}"}


async def _local_id(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    me = await client.get("/api/auth/me", headers=headers)
    assert me.status_code == 200
    return str(me.json()["user"]["id"])


def test_the_secret_differs_from_our_own(settings: Settings) -> None:
    assert settings.BETTER_AUTH_SECRET is not None
    assert settings.secret_key != SECRET


async def test_another_better_auth_users_list_is_403(client: httpx.AsyncClient) -> None:
    ba1 = better_auth_headers("ba-user-1")
    for method in ("GET", "POST"):
        response = await client.request(
            method, "/api/ba-user-2/tasks", headers=ba1, json={"title": "not mine"}
        )
        assert response.status_code == 403, method
        assert response.json()["code"] == "not_your_task_list"
    # Nor may the other user's local id stand in for it.
    ba2_local = await _local_id(client, better_auth_headers("ba-user-2"))
    response = await client.get(f"/api/{ba2_local}/tasks", headers=ba1)
    assert response.status_code == 403


async def test_a_local_token_cannot_use_a_better_auth_users_path(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await _local_id(client, better_auth_headers("ba-user-1"))
    local = auth_headers(settings, await make_user(session))
    assert (await client.get("/api/ba-user-1/tasks", headers=local)).status_code == 403


async def test_another_better_auth_users_task_is_the_same_404_as_a_missing_one(
    client: httpx.AsyncClient,
) -> None:
    ba1, ba2 = better_auth_headers("ba-user-1"), better_auth_headers("ba-user-2")
    theirs = await client.post("/api/ba-user-2/tasks", headers=ba2, json={"title": "private"})
    assert theirs.status_code == 201
    task_id = theirs.json()["id"]
    for prefix in ("/api/ba-user-1/tasks", "/api/tasks"):
        for method in ("GET", "PATCH", "DELETE"):
            other = await client.request(
                method, f"{prefix}/{task_id}", headers=ba1, json={"title": "x"}
            )
            missing = await client.request(
                method, f"{prefix}/999999999", headers=ba1, json={"title": "x"}
            )
            assert other.status_code == missing.status_code == 404, (prefix, method)
            assert other.json() == missing.json() == NOT_FOUND
    still = await client.get(f"/api/ba-user-2/tasks/{task_id}", headers=ba2)
    assert still.json()["title"] == "private"


async def test_list_and_create_under_the_better_auth_id(client: httpx.AsyncClient) -> None:
    ba1 = better_auth_headers("ba-user-1")
    empty = await client.get("/api/ba-user-1/tasks", headers=ba1)
    assert empty.status_code == 200
    assert empty.json() == []
    created = await client.post("/api/ba-user-1/tasks", headers=ba1, json={"title": "Milk"})
    assert created.status_code == 201
    task = created.json()
    local_id = await _local_id(client, ba1)
    assert task["user_id"] == local_id
    assert created.headers["location"] == f"/api/ba-user-1/tasks/{task['id']}"
    listed = await client.get("/api/ba-user-1/tasks", headers=ba1)
    assert [row["id"] for row in listed.json()] == [task["id"]]
    one = await client.get(created.headers["location"], headers=ba1)
    assert one.status_code == 200


async def test_the_local_id_and_the_own_family_serve_the_same_list(
    client: httpx.AsyncClient,
) -> None:
    ba1 = better_auth_headers("ba-user-1")
    created = await client.post("/api/ba-user-1/tasks", headers=ba1, json={"title": "Eggs"})
    local_id = await _local_id(client, ba1)
    for path in (f"/api/{local_id}/tasks", "/api/tasks", "/api/ba-user-1/tasks"):
        response = await client.get(path, headers=ba1)
        assert response.status_code == 200, path
        assert [row["id"] for row in response.json()] == [created.json()["id"]], path


async def test_a_flat_sub_token_reaches_the_same_user(client: httpx.AsyncClient) -> None:
    nested = better_auth_headers("ba-user-1")
    flat = better_auth_headers("ba-user-1", nested=False)
    created = await client.post("/api/ba-user-1/tasks", headers=nested, json={"title": "Bread"})
    listed = await client.get("/api/ba-user-1/tasks", headers=flat)
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()] == [created.json()["id"]]
