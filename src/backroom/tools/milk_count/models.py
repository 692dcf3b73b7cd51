"""Tables of the milk count: a store's milk types and pars, and its nightly count sessions.

A session is one business day of one store (unique together), so two tablets starting
the count at once cannot make two. It carries its phase in `status`; every save moves
it on with one conditional UPDATE (see `repository.SessionRepository.advance`). Its
entries, one per milk type (unique together), hold the counts of every phase.

User names are copied next to the user ids when a phase is saved, like the audit
trail does, so a session reads without joining the user table.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backroom.core.db import Base, TimestampMixin, UUIDPrimaryKey

NAME_MAX = 50
# Case folding can make a string up to three times longer ("ﬃ" -> "ffi").
_FOLD_FACTOR = 3
COUNT_MAX = 9999


class MilkCategory(StrEnum):
    DAIRY = "dairy"
    NON_DAIRY = "non_dairy"


class Phase(StrEnum):
    """The phases of a count session, in the order they run."""

    NIGHT_FOH = "night_foh"
    NIGHT_BOH = "night_boh"
    MORNING = "morning"
    ON_ORDER = "on_order"
    COMPLETED = "completed"

    @property
    def next(self) -> Phase:
        order = list(Phase)
        return order[min(order.index(self) + 1, len(order) - 1)]

    def is_before(self, other: Phase) -> bool:
        order = list(Phase)
        return order.index(self) < order.index(other)


class MorningMethod(StrEnum):
    BOH_COUNT = "boh_count"
    DIRECT_DELIVERED = "direct_delivered"


def fold(text: str) -> str:
    """The key two names share when they are equal ignoring case."""
    return text.casefold()


def _in(column: str, values: type[StrEnum]) -> str:
    listed = ", ".join(f"'{value.value}'" for value in values)
    return f"{column} IN ({listed})"


class MilkType(UUIDPrimaryKey, TimestampMixin, Base):
    __tablename__ = "milk_type"
    __table_args__ = (
        CheckConstraint(_in("category", MilkCategory), name="category"),
        # Names are unique per store ignoring case, inactive types included.
        UniqueConstraint("store_id", "name_key"),
        Index("ix_milk_type_store_id_display_order", "store_id", "display_order"),
    )

    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("store.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    name_key: Mapped[str] = mapped_column(String(NAME_MAX * _FOLD_FACTOR))
    category: Mapped[str] = mapped_column(String(10))
    display_order: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)


class MilkParLevel(UUIDPrimaryKey, TimestampMixin, Base):
    __tablename__ = "milk_par_level"

    # One par per milk type; the store is copied so a store's pars read without a join.
    milk_type_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("milk_type.id", ondelete="CASCADE"), unique=True
    )
    store_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("store.id", ondelete="CASCADE"), index=True
    )
    par_value: Mapped[int] = mapped_column(default=0)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_by_name: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class MilkSession(UUIDPrimaryKey, TimestampMixin, Base):
    __tablename__ = "milk_session"
    __table_args__ = (
        CheckConstraint(_in("status", Phase), name="status"),
        UniqueConstraint("store_id", "business_date"),
        Index("ix_milk_session_store_id_created_at", "store_id", "created_at"),
        Index(
            "ix_milk_session_store_id_status_business_date", "store_id", "status", "business_date"
        ),
    )

    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("store.id", ondelete="CASCADE"))
    # The store's local date when the count started (API key `date`).
    business_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=Phase.NIGHT_FOH.value)
    night_foh_saved_at: Mapped[dt.datetime | None]
    night_foh_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    night_foh_user_name: Mapped[str | None] = mapped_column(String(200))
    night_boh_saved_at: Mapped[dt.datetime | None]
    night_boh_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    night_boh_user_name: Mapped[str | None] = mapped_column(String(200))
    morning_saved_at: Mapped[dt.datetime | None]
    morning_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    morning_user_name: Mapped[str | None] = mapped_column(String(200))
    on_order_saved_at: Mapped[dt.datetime | None]
    on_order_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    on_order_user_name: Mapped[str | None] = mapped_column(String(200))
    completed_at: Mapped[dt.datetime | None]


class MilkEntry(UUIDPrimaryKey, TimestampMixin, Base):
    __tablename__ = "milk_entry"
    __table_args__ = (
        CheckConstraint(
            f"morning_method IS NULL OR {_in('morning_method', MorningMethod)}",
            name="morning_method",
        ),
        UniqueConstraint("session_id", "milk_type_id"),
    )

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("milk_session.id", ondelete="CASCADE"))
    milk_type_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("milk_type.id", ondelete="CASCADE"), index=True
    )
    foh_count: Mapped[int | None]
    boh_count: Mapped[int | None]
    morning_method: Mapped[str | None] = mapped_column(String(20))
    current_boh: Mapped[int | None]
    delivered: Mapped[int | None]
    on_order: Mapped[int | None]
    # The par in force when the session completed; None until then.
    par: Mapped[int | None]
