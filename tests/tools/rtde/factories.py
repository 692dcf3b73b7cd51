"""RTD&E factories: real rows through the ORM."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Store
from backroom.core.db import utcnow
from backroom.tools.rtde.models import RTDEItem

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
