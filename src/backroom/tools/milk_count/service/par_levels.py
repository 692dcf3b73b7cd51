"""Par levels: how many of each milk type the store wants on hand after the delivery."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.deps import StoreCaller
from backroom.core.audit import AuditAction, record
from backroom.core.clock import Clock
from backroom.tools.milk_count.errors import ParLevelChanged
from backroom.tools.milk_count.models import MilkParLevel, MilkType
from backroom.tools.milk_count.repository import ParLevelRepository


async def list_par_levels(
    session: AsyncSession, store_id: uuid.UUID
) -> list[tuple[MilkParLevel, MilkType]]:
    return await ParLevelRepository(session).list_for_store(store_id)


async def set_par_level(
    session: AsyncSession,
    caller: StoreCaller,
    milk_type: MilkType,
    par_value: int,
    *,
    expected: frozenset[int] | None,
    clock: Clock,
) -> MilkParLevel:
    """Create or change the par of `milk_type` (upsert); `expected` is the `If-Match`.

    The row is locked while it is checked, so concurrent writers queue and the second
    one's `If-Match` is compared with the version the first one left.
    """
    repository = ParLevelRepository(session)
    par = await repository.for_milk_type(caller.store_id, milk_type.id, for_update=True)
    now = clock.now()
    old: int | None = None
    if par is None:
        if expected is not None:
            raise ParLevelChanged
        par = MilkParLevel(
            milk_type_id=milk_type.id, store_id=caller.store_id, created_at=now, version=1
        )
        session.add(par)
    else:
        if expected is not None and par.version not in expected:
            raise ParLevelChanged
        old = par.par_value
    par.par_value = par_value
    par.updated_by = caller.user_id
    par.updated_by_name = caller.name or None
    par.updated_at = now
    await session.flush()
    await record(
        session,
        AuditAction.MILK_PAR_UPDATED,
        actor=caller.actor,
        target_type="milk_par_level",
        target_id=par.id,
        target_label=milk_type.name,
        details={
            "activity_type": "milk_par_updated",
            "milk_type_id": str(milk_type.id),
            "milk_type_name": milk_type.name,
            "old": old,
            "new": par_value,
        },
        store_id=caller.store_id,
    )
    return par
