"""Tables of the tasks tool: a user's tasks and their tags.

Priority is stored as a small integer rank (1 low, 2 medium, 3 high) so that sorting
by priority is a plain index order. Tags live in their own table, one row per tag of
a task, so tag filters and the tag counts are index lookups instead of JSON scans.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import IntEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backroom.core.db import Base, TimestampMixin

TITLE_MAX = 200
DESCRIPTION_MAX = 1000
TAG_MAX = 50
TAGS_MAX = 20
# Case folding can make a string up to three times longer ("ﬃ" -> "ffi").
_FOLD_FACTOR = 3


class Priority(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @classmethod
    def from_label(cls, label: str) -> Priority:
        return cls[label.upper()]


def fold(text: str) -> str:
    """The key two strings share when they are equal ignoring case."""
    return text.casefold()


class Task(TimestampMixin, Base):
    __tablename__ = "task"
    __table_args__ = (
        CheckConstraint("priority IN (1, 2, 3)", name="priority"),
        Index("ix_task_user_id_id", "user_id", "id"),
        Index("ix_task_user_id_completed_id", "user_id", "completed", "id"),
        # The trailing id makes each index the whole sort order of a list (sort key, id),
        # so PostgreSQL reads a page straight off the index; SQLite indexes end in the
        # rowid anyway.
        Index("ix_task_user_id_due_at_id", "user_id", "due_at", "id"),
        Index("ix_task_user_id_priority_id", "user_id", "priority", "id"),
        Index("ix_task_user_id_updated_at_id", "user_id", "updated_at", "id"),
        Index("ix_task_user_id_title_key_id", "user_id", "title_key", "id"),
        # Ids are never reused on SQLite either, so a deleted task's URL stays dead.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    # The title folded for case-insensitive sorting and searching on every engine.
    title_key: Mapped[str] = mapped_column(String(TITLE_MAX * _FOLD_FACTOR))
    description: Mapped[str | None] = mapped_column(String(DESCRIPTION_MAX))
    completed: Mapped[bool] = mapped_column(default=False)
    priority: Mapped[int] = mapped_column(default=Priority.MEDIUM.value)
    due_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    tags: Mapped[list[TaskTag]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="TaskTag.position",
        passive_deletes=True,
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def tag_names(self) -> list[str]:
        return [tag.name for tag in self.tags]


class TaskTag(Base):
    __tablename__ = "task_tag"
    __table_args__ = (Index("ix_task_tag_user_id_name_key", "user_id", "name_key"),)

    task_id: Mapped[int] = mapped_column(
        ForeignKey("task.id", ondelete="CASCADE"), primary_key=True
    )
    # The folded name is the key: one spelling of a tag per task.
    name_key: Mapped[str] = mapped_column(String(TAG_MAX * _FOLD_FACTOR), primary_key=True)
    name: Mapped[str] = mapped_column(String(TAG_MAX))
    # Denormalised owner, so counting a user's tags never joins the task table.
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    position: Mapped[int]


class TaskCount(Base):
    """How many tasks an owner has, and how many of them are completed.

    Kept exact by database triggers on `task` (migration 0005), in the same transaction
    as every insert, delete and completion change, so no code path can forget it; the
    pending count is `total - completed`. The list's `X-Total-Count` reads it instead of
    counting the owner's rows when only the status filters the list.
    """

    __tablename__ = "task_count"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    total: Mapped[int]
    completed: Mapped[int]
