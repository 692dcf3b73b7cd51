"""Adding, renaming, removing and restoring items.

Services flush and never commit: the request's session commits the change, its history
row and its audit event together. Inserts that may collide on a code are a
single `INSERT ... ON CONFLICT DO NOTHING`, so a lost race is a clean 409 (or another
attempt) and never a 500.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.deps import StoreCaller
from backroom.core.audit import AuditAction
from backroom.core.concurrency import UnreadableIfMatch, parse_if_match
from backroom.core.db import utcnow
from backroom.tools.tracking.errors import (
    CodeAllocationBusy,
    CodeInUse,
    ItemAlreadyRemoved,
    ItemChanged,
    ItemNotFound,
    ItemNotRemoved,
)
from backroom.tools.tracking.models import Action, Category, TrackingItem, fold
from backroom.tools.tracking.repository import ItemRepository
from backroom.tools.tracking.schemas import ItemCreate, ItemListQuery, ItemUpdate
from backroom.tools.tracking.service.codes import pick_free_code
from backroom.tools.tracking.service.history import trace

# Each attempt after a collision sees the code the winner committed, so a few suffice.
MAX_CODE_ATTEMPTS = 8


def _new_item(caller: StoreCaller, data: ItemCreate, code: str) -> TrackingItem:
    now = utcnow()
    return TrackingItem(
        id=uuid.uuid4(),
        version=1,
        store_id=caller.store_id,
        name=data.name,
        name_key=fold(data.name),
        category=data.category,
        code=code,
        added_by=caller.user_id,
        added_by_name=caller.name or None,
        added_at=now,
        is_removed=False,
        removed_by=None,
        removed_by_name=None,
        removed_at=None,
        created_at=now,
        updated_at=now,
    )


async def create_item(session: AsyncSession, caller: StoreCaller, data: ItemCreate) -> TrackingItem:
    """Add an item with the code given, or with a free code the server picks."""
    items = ItemRepository(session)
    if data.code is not None:
        item = _new_item(caller, data, data.code)
        if not await items.insert_unless_code_taken(item):
            raise CodeInUse(data.code)
    else:
        item = await _create_with_free_code(session, items, caller, data)
    await trace(session, item, caller, action=Action.ADD, audit=AuditAction.TRACKING_ITEM_ADDED)
    return item


async def _create_with_free_code(
    session: AsyncSession, items: ItemRepository, caller: StoreCaller, data: ItemCreate
) -> TrackingItem:
    collided: list[str] = []
    for _attempt in range(MAX_CODE_ATTEMPTS):
        code = await pick_free_code(items, caller.store_id, avoid=collided)
        item = _new_item(caller, data, code)
        if await items.insert_unless_code_taken(item):
            return item
        collided.append(code)
    raise CodeAllocationBusy


def _describe(changes: dict[str, tuple[str, str]]) -> str:
    parts = []
    if "name" in changes:
        old, new = changes["name"]
        parts.append(f"Renamed from {old!r} to {new!r}")
    if "category" in changes:
        old, new = changes["category"]
        parts.append(f"Category changed from {old} to {new}")
    return "; ".join(parts)


def _require_version(item: TrackingItem, if_match: str | None) -> None:
    """412 when `If-Match` names another version of the item; 422 when it is unreadable."""
    try:
        expected = parse_if_match(if_match)
    except ValueError:
        raise UnreadableIfMatch from None
    if expected is not None and item.version not in expected:
        raise ItemChanged


async def update_item(
    session: AsyncSession,
    caller: StoreCaller,
    item: TrackingItem,
    data: ItemUpdate,
    *,
    if_match: str | None = None,
) -> TrackingItem:
    """Rename or recategorise an active item; sending the values it has changes nothing."""
    _require_version(item, if_match)
    changes: dict[str, tuple[str, str]] = {}
    for field, value in data.changes().items():
        if getattr(item, field) != value:
            changes[field] = (getattr(item, field), value)
    if not changes:
        return item
    if "name" in changes:
        item.name = changes["name"][1]
        item.name_key = fold(item.name)
    if "category" in changes:
        item.category = Category(changes["category"][1]).value
    item.updated_at = utcnow()
    await session.flush()
    await trace(
        session,
        item,
        caller,
        action=Action.ADD,
        audit=AuditAction.TRACKING_ITEM_RENAMED,
        notes=_describe(changes),
        changes={field: list(pair) for field, pair in changes.items()},
    )
    return item


async def remove_by_code(
    session: AsyncSession,
    caller: StoreCaller,
    code: str,
    *,
    if_match: str | None = None,
) -> TrackingItem:
    """Soft-remove the active item with `code`; 409 when its item is already removed."""
    items = ItemRepository(session)
    item = await items.active_by_code(caller.store_id, code, for_update=True)
    if item is None:
        if await items.has_removed_with_code(caller.store_id, code):
            raise ItemAlreadyRemoved
        raise ItemNotFound
    _require_version(item, if_match)
    now = utcnow()
    item.is_removed = True
    item.removed_at = now
    item.removed_by = caller.user_id
    item.removed_by_name = caller.name or None
    item.updated_at = now
    await session.flush()
    await trace(
        session, item, caller, action=Action.REMOVE, audit=AuditAction.TRACKING_ITEM_REMOVED
    )
    return item


async def restore_item(
    session: AsyncSession, caller: StoreCaller, item: TrackingItem
) -> TrackingItem:
    """Bring a removed item back, unless its code now labels another active item."""
    if not item.is_removed:
        raise ItemNotRemoved
    if await ItemRepository(session).active_by_code(caller.store_id, item.code) is not None:
        raise CodeInUse(item.code)
    try:
        async with session.begin_nested():
            item.is_removed = False
            item.removed_at = None
            item.removed_by = None
            item.removed_by_name = None
            item.updated_at = utcnow()
    except IntegrityError:
        raise CodeInUse(item.code) from None
    await trace(
        session,
        item,
        caller,
        action=Action.ADD,
        audit=AuditAction.TRACKING_ITEM_RESTORED,
        notes="Restored",
    )
    return item


async def list_items(
    session: AsyncSession, store_id: uuid.UUID, query: ItemListQuery, *, limit: int, offset: int
) -> tuple[bytes, int]:
    """A page of the store's items as JSON, and how many match (docs/api-tracking.md)."""
    return await ItemRepository(session).list_page(store_id, query, limit=limit, offset=offset)
