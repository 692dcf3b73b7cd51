"""RTD&E factories: real rows through the ORM, and the HTTP steps tests repeat."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Store
from backroom.core.db import utcnow
from backroom.tools.rtde.models import RTDEItem

SESSIONS = "/api/rtde/sessions"

_sequence = itertools.count(1)


async def make_items(session: AsyncSession, store: Store, *specs: dict[str, Any]) -> list[RTDEItem]:
    """Items in the order given, numbered 1..n unless a spec says otherwise."""
    items = []
    for position, spec in enumerate(specs, start=1):
        values: dict[str, Any] = {
            "name": f"Item {next(_sequence)}",
            "par_level": 6,
            "display_order": position,
            "active": True,
            **spec,
        }
        now = utcnow()
        item = RTDEItem(store_id=store.id, created_at=now, updated_at=now, **values)
        session.add(item)
        items.append(item)
    await session.commit()
    return items


async def make_item(session: AsyncSession, store: Store, **spec: Any) -> RTDEItem:
    (item,) = await make_items(session, store, spec)
    return item


async def start(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> str:
    """Start (or, with `action="resume"`, resume) a session over HTTP; its id."""
    response = await client.post(f"{SESSIONS}/start", json=body or None, headers=headers)
    assert response.status_code in {200, 201}, response.text
    session_id: str = response.json()["session_id"]
    return session_id


def count(item_id: object, quantity: object) -> dict[str, Any]:
    return {"item_id": str(item_id), "counted_quantity": quantity}


def tick(item_id: object, pulled: bool = True) -> dict[str, Any]:
    return {"item_id": str(item_id), "is_pulled": pulled}
