"""Every query of the RTD&E tool. Items are scoped by store, sessions by store and user."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, exists, func, insert, literal, select, update
from sqlalchemy.sql.functions import coalesce

from backroom.accounts.models import User
from backroom.core.repository import Repository
from backroom.tools.rtde.models import RTDECount, RTDEItem, RTDESession, SessionStatus

Lock = Literal["none", "share", "update"]

_DISPLAY_ORDER = (RTDEItem.display_order, RTDEItem.name, RTDEItem.id)


@dataclass(frozen=True, slots=True)
class LineChange:
    """A session line after a count or a tick: its item, and whether anything changed."""

    par_level: int
    name: str
    changed: bool


@dataclass(frozen=True, slots=True)
class SessionLine:
    """One item of a session with its count, as the session view and pull list show it."""

    item_id: uuid.UUID
    name: str
    brand: str | None
    image_filename: str | None
    icon: str | None
    par_level: int
    display_order: int
    counted_quantity: int | None
    is_pulled: bool


@dataclass(frozen=True, slots=True)
class Progress:
    total_items: int
    items_counted: int
    items_pulled: int


class ItemRepository(Repository[RTDEItem]):
    model = RTDEItem

    async def list_items(
        self, store_id: uuid.UUID, *, include_inactive: bool
    ) -> Sequence[RTDEItem]:
        statement = select(RTDEItem).where(RTDEItem.store_id == store_id)
        if not include_inactive:
            statement = statement.where(RTDEItem.active.is_(True))
        return await self.all(statement.order_by(*_DISPLAY_ORDER))

    async def get_in_store(
        self, store_id: uuid.UUID, item_id: uuid.UUID, *, for_update: bool = False
    ) -> RTDEItem | None:
        statement = select(RTDEItem).where(RTDEItem.id == item_id, RTDEItem.store_id == store_id)
        if for_update:
            statement = statement.with_for_update()
        return await self.one_or_none(statement)

    async def all_for_update(self, store_id: uuid.UUID) -> Sequence[RTDEItem]:
        """Every item of the store in display order, locked until the commit (reorder)."""
        statement = select(RTDEItem).where(RTDEItem.store_id == store_id)
        return await self.all(statement.order_by(*_DISPLAY_ORDER).with_for_update())

    async def next_display_order(self, store_id: uuid.UUID) -> int:
        statement = select(coalesce(func.max(RTDEItem.display_order), 0) + 1).where(
            RTDEItem.store_id == store_id
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def appears_in_a_session(self, item_id: uuid.UUID) -> bool:
        statement = select(exists().where(RTDECount.item_id == item_id))
        return bool((await self.session.execute(statement)).scalar_one())


class SessionRepository(Repository[RTDESession]):
    model = RTDESession

    async def lock_user(self, user_id: uuid.UUID) -> None:
        """Queue the session starts of one user (PostgreSQL; SQLite serialises writers).

        FOR NO KEY UPDATE: it does not block rows that merely reference the user.
        """
        statement = select(User.id).where(User.id == user_id).with_for_update(key_share=True)
        await self.session.execute(statement)

    async def end_open_sessions(self, user_id: uuid.UUID, now: dt.datetime) -> None:
        statement = (
            update(RTDESession)
            .where(
                RTDESession.user_id == user_id,
                RTDESession.status == SessionStatus.IN_PROGRESS.value,
            )
            .values(status=SessionStatus.EXPIRED.value, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(statement)

    async def open_session(self, store_id: uuid.UUID, user_id: uuid.UUID) -> RTDESession | None:
        """The user's `in_progress` row (the caller checks its expiry)."""
        statement = select(RTDESession).where(
            RTDESession.user_id == user_id,
            RTDESession.store_id == store_id,
            RTDESession.status == SessionStatus.IN_PROGRESS.value,
        )
        return await self.one_or_none(statement)

    async def get_owned(
        self, store_id: uuid.UUID, user_id: uuid.UUID, session_id: uuid.UUID, *, lock: Lock
    ) -> RTDESession | None:
        statement = select(RTDESession).where(
            RTDESession.id == session_id,
            RTDESession.user_id == user_id,
            RTDESession.store_id == store_id,
        )
        if lock != "none":
            # A share lock lets counts run side by side while completion waits for them.
            statement = statement.with_for_update(read=lock == "share")
        return await self.one_or_none(statement)

    async def pin_items(self, session_id: uuid.UUID, store_id: uuid.UUID, now: dt.datetime) -> None:
        """One uncounted row per active item of the store: the session's item set."""
        items = select(
            literal(session_id),
            RTDEItem.id,
            literal(False),
            literal(now, RTDECount.updated_at.type),
        ).where(RTDEItem.store_id == store_id, RTDEItem.active.is_(True))
        columns = ["session_id", "item_id", "is_pulled", "updated_at"]
        await self.session.execute(insert(RTDECount).from_select(columns, items))

    async def progress(self, session_id: uuid.UUID) -> Progress:
        statement = select(
            func.count(),
            func.count(RTDECount.counted_quantity),
            func.count(case((RTDECount.is_pulled.is_(True), 1))),
        ).where(RTDECount.session_id == session_id)
        total, counted, pulled = (await self.session.execute(statement)).one()
        return Progress(int(total), int(counted), int(pulled))

    async def lines(self, session_id: uuid.UUID) -> list[SessionLine]:
        """Every item of the session with its count, in display order: one query."""
        statement = (
            select(
                RTDEItem.id,
                RTDEItem.name,
                RTDEItem.brand,
                RTDEItem.image_filename,
                RTDEItem.icon,
                RTDEItem.par_level,
                RTDEItem.display_order,
                RTDECount.counted_quantity,
                RTDECount.is_pulled,
            )
            .join(RTDEItem, RTDEItem.id == RTDECount.item_id)
            .where(RTDECount.session_id == session_id)
            .order_by(*_DISPLAY_ORDER)
        )
        rows = (await self.session.execute(statement)).all()
        return [SessionLine(*row) for row in rows]

    async def set_count(
        self, session_id: uuid.UUID, item_id: uuid.UUID, quantity: int, now: dt.datetime
    ) -> LineChange | None:
        """Store a count unless it is the stored one; None if the item is not in the session.

        One UPDATE when the count changes; a repeat of the stored count (the app saves as
        the staff member types) finds nothing to update and reads the line instead.
        """
        statement = (
            update(RTDECount)
            .where(
                *self._line(session_id, item_id),
                RTDECount.counted_quantity.is_distinct_from(quantity),
            )
            .values(counted_quantity=quantity, updated_at=now)
            .returning(*self._item_columns())
            .execution_options(synchronize_session=False)
        )
        return await self._change(statement, session_id, item_id)

    async def set_pulled(
        self, session_id: uuid.UUID, item_id: uuid.UUID, pulled: bool, now: dt.datetime
    ) -> LineChange | None:
        """Tick or untick an item unless it already is; None if it is not in the session."""
        statement = (
            update(RTDECount)
            .where(*self._line(session_id, item_id), RTDECount.is_pulled.is_not(pulled))
            .values(is_pulled=pulled, updated_at=now)
            .returning(*self._item_columns())
            .execution_options(synchronize_session=False)
        )
        return await self._change(statement, session_id, item_id)

    @staticmethod
    def _line(session_id: uuid.UUID, item_id: uuid.UUID) -> list[ColumnElement[bool]]:
        return [RTDECount.session_id == session_id, RTDECount.item_id == item_id]

    @staticmethod
    def _item_columns() -> tuple[ColumnElement[Any], ColumnElement[Any]]:
        item = RTDEItem.id == RTDECount.item_id
        return (
            select(RTDEItem.par_level).where(item).scalar_subquery(),
            select(RTDEItem.name).where(item).scalar_subquery(),
        )

    async def _change(
        self, statement: Any, session_id: uuid.UUID, item_id: uuid.UUID
    ) -> LineChange | None:
        row = (await self.session.execute(statement)).first()
        if row is not None:
            return LineChange(par_level=int(row[0]), name=str(row[1]), changed=True)
        unchanged = (
            select(RTDEItem.par_level, RTDEItem.name)
            .join(RTDECount, RTDECount.item_id == RTDEItem.id)
            .where(*self._line(session_id, item_id))
        )
        found = (await self.session.execute(unchanged)).first()
        if found is None:
            return None
        return LineChange(par_level=int(found[0]), name=str(found[1]), changed=False)

    async def last_completed(self, store_id: uuid.UUID) -> tuple[RTDESession, User] | None:
        statement = (
            select(RTDESession, User)
            .join(User, User.id == RTDESession.user_id)
            .where(
                RTDESession.store_id == store_id,
                RTDESession.status == SessionStatus.COMPLETED.value,
            )
            .order_by(RTDESession.completed_at.desc(), RTDESession.id.desc())
            .limit(1)
        )
        row = (await self.session.execute(statement)).first()
        return None if row is None else (row[0], row[1])

    def _completed(self, store_id: uuid.UUID) -> list[ColumnElement[bool]]:
        return [
            RTDESession.store_id == store_id,
            RTDESession.status == SessionStatus.COMPLETED.value,
        ]

    async def count_completed(self, store_id: uuid.UUID) -> int:
        statement = select(func.count()).select_from(RTDESession).where(*self._completed(store_id))
        return int((await self.session.execute(statement)).scalar_one())

    async def completed_page(
        self, store_id: uuid.UUID, *, limit: int, offset: int
    ) -> Sequence[tuple[RTDESession, User]]:
        """Completed sessions newest first, with who ran them."""
        statement = (
            select(RTDESession, User)
            .join(User, User.id == RTDESession.user_id)
            .where(*self._completed(store_id))
            .order_by(RTDESession.completed_at.desc(), RTDESession.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [(session_row, user) for session_row, user in await self.session.execute(statement)]

    async def progress_of(self, session_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Progress]:
        """The tallies of several sessions in one query."""
        if not session_ids:
            return {}
        statement = (
            select(
                RTDECount.session_id,
                func.count(),
                func.count(RTDECount.counted_quantity),
                func.count(case((RTDECount.is_pulled.is_(True), 1))),
            )
            .where(RTDECount.session_id.in_(session_ids))
            .group_by(RTDECount.session_id)
        )
        rows = await self.session.execute(statement)
        return {
            ident: Progress(int(total), int(counted), int(pulled))
            for ident, total, counted, pulled in rows
        }
