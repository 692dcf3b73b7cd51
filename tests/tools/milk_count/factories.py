"""Milk count factories: a store with its default milk types, and HTTP helpers that walk
a session through its phases the way the tablet app does."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Store
from backroom.core.audit import AuditEvent
from backroom.tools.milk_count.service.milk_types import seed_default_milk_types

BASE = "/api/milk-count"
ALIAS = "/api/milk-order"
DEFAULT_NAMES = [
    "2%", "Whole", "Non-Fat", "Half & Half", "Heavy Cream", "Soy", "Oat", "Coconut", "Almond",
]  # fmt: skip

_sequence = itertools.count(1)


async def make_milk_store(
    session: AsyncSession, *, timezone: str = "America/Los_Angeles", name: str | None = None
) -> Store:
    """A store as `create_store` leaves it: the nine default milk types at par 0."""
    store = Store(name=name or f"Milk store {next(_sequence)}", timezone=timezone)
    session.add(store)
    await session.flush()
    await seed_default_milk_types(session, store)
    await session.commit()
    return store


async def active_types(
    client: httpx.AsyncClient, headers: Mapping[str, str]
) -> list[dict[str, Any]]:
    response = await client.get(f"{BASE}/milk-types", headers=headers)
    assert response.status_code == 200, response.text
    types: list[dict[str, Any]] = response.json()["milk_types"]
    return types


async def start(client: httpx.AsyncClient, headers: Mapping[str, str]) -> dict[str, Any]:
    response = await client.post(f"{BASE}/sessions/start", headers=headers)
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()["session"]
    return session


def lines(
    types: Sequence[Mapping[str, Any]], field: str, values: Sequence[int] | int
) -> list[dict[str, Any]]:
    """One line per milk type: `{milk_type_id, <field>: value}`."""
    if isinstance(values, int):
        values = [values] * len(types)
    return [{"milk_type_id": t["id"], field: v} for t, v in zip(types, values, strict=True)]


def morning_lines(
    types: Sequence[Mapping[str, Any]], current_boh: Sequence[int] | int
) -> list[dict[str, Any]]:
    if isinstance(current_boh, int):
        current_boh = [current_boh] * len(types)
    return [
        {"milk_type_id": t["id"], "method": "boh_count", "current_boh": c}
        for t, c in zip(types, current_boh, strict=True)
    ]


PHASE_PATHS = {
    "night_foh": ("night-foh", "counts"),
    "night_boh": ("night-boh", "counts"),
    "morning": ("morning", "counts"),
    "on_order": ("on-order", "on_orders"),
}


def valid_body(phase: str, types: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A payload the phase accepts: zeros everywhere (morning: BOH counted, none delivered)."""
    if phase == "morning":
        return {"counts": morning_lines(types, 0)}
    field = {"night_foh": "foh_count", "night_boh": "boh_count", "on_order": "on_order"}[phase]
    return {PHASE_PATHS[phase][1]: lines(types, field, 0)}


async def save(
    client: httpx.AsyncClient,
    headers: Mapping[str, str],
    session_id: str,
    phase: str,
    body: Mapping[str, Any],
) -> httpx.Response:
    return await client.put(
        f"{BASE}/sessions/{session_id}/{PHASE_PATHS[phase][0]}", json=body, headers=headers
    )


async def walk_to(
    client: httpx.AsyncClient,
    headers: Mapping[str, str],
    session_id: str,
    target: str,
    types: Sequence[Mapping[str, Any]],
) -> None:
    """Save zeros in every phase before `target` (`completed` saves them all)."""
    for phase in PHASE_PATHS:
        if phase == target:
            return
        response = await save(client, headers, session_id, phase, valid_body(phase, types))
        assert response.status_code == 200, response.text


async def audit_events(app: FastAPI, action: str | None = None) -> list[AuditEvent]:
    """The audit trail as committed, oldest first (read in a transaction of its own)."""
    statement = select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id)
    if action is not None:
        statement = statement.where(AuditEvent.action == action)
    async with app.state.db.sessionmaker() as session:
        return list((await session.execute(statement)).scalars().all())


async def set_par(
    client: httpx.AsyncClient, headers: Mapping[str, str], milk_type_id: str, value: int
) -> httpx.Response:
    response = await client.put(
        f"{BASE}/admin/par-levels/{milk_type_id}", json={"par_value": value}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response


class StatementCounter:
    """Counts the statements the app sends to the database (an executemany is one)."""

    def __init__(self, app: FastAPI) -> None:
        self.engine = app.state.db.engine.sync_engine
        self.statements: list[str] = []

    def _on_execute(self, *args: Any) -> None:
        self.statements.append(str(args[2]))

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_execute)
