"""Milk types: the defaults of a new store, the lists, and the admin's create and update."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.deps import StoreCaller
from backroom.accounts.models import Store
from backroom.core.audit import AuditAction, record
from backroom.core.clock import Clock
from backroom.core.db import utcnow
from backroom.tools.milk_count.errors import MilkTypeExists
from backroom.tools.milk_count.models import MilkCategory, MilkParLevel, MilkType, fold
from backroom.tools.milk_count.repository import MilkTypeRepository
from backroom.tools.milk_count.schemas import MilkTypeCreate, MilkTypeUpdate

# API.md §5.2: what every new store starts with, in this display order, at par 0.
DEFAULT_MILK_TYPES: tuple[tuple[str, MilkCategory], ...] = (
    ("2%", MilkCategory.DAIRY),
    ("Whole", MilkCategory.DAIRY),
    ("Non-Fat", MilkCategory.DAIRY),
    ("Half & Half", MilkCategory.DAIRY),
    ("Heavy Cream", MilkCategory.DAIRY),
    ("Soy", MilkCategory.NON_DAIRY),
    ("Oat", MilkCategory.NON_DAIRY),
    ("Coconut", MilkCategory.NON_DAIRY),
    ("Almond", MilkCategory.NON_DAIRY),
)


async def seed_default_milk_types(session: AsyncSession, store: Store) -> None:
    """Give a new store the default milk types, each with a par level of 0.

    Registered as a store set-up, so it runs inside `create_store`'s transaction.
    """
    now = utcnow()
    milk_types = [
        MilkType(
            id=uuid.uuid4(),
            store_id=store.id,
            name=name,
            name_key=fold(name),
            category=category.value,
            display_order=position,
            active=True,
            created_at=now,
            updated_at=now,
        )
        for position, (name, category) in enumerate(DEFAULT_MILK_TYPES, start=1)
    ]
    # Two flushes: without a relationship the ORM does not order the tables by their key.
    session.add_all(milk_types)
    await session.flush()
    session.add_all([_zero_par(milk_type, now=now) for milk_type in milk_types])
    await session.flush()


def _zero_par(milk_type: MilkType, *, now: Any) -> MilkParLevel:
    return MilkParLevel(
        milk_type_id=milk_type.id,
        store_id=milk_type.store_id,
        par_value=0,
        created_at=now,
        updated_at=now,
    )


async def list_milk_types(
    session: AsyncSession, store_id: uuid.UUID, *, include_inactive: bool = False
) -> list[tuple[MilkType, int]]:
    return await MilkTypeRepository(session).list_with_par(
        store_id, include_inactive=include_inactive
    )


async def _check_name_free(
    repository: MilkTypeRepository, store_id: uuid.UUID, name: str, keep: MilkType | None = None
) -> None:
    existing = await repository.by_name_key(store_id, fold(name))
    if existing is not None and existing is not keep:
        raise MilkTypeExists


async def _place(repository: MilkTypeRepository, milk_type: MilkType, position: int | None) -> None:
    """Put `milk_type` at `position` (1 = first; None or past the end = last) and number
    the store's milk types 1..n again, so positions never tie or leave gaps."""
    others = [
        row for row in await repository.all_in_order(milk_type.store_id) if row is not milk_type
    ]
    index = len(others) if position is None else min(position - 1, len(others))
    others.insert(index, milk_type)
    for number, row in enumerate(others, start=1):
        if row.display_order != number:
            row.display_order = number


async def create_milk_type(
    session: AsyncSession, caller: StoreCaller, data: MilkTypeCreate, *, clock: Clock
) -> MilkType:
    """A new milk type (at the end of the list unless told where), with a par of 0."""
    repository = MilkTypeRepository(session)
    await _check_name_free(repository, caller.store_id, data.name)
    now = clock.now()
    milk_type = MilkType(
        id=uuid.uuid4(),
        store_id=caller.store_id,
        name=data.name,
        name_key=fold(data.name),
        category=data.category,
        display_order=0,
        active=True,
        created_at=now,
        updated_at=now,
    )
    await _place(repository, milk_type, data.display_order)
    session.add(milk_type)
    await _flush_name(session)
    session.add(_zero_par(milk_type, now=now))
    await session.flush()
    await _audit(session, AuditAction.MILK_TYPE_CREATED, caller, milk_type)
    return milk_type


async def update_milk_type(
    session: AsyncSession,
    caller: StoreCaller,
    milk_type: MilkType,
    data: MilkTypeUpdate,
    *,
    clock: Clock,
) -> MilkType:
    """Rename, move, deactivate or reactivate; only the fields sent change."""
    repository = MilkTypeRepository(session)
    changes: dict[str, list[Any]] = {}
    # Queries first: a query flushes, and the rename must reach the database in
    # `_flush_name`, where a name taken meanwhile becomes a 409.
    if data.display_order is not None and data.display_order != milk_type.display_order:
        old = milk_type.display_order
        await _place(repository, milk_type, data.display_order)
        if milk_type.display_order != old:
            changes["display_order"] = [old, milk_type.display_order]
    if data.name is not None and data.name != milk_type.name:
        await _check_name_free(repository, caller.store_id, data.name, milk_type)
        changes["name"] = [milk_type.name, data.name]
        milk_type.name = data.name
        milk_type.name_key = fold(data.name)
    if data.active is not None and data.active != milk_type.active:
        changes["active"] = [milk_type.active, data.active]
        milk_type.active = data.active
    if changes:
        milk_type.updated_at = clock.now()
        await _flush_name(session)
        await _audit(session, AuditAction.MILK_TYPE_UPDATED, caller, milk_type, changes=changes)
    return milk_type


async def _flush_name(session: AsyncSession) -> None:
    # The check above cannot see a create or rename committed meanwhile; the unique
    # index can. The request's transaction is rolled back on the way out.
    try:
        await session.flush()
    except IntegrityError:
        raise MilkTypeExists from None


async def _audit(
    session: AsyncSession,
    action: AuditAction,
    caller: StoreCaller,
    milk_type: MilkType,
    **details: Any,
) -> None:
    await record(
        session,
        action,
        actor=caller.actor,
        target_type="milk_type",
        target_id=milk_type.id,
        target_label=milk_type.name,
        details={"name": milk_type.name, "category": milk_type.category, **details},
        store_id=caller.store_id,
    )


async def par_value_of(session: AsyncSession, milk_type: MilkType) -> int:
    return await MilkTypeRepository(session).par_of(milk_type.id)
