"""Par levels: how many of each milk type the store wants on hand after the delivery."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.deps import StoreCaller
from backroom.core.audit import AuditAction, record
from backroom.core.clock import Clock
from backroom.core.concurrency import UnreadableIfMatch
from backroom.tools.milk_count.errors import ParLevelChanged
from backroom.tools.milk_count.models import MilkParLevel, MilkType
from backroom.tools.milk_count.repository import ParLevelRepository


@dataclass(frozen=True, slots=True)
class Precondition:
    """What `If-Match` asked for: the versions it accepts (None: any), or unreadable.

    An unreadable value breaks the header's documented pattern: a 422, raised here
    rather than when the header is read, so the body is checked first.
    """

    versions: frozenset[int] | None = None
    readable: bool = True

    def allows(self, version: int | None) -> bool:
        if not self.readable:
            raise UnreadableIfMatch
        return self.versions is None or version in self.versions


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
    expected: Precondition,
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
    if not expected.allows(par.version if par is not None else None):
        raise ParLevelChanged
    if par is None:
        par = MilkParLevel(
            milk_type_id=milk_type.id, store_id=caller.store_id, created_at=now, version=1
        )
        session.add(par)
    else:
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
