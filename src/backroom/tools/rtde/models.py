"""Tables of the RTD&E tool: the display's items, count sessions and their counts.

A session pins its item set when it starts: one `rtde_count` row is written for every
item active at that moment (`counted_quantity` NULL until counted). The session then
lists exactly those rows, so an item deactivated later stays in it and an item created
later never joins it, and a count is an UPDATE of a row that already exists.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from backroom.core.db import Base, TimestampMixin, UUIDPrimaryKey, utcnow

NAME_MAX = 100
BRAND_MAX = 50
ICON_MAX = 10
IMAGE_FILENAME_MAX = 100
PAR_MIN, PAR_MAX = 1, 999
COUNT_MIN, COUNT_MAX = 0, 999


class SessionStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    # Stored for a session ended by a newer one; a session past `expires_at` is shown
    # as expired while its row still says in_progress (no background job).
    EXPIRED = "expired"


class RTDEItem(UUIDPrimaryKey, TimestampMixin, Base):
    __tablename__ = "rtde_item"
    __table_args__ = (
        CheckConstraint(f"par_level BETWEEN {PAR_MIN} AND {PAR_MAX}", name="par_level"),
        Index("ix_rtde_item_store_id_active_display_order", "store_id", "active", "display_order"),
    )

    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("store.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    brand: Mapped[str | None] = mapped_column(String(BRAND_MAX))
    icon: Mapped[str | None] = mapped_column(String(ICON_MAX))
    image_filename: Mapped[str | None] = mapped_column(String(IMAGE_FILENAME_MAX))
    par_level: Mapped[int]
    display_order: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class RTDESession(UUIDPrimaryKey, Base):
    __tablename__ = "rtde_session"
    __table_args__ = (
        CheckConstraint("status IN ('in_progress', 'completed', 'expired')", name="status"),
        # At most one open session per user, whatever races the requests run.
        Index(
            "uq_rtde_session_user_id_in_progress",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'in_progress'"),
            postgresql_where=text("status = 'in_progress'"),
        ),
        Index("ix_rtde_session_store_id_status_completed_at", "store_id", "status", "completed_at"),
    )

    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("store.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=SessionStatus.IN_PROGRESS.value)
    started_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    completed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def is_open(self, now: dt.datetime) -> bool:
        return self.status == SessionStatus.IN_PROGRESS and now < self.expires_at

    def shown_status(self, now: dt.datetime) -> SessionStatus:
        """The status clients see: an open session past its expiry reads `expired`."""
        if self.status == SessionStatus.IN_PROGRESS and now >= self.expires_at:
            return SessionStatus.EXPIRED
        return SessionStatus(self.status)


class RTDECount(Base):
    """One item of one session; the composite key makes (session, item) unique."""

    __tablename__ = "rtde_count"
    __table_args__ = (
        CheckConstraint(
            f"counted_quantity IS NULL OR counted_quantity BETWEEN {COUNT_MIN} AND {COUNT_MAX}",
            name="counted_quantity",
        ),
        # "Does this item appear in any session?" (delete or deactivate).
        Index("ix_rtde_count_item_id", "item_id"),
    )

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rtde_session.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rtde_item.id"), primary_key=True)
    counted_quantity: Mapped[int | None]
    is_pulled: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
