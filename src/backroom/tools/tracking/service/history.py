"""The history of a store's items, and the one way every write leaves its trace."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.deps import StoreCaller
from backroom.core.audit import AuditAction, record
from backroom.core.db import utcnow
from backroom.tools.tracking.models import Action, TrackingHistory, TrackingItem
from backroom.tools.tracking.repository import HistoryRepository
from backroom.tools.tracking.schemas import HistoryQuery


async def trace(
    session: AsyncSession,
    item: TrackingItem,
    caller: StoreCaller,
    *,
    action: Action,
    audit: AuditAction,
    notes: str | None = None,
    **details: Any,
) -> None:
    """One history row and one audit event for a change of `item`, in the caller's transaction."""
    await HistoryRepository(session).append(
        store_id=item.store_id,
        item_id=item.id,
        item_name=item.name,
        item_code=item.code,
        action=action.value,
        user_id=caller.user_id,
        user_name=caller.name or None,
        timestamp=utcnow(),
        notes=notes,
    )
    await record(
        session,
        audit,
        actor=caller.actor,
        target_type="tracking_item",
        target_id=item.id,
        target_label=item.name,
        details={"code": item.code, "category": item.category, "name": item.name, **details},
        store_id=item.store_id,
    )
    await session.flush()


async def list_history(
    session: AsyncSession, store_id: uuid.UUID, query: HistoryQuery, *, limit: int, offset: int
) -> tuple[Sequence[TrackingHistory], int]:
    return await HistoryRepository(session).list_page(store_id, query, limit=limit, offset=offset)
