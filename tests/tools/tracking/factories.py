"""Tracking factories: real rows through the ORM, or bulk inserts when a test needs volume."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Store, User
from backroom.core.audit import AuditEvent
from backroom.core.db import utcnow
from backroom.tools.tracking.models import (
    TrackingHistory,
    TrackingItem,
    TrackingSuggestion,
    fold,
    format_code,
)
from backroom.tools.tracking.service.suggestions import seed_templates
from tests.factories import make_store

_sequence = itertools.count(1)


async def make_tracking_store(session: AsyncSession) -> Store:
    """A store with the default name templates, as `create_store` would leave it."""
    store = await make_store(session)
    await seed_templates(session, store)
    await session.commit()
    return store


async def make_item(
    session: AsyncSession,
    store: Store,
    *,
    code: str,
    name: str | None = None,
    category: str = "syrups",
    removed: bool = False,
    by: User | None = None,
    added_at: dt.datetime | None = None,
) -> TrackingItem:
    name = name or f"Item {next(_sequence)}"
    now = added_at or utcnow()
    item = TrackingItem(
        store_id=store.id,
        name=name,
        name_key=fold(name),
        category=category,
        code=code,
        added_by=by.id if by else None,
        added_by_name=by.name if by else None,
        added_at=now,
        is_removed=removed,
        removed_at=now if removed else None,
        removed_by=by.id if removed and by else None,
    )
    session.add(item)
    await session.commit()
    return item


async def fill_codes(
    session: AsyncSession,
    store: Store,
    numbers: Iterable[int],
    *,
    removed_at: dt.datetime | None = None,
    name: str = "Filler",
) -> None:
    """Items for many codes in one statement: active, or removed at `removed_at`."""
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "store_id": store.id,
            "name": name,
            "name_key": fold(name),
            "category": "other",
            "code": format_code(number),
            "added_at": now,
            "is_removed": removed_at is not None,
            "removed_at": removed_at,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for number in numbers
    ]
    await session.execute(insert(TrackingItem), rows)
    await session.commit()


async def count_rows(session: AsyncSession, model: type[Any], **where: Any) -> int:
    statement = select(func.count()).select_from(model).filter_by(**where)
    count = int((await session.execute(statement)).scalar_one())
    await session.commit()
    return count


async def writes_of(session: AsyncSession, store: Store) -> tuple[int, int, int]:
    """(items, history rows, audit events) of the store: what a refused request must not touch."""
    store_id = store.id
    counts = (
        await count_rows(session, TrackingItem, store_id=store_id),
        await count_rows(session, TrackingHistory, store_id=store_id),
        await count_rows(session, AuditEvent, store_id=store_id),
    )
    # End the read transaction: on SQLite every transaction holds the write lock.
    await session.commit()
    return counts


async def template_count(session: AsyncSession, store: Store) -> int:
    return await count_rows(session, TrackingSuggestion, store_id=store.id)
