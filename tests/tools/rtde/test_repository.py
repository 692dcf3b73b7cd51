"""The session queries cost the same whatever the number of items (no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Store
from tests.tools.rtde.factories import make_items

SESSIONS = "/api/rtde/sessions"


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the block."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def _session_costs(
    app: FastAPI, client: httpx.AsyncClient, headers: dict[str, str]
) -> dict[str, list[str]]:
    started = await client.post(f"{SESSIONS}/start", headers=headers)
    url = f"{SESSIONS}/{started.json()['session_id']}"
    view = (await client.get(url, headers=headers)).json()
    item_id = view["items"][0]["item_id"]
    costs = {}
    with statements(app) as seen:
        assert (await client.get(url, headers=headers)).status_code == 200
    costs["view"] = list(seen)
    with statements(app) as seen:
        assert (await client.get(f"{url}/pull-list", headers=headers)).status_code == 200
    costs["pull_list"] = list(seen)
    with statements(app) as seen:
        body = {"item_id": item_id, "counted_quantity": 1}
        assert (await client.put(f"{url}/count", json=body, headers=headers)).status_code == 200
    costs["count"] = list(seen)
    await client.post(f"{url}/complete", headers=headers)
    return costs


@pytest.mark.parametrize("size", [1, 40])
async def test_view_pull_list_and_count_run_a_fixed_number_of_statements(
    *,
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    as_staff: dict[str, str],
    size: int,
) -> None:
    await make_items(session, store, *({"par_level": 5} for _ in range(size)))
    costs = await _session_costs(app, client, as_staff)
    data = {name: [sql for sql in seen if "rtde_" in sql] for name, seen in costs.items()}
    # The session check and one read of the session's items; for a count, the check and
    # the one UPDATE that stores it.
    assert [len(data["view"]), len(data["pull_list"]), len(data["count"])] == [2, 2, 2]
    assert data["count"][1].lstrip().upper().startswith("UPDATE RTDE_COUNT")
