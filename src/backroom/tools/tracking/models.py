"""Tables of the tracking tool: items with 4-digit codes, their history, name templates.

A code is unique among a store's *active* items only: the partial unique index is the
judge, so two concurrent creates can never both hold a code, and a removed item's code
may be given to a new item. History rows copy the item's name and code and the user's
name, so renaming or reusing never rewrites what happened.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import CHAR, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from backroom.core.db import Base, TimestampMixin, UUIDPrimaryKey, utcnow

NAME_MIN = 2
NAME_MAX = 100
NOTES_MAX = 500
CODE_SPACE = 10_000
# Case folding can make a string up to three times longer ("ﬃ" -> "ffi").
_FOLD_FACTOR = 3
# The partial index's predicate, written as each engine's planner matches the queries'
# `is_removed = false` (SQLite keeps booleans as 0/1 and compares the term as written).
_SQLITE_ACTIVE = text("is_removed = 0")
_POSTGRES_ACTIVE = text("NOT is_removed")


class Category(StrEnum):
    SYRUPS = "syrups"
    SAUCES = "sauces"
    COFFEE_BEANS = "coffee_beans"
    POWDERS = "powders"
    CUPS = "cups"
    LIDS = "lids"
    CONDIMENTS = "condiments"
    CLEANING_SUPPLIES = "cleaning_supplies"
    OTHER = "other"


class Action(StrEnum):
    ADD = "ADD"
    REMOVE = "REMOVE"


_CATEGORIES = ", ".join(f"'{category.value}'" for category in Category)


def fold(text_value: str) -> str:
    """The key two names share when they are equal ignoring case."""
    return text_value.casefold()


def format_code(number: int) -> str:
    return f"{number:04d}"


class TrackingItem(UUIDPrimaryKey, TimestampMixin, Base):
    __tablename__ = "tracking_item"
    __table_args__ = (
        CheckConstraint(f"category IN ({_CATEGORIES})", name="category"),
        # One active item per code and store; removed items keep their code.
        Index(
            "uq_tracking_item_store_id_code_active",
            "store_id",
            "code",
            unique=True,
            sqlite_where=_SQLITE_ACTIVE,
            postgresql_where=_POSTGRES_ACTIVE,
        ),
        # Every item that ever had a code: the generator's look-up of candidate codes.
        Index("ix_tracking_item_store_id_code", "store_id", "code"),
        # The lists, newest first: active only, everything, and by category.
        Index(
            "ix_tracking_item_store_id_is_removed_added_at", "store_id", "is_removed", "added_at"
        ),
        Index("ix_tracking_item_store_id_added_at", "store_id", "added_at"),
        Index(
            "ix_tracking_item_store_id_category_is_removed_added_at",
            "store_id",
            "category",
            "is_removed",
            "added_at",
        ),
    )

    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("store.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    # The name folded, for case-insensitive search on every engine.
    name_key: Mapped[str] = mapped_column(String(NAME_MAX * _FOLD_FACTOR))
    category: Mapped[str] = mapped_column(String(30))
    code: Mapped[str] = mapped_column(CHAR(4))
    added_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    added_by_name: Mapped[str | None] = mapped_column(String(200))
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    is_removed: Mapped[bool] = mapped_column(default=False)
    removed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    removed_by_name: Mapped[str | None] = mapped_column(String(200))
    removed_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class TrackingHistory(UUIDPrimaryKey, Base):
    """Append-only: one row per add, remove, rename and restore."""

    __tablename__ = "tracking_history"
    __table_args__ = (
        CheckConstraint("action IN ('ADD', 'REMOVE')", name="action"),
        Index("ix_tracking_history_store_id_timestamp", "store_id", "timestamp"),
        Index("ix_tracking_history_store_id_user_id_timestamp", "store_id", "user_id", "timestamp"),
        Index("ix_tracking_history_store_id_action_timestamp", "store_id", "action", "timestamp"),
        Index(
            "ix_tracking_history_store_id_item_code_timestamp", "store_id", "item_code", "timestamp"
        ),
    )

    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("store.id", ondelete="CASCADE"))
    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tracking_item.id", ondelete="CASCADE"), index=True
    )
    item_name: Mapped[str] = mapped_column(String(NAME_MAX))
    item_code: Mapped[str] = mapped_column(CHAR(4))
    action: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    user_name: Mapped[str | None] = mapped_column(String(200))
    timestamp: Mapped[dt.datetime] = mapped_column(default=utcnow)
    notes: Mapped[str | None] = mapped_column(String(NOTES_MAX))


class TrackingHistoryCount(Base):
    """How many history rows a store has, adds and removes apart.

    Kept exact by database triggers on `tracking_history` (migration 0010), in the same
    transaction as every insert and delete, so no code path can forget it. The history
    list's `total` reads it when only the action filters the list.
    """

    __tablename__ = "tracking_history_count"

    store_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("store.id", ondelete="CASCADE"), primary_key=True
    )
    adds: Mapped[int]
    removes: Mapped[int]


class TrackingSuggestion(UUIDPrimaryKey, TimestampMixin, Base):
    """A name template offered while typing, per store and category."""

    __tablename__ = "tracking_suggestion"
    __table_args__ = (
        CheckConstraint(f"category IN ({_CATEGORIES})", name="category"),
        Index(
            "uq_tracking_suggestion_store_id_category_name_key",
            "store_id",
            "category",
            "name_key",
            unique=True,
        ),
    )

    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("store.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    name_key: Mapped[str] = mapped_column(String(NAME_MAX * _FOLD_FACTOR))
