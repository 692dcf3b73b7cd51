"""Every query of the milk count. Each one takes the store: another store's rows never match."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Store
from backroom.core.repository import Repository
from backroom.tools.milk_count.models import (
    MilkEntry,
    MilkParLevel,
    MilkSession,
    MilkType,
    Phase,
)


@dataclass(frozen=True, slots=True)
class Line:
    """One milk type as a session sees it: its entry (None before one exists) and live par."""

    milk_type: MilkType
    entry: MilkEntry | None
    live_par: int


async def store_timezone(session: AsyncSession, store_id: uuid.UUID) -> str | None:
    return await session.scalar(select(Store.timezone).where(Store.id == store_id))


class MilkTypeRepository(Repository[MilkType]):
    model = MilkType

    async def list_with_par(
        self, store_id: uuid.UUID, *, include_inactive: bool = False
    ) -> list[tuple[MilkType, int]]:
        """The store's milk types in display order, each with its par (0 without one)."""
        statement = (
            select(MilkType, MilkParLevel.par_value)
            .outerjoin(MilkParLevel, MilkParLevel.milk_type_id == MilkType.id)
            .where(MilkType.store_id == store_id)
            .order_by(MilkType.display_order, MilkType.name_key, MilkType.id)
        )
        if not include_inactive:
            statement = statement.where(MilkType.active.is_(True))
        rows = (await self.session.execute(statement)).all()
        return [(milk_type, par or 0) for milk_type, par in rows]

    async def get_owned(self, store_id: uuid.UUID, milk_type_id: uuid.UUID) -> MilkType | None:
        statement = select(MilkType).where(
            MilkType.id == milk_type_id, MilkType.store_id == store_id
        )
        return await self.one_or_none(statement)

    async def par_of(self, milk_type_id: uuid.UUID) -> int:
        statement = select(MilkParLevel.par_value).where(MilkParLevel.milk_type_id == milk_type_id)
        return (await self.session.scalar(statement)) or 0

    async def by_name_key(self, store_id: uuid.UUID, name_key: str) -> MilkType | None:
        statement = select(MilkType).where(
            MilkType.store_id == store_id, MilkType.name_key == name_key
        )
        return await self.one_or_none(statement)

    async def all_in_order(self, store_id: uuid.UUID) -> Sequence[MilkType]:
        """Every milk type of the store, inactive ones included, in display order."""
        statement = (
            select(MilkType)
            .where(MilkType.store_id == store_id)
            .order_by(MilkType.display_order, MilkType.name_key, MilkType.id)
        )
        return await self.all(statement)


class ParLevelRepository(Repository[MilkParLevel]):
    model = MilkParLevel

    async def list_for_store(self, store_id: uuid.UUID) -> list[tuple[MilkParLevel, MilkType]]:
        """The pars of the store's active milk types, in display order."""
        statement = (
            select(MilkParLevel, MilkType)
            .join(MilkType, MilkType.id == MilkParLevel.milk_type_id)
            .where(MilkParLevel.store_id == store_id, MilkType.active.is_(True))
            .order_by(MilkType.display_order, MilkType.name_key, MilkType.id)
        )
        rows = (await self.session.execute(statement)).all()
        return [(par, milk_type) for par, milk_type in rows]

    async def for_milk_type(
        self, store_id: uuid.UUID, milk_type_id: uuid.UUID, *, for_update: bool = False
    ) -> MilkParLevel | None:
        statement = select(MilkParLevel).where(
            MilkParLevel.milk_type_id == milk_type_id, MilkParLevel.store_id == store_id
        )
        if for_update:
            statement = statement.with_for_update()
        return await self.one_or_none(statement)


class SessionRepository(Repository[MilkSession]):
    model = MilkSession

    async def get_owned(self, store_id: uuid.UUID, session_id: uuid.UUID) -> MilkSession | None:
        statement = select(MilkSession).where(
            MilkSession.id == session_id, MilkSession.store_id == store_id
        )
        return await self.one_or_none(statement)

    async def newest_open_since(
        self, store_id: uuid.UUID, since: dt.datetime
    ) -> MilkSession | None:
        """The newest unfinished session started at or after `since`."""
        statement = (
            select(MilkSession)
            .where(
                MilkSession.store_id == store_id,
                MilkSession.status != Phase.COMPLETED.value,
                MilkSession.created_at >= since,
            )
            .order_by(MilkSession.created_at.desc(), MilkSession.id.desc())
            .limit(1)
        )
        return await self.one_or_none(statement)

    async def on_date(self, store_id: uuid.UUID, business_date: dt.date) -> MilkSession | None:
        statement = select(MilkSession).where(
            MilkSession.store_id == store_id, MilkSession.business_date == business_date
        )
        return await self.one_or_none(statement)

    async def advance(
        self,
        store_id: uuid.UUID,
        session_id: uuid.UUID,
        *,
        expected: Phase,
        values: Mapping[str, Any],
    ) -> bool:
        """Move the session on only if it is still in `expected`: check and write in one
        statement, so of two concurrent saves of a phase exactly one succeeds."""
        statement = (
            update(MilkSession)
            .where(
                MilkSession.id == session_id,
                MilkSession.store_id == store_id,
                MilkSession.status == expected.value,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def status_of(self, session_id: uuid.UUID) -> str | None:
        statement = select(MilkSession.status).where(MilkSession.id == session_id)
        return await self.session.scalar(statement)

    async def history(
        self, store_id: uuid.UUID, *, status: Phase | None, limit: int, offset: int
    ) -> tuple[Sequence[MilkSession], int]:
        statement = select(MilkSession).where(MilkSession.store_id == store_id)
        if status is not None:
            statement = statement.where(MilkSession.status == status.value)
        statement = statement.order_by(MilkSession.business_date.desc(), MilkSession.id.desc())
        return await self.page(statement, limit=limit, offset=offset)

    async def lines(
        self, store_id: uuid.UUID, session_id: uuid.UUID, *, with_active: bool
    ) -> list[Line]:
        """The session's entries with their milk types and live pars, in display order, in
        one query; with `with_active`, also the active milk types that have no entry yet."""
        has_entry = MilkEntry.id.is_not(None)
        statement = (
            select(MilkType, MilkEntry, MilkParLevel.par_value)
            .outerjoin(
                MilkEntry,
                and_(MilkEntry.milk_type_id == MilkType.id, MilkEntry.session_id == session_id),
            )
            .outerjoin(MilkParLevel, MilkParLevel.milk_type_id == MilkType.id)
            .where(
                MilkType.store_id == store_id,
                or_(has_entry, MilkType.active.is_(True)) if with_active else has_entry,
            )
            .order_by(MilkType.display_order, MilkType.name_key, MilkType.id)
        )
        rows = (await self.session.execute(statement)).all()
        return [Line(milk_type, entry, par or 0) for milk_type, entry, par in rows]

    async def insert_entries(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """One multi-row INSERT (or executemany), however many rows."""
        if rows:
            await self.session.execute(insert(MilkEntry), list(rows))

    async def update_entries(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """ORM bulk UPDATE by primary key: one executemany, however many rows."""
        if rows:
            await self.session.execute(update(MilkEntry), list(rows))
