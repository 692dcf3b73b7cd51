"""The admin's display items: create, change, delete or deactivate, reorder.

Services flush and never commit; each change and its audit event are committed together
by the request's session. `version` is the mapper's version counter, so every UPDATE of
an item bumps it (the ETag) and loses to no concurrent UPDATE silently.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.deps import StoreCaller
from backroom.core.audit import AuditAction, record
from backroom.core.db import utcnow
from backroom.tools.rtde.errors import ItemChanged, ItemNotFound
from backroom.tools.rtde.models import RTDEItem
from backroom.tools.rtde.repository import ItemRepository
from backroom.tools.rtde.schemas import ItemCreate, ItemOrder, ItemUpdate


async def _audit(
    session: AsyncSession,
    action: AuditAction,
    caller: StoreCaller,
    item: RTDEItem | None,
    **details: Any,
) -> None:
    await record(
        session,
        action,
        actor=caller.actor,
        target_type="rtde_item",
        target_id=item.id if item else None,
        target_label=item.name if item else None,
        details=details,
        store_id=caller.store_id,
    )


def check_version(item: RTDEItem, expected: frozenset[int] | None) -> None:
    """Refuse the write when `If-Match` names another version (None: no precondition)."""
    if expected is not None and item.version not in expected:
        raise ItemChanged


async def list_items(
    session: AsyncSession, store_id: uuid.UUID, *, include_inactive: bool
) -> Sequence[RTDEItem]:
    return await ItemRepository(session).list_items(store_id, include_inactive=include_inactive)


async def create_item(session: AsyncSession, caller: StoreCaller, data: ItemCreate) -> RTDEItem:
    """A new item, placed after every item of the store (inactive ones included)."""
    items = ItemRepository(session)
    now = utcnow()
    item = RTDEItem(
        store_id=caller.store_id,
        name=data.name,
        brand=data.brand,
        icon=data.icon,
        image_filename=data.image_filename,
        par_level=data.par_level,
        display_order=await items.next_display_order(caller.store_id),
        active=data.active,
        created_at=now,
        updated_at=now,
    )
    await items.add(item)
    await _audit(
        session,
        AuditAction.RTDE_ITEM_CREATED,
        caller,
        item,
        activity_type="rtde_item_created",
        name=item.name,
        par_level=item.par_level,
    )
    return item


async def update_item(
    session: AsyncSession,
    item: RTDEItem,
    caller: StoreCaller,
    data: ItemUpdate,
    *,
    expected: frozenset[int] | None,
) -> RTDEItem:
    """Change the fields sent; every write bumps the version, even with equal values."""
    check_version(item, expected)
    changes: dict[str, list[Any]] = {}
    for field, value in data.changes().items():
        old = getattr(item, field)
        if old != value:
            changes[field] = [old, value]
            setattr(item, field, value)
    item.updated_at = utcnow()
    await session.flush()
    await _audit(
        session,
        AuditAction.RTDE_ITEM_UPDATED,
        caller,
        item,
        activity_type="rtde_item_updated",
        name=item.name,
        changes=changes,
    )
    return item


async def delete_item(
    session: AsyncSession, item: RTDEItem, caller: StoreCaller, *, expected: frozenset[int] | None
) -> bool:
    """Delete an item no session ever listed; deactivate one that a session did, so the
    history keeps its rows. True when the item was deleted for good."""
    check_version(item, expected)
    items = ItemRepository(session)
    permanently = not await items.appears_in_a_session(item.id)
    action = AuditAction.RTDE_ITEM_DELETED if permanently else AuditAction.RTDE_ITEM_DEACTIVATED
    if not permanently:
        item.active = False
        item.updated_at = utcnow()
        await session.flush()
    await _audit(
        session,
        action,
        caller,
        item,
        activity_type="rtde_item_deleted",
        name=item.name,
        deleted_permanently=permanently,
    )
    if permanently:
        await items.delete(item)
    return permanently


async def reorder_items(
    session: AsyncSession, caller: StoreCaller, orders: Sequence[ItemOrder]
) -> list[RTDEItem]:
    """Number the store's items 1..n: the listed ones by the order asked for (ties keep
    the order of the list), then the unlisted ones in their present order.

    An unknown id fails before anything changes, so the whole reorder is all or nothing.
    """
    items = await ItemRepository(session).all_for_update(caller.store_id)
    by_id = {item.id: item for item in items}
    if any(order.id not in by_id for order in orders):
        raise ItemNotFound
    ranked = sorted(enumerate(orders), key=lambda pair: (pair[1].display_order, pair[0]))
    listed = [by_id[order.id] for _, order in ranked]
    listed_ids = {item.id for item in listed}
    sequence = listed + [item for item in items if item.id not in listed_ids]
    now = utcnow()
    for position, item in enumerate(sequence, start=1):
        if item.display_order != position:
            item.display_order = position
            item.updated_at = now
    await session.flush()
    await _audit(
        session,
        AuditAction.RTDE_ITEMS_REORDERED,
        caller,
        None,
        order=[str(item.id) for item in sequence],
    )
    return sequence
