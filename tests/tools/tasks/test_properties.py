"""Properties of the task API, over many generated inputs.

Each example works as a new user, so examples never see each other's rows without
resetting the database between them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import User
from backroom.core.config import Settings
from backroom.core.db import utcnow
from backroom.tools.tasks.models import Priority, Task, fold
from tests.factories import auth_headers, make_user
from tests.tools.tasks.factories import make_tasks


def examples(count: int) -> hypothesis_settings:
    """Few examples (each one is a handful of real HTTP requests), no deadline.

    The function-scoped fixtures (app, client, session) are shared by the examples on
    purpose: each example works as a new user or on new rows.
    """
    return hypothesis_settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


BASE = utcnow().replace(microsecond=0)
NATURAL_DESCENDING = {
    "created": True,
    "updated": True,
    "title": False,
    "due_date": False,
    "priority": True,
}

# Few distinct values, so that ties (broken by id) and nulls come up often.
task_specs = st.lists(
    st.fixed_dictionaries(
        {
            "title": st.sampled_from(["alpha", "Beta", "beta", "gamma", "ALPHA"]),
            "priority": st.sampled_from(list(Priority)),
            "due_at": st.none() | st.integers(0, 3).map(lambda d: BASE + dt.timedelta(days=d)),
            "updated_at": st.integers(0, 3).map(lambda h: BASE + dt.timedelta(hours=h)),
            "completed": st.booleans(),
            "tags": st.sampled_from([(), ("x",), ("x", "y")]),
        }
    ),
    max_size=16,
)
directions = st.sampled_from(
    [{}, {"minus": True}, {"order": "asc"}, {"order": "desc"}, {"minus": True, "order": "asc"}]
)
filters = st.sampled_from([{}, {"status": "pending"}, {"tag": "x"}, {"search": "ALP"}])


def _matches(task: Task, extra: dict[str, str]) -> bool:
    """API.md §4 filters, applied to a task the test created."""
    if extra.get("status") == "pending" and task.completed:
        return False
    if "tag" in extra and fold(extra["tag"]) not in {tag.name_key for tag in task.tags}:
        return False
    if "search" in extra:
        needle = extra["search"].casefold()
        text = [task.title, task.description or ""]
        return any(needle in part.casefold() for part in text)
    return True


def _expected(tasks: list[Task], extra: dict[str, str], sort: str, descending: bool) -> list[int]:
    """The ids the list must answer, in order, from the tasks the test created."""

    def value(task: Task) -> Any:
        return {
            "created": task.id,
            "updated": task.updated_at,
            "title": task.title.casefold(),
            "priority": task.priority,
            "due_date": task.due_at or BASE,
        }[sort]

    matching = [task for task in tasks if _matches(task, extra)]
    ordered = sorted(matching, key=lambda task: (value(task), task.id), reverse=descending)
    if sort == "due_date":  # nulls last whatever the direction
        ordered.sort(key=lambda task: task.due_at is None)
    return [task.id for task in ordered]


async def _follow(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], rel: str
) -> list[list[int]]:
    pages = []
    while True:
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        pages.append([task["id"] for task in response.json()])
        if rel not in response.links:
            return pages
        url = response.links[rel]["url"]


@examples(30)
@given(
    specs=task_specs,
    sort=st.sampled_from(list(NATURAL_DESCENDING)),
    direction=directions,
    extra=filters,
    limit=st.integers(1, 5),
)
async def test_paging_yields_every_matching_task_once_in_order(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    specs: list[dict[str, Any]],
    sort: str,
    direction: dict[str, Any],
    extra: dict[str, str],
    limit: int,
) -> None:
    user = await make_user(session)
    headers = auth_headers(settings, user)
    created = await make_tasks(session, user, specs)
    params: dict[str, Any] = {"sort": ("-" if direction.get("minus") else "") + sort, **extra}
    if "order" in direction:
        params["order"] = direction["order"]
    descending = NATURAL_DESCENDING[sort] != bool(direction.get("minus"))
    if "order" in direction:
        descending = direction["order"] == "desc"

    expected = _expected(created, extra, sort, descending)
    everything = await client.get("/api/tasks", params={**params, "limit": 100}, headers=headers)
    assert [task["id"] for task in everything.json()] == expected
    assert everything.headers["x-total-count"] == str(len(expected))

    # Offset pages.
    by_offset: list[int] = []
    for offset in range(0, len(expected) + limit, limit):
        page = await client.get(
            "/api/tasks", params={**params, "limit": limit, "offset": offset}, headers=headers
        )
        by_offset += [task["id"] for task in page.json()]
    assert by_offset == expected

    # Cursor pages, forwards through `next`, then backwards through `prev`.
    first = httpx.URL("/api/tasks", params={**params, "limit": limit})
    forward = await _follow(client, str(first), headers, "next")
    assert [task_id for page in forward for task_id in page] == expected
    assert all(len(page) == limit for page in forward[:-1])
    if len(forward) > 1:
        last = await client.get(str(first), headers=headers)
        url = last.links["next"]["url"]
        while "next" in (response := await client.get(url, headers=headers)).links:
            url = response.links["next"]["url"]
        backward = await _follow(client, response.links["prev"]["url"], headers, "prev")
        assert [task_id for page in reversed(backward) for task_id in page] == expected[
            : -len(forward[-1])
        ]


# Text that stresses storage and matching: emoji, right-to-left scripts, combining marks,
# quotes, LIKE wildcards and backslashes. NUL and lone surrogates are refused (below).
tricky = st.lists(
    st.one_of(
        st.sampled_from(list("%_\\'\"`;-*?[]^$()\n\t ")),
        st.sampled_from(
            ["😀", "👩‍👩‍👧", "🇫🇷", "שלום", "مرحبا", "e\u0301", "ﬃ", "ß", "İ", "\u200f"]
        ),
        st.characters(codec="utf-8", exclude_characters="\x00"),
    ),
    max_size=20,
).map("".join)


@examples(25)
@given(title=tricky.filter(lambda text: text.strip()), description=tricky, tag=tricky)
async def test_unicode_and_sql_metacharacters_round_trip_unchanged(
    *,
    client: httpx.AsyncClient,
    alice: User,
    as_alice: dict[str, str],
    title: str,
    description: str,
    tag: str,
) -> None:
    tags = [tag.strip()[:50].strip()] if tag.strip() else []
    body = {"title": title, "description": description, "tags": tags}
    created = await client.post("/api/tasks", json=body, headers=as_alice)
    assert created.status_code == 201, created.text
    task = created.json()
    assert (task["title"], task["description"], task["tags"]) == (title.strip(), description, tags)
    fetched = (await client.get(f"/api/tasks/{task['id']}", headers=as_alice)).json()
    assert fetched == task
    found = await client.get("/api/tasks", params={"search": title.strip()}, headers=as_alice)
    assert task["id"] in [row["id"] for row in found.json()]
    if tags:
        tagged = await client.get("/api/tasks", params={"tag": tags[0]}, headers=as_alice)
        assert task["id"] in [row["id"] for row in tagged.json()]


@examples(25)
@given(
    before=tricky,
    after=tricky,
    field=st.sampled_from(["title", "description", "tag"]),
)
async def test_nul_characters_anywhere_are_422(
    *,
    client: httpx.AsyncClient,
    as_alice: dict[str, str],
    before: str,
    after: str,
    field: str,
) -> None:
    text = f"{before}\x00{after}"
    body: dict[str, Any] = {"title": "ok"}
    if field == "tag":
        body["tags"] = [text[:50]] if "\x00" in text[:50] else ["\x00"]
    else:
        body[field] = text[:200]
    response = await client.post("/api/tasks", json=body, headers=as_alice)
    assert response.status_code == 422
    listed = await client.get("/api/tasks", params={"search": text[:200]}, headers=as_alice)
    assert listed.status_code == 422
