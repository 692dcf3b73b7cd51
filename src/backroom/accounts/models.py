"""Stores, users and refresh tokens."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backroom.core.db import Base, TimestampMixin, UUIDPrimaryKey


class Role(StrEnum):
    USER = "user"
    STAFF = "staff"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Role.USER: 0, Role.STAFF: 1, Role.ADMIN: 2}


class Store(UUIDPrimaryKey, TimestampMixin, Base):
    __tablename__ = "store"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))


class User(UUIDPrimaryKey, TimestampMixin, Base):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("role IN ('user', 'staff', 'admin')", name="role"),
        CheckConstraint("role = 'user' OR store_id IS NOT NULL", name="staff_has_store"),
        Index("ix_user_store_id_created_at", "store_id", "created_at"),
    )

    # Unique also after a soft delete: a partner number or email is never reused.
    # Only local accounts (registered, or created by an admin) have an `email`.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    partner_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    # The subject of a Better Auth token this account was created for.
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # The email that token carried: shown, but it reserves nothing (Better Auth apps
    # often do not verify emails, so anyone could claim any address there).
    external_email: Mapped[str | None] = mapped_column(String(254))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    display_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default=Role.USER.value)
    store_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("store.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    deleted_at: Mapped[dt.datetime | None]
    failed_login_count: Mapped[int] = mapped_column(default=0)
    lockout_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    # Access tokens issued before this instant are refused (logout-all, deactivation, ...).
    tokens_valid_after: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]

    @property
    def name(self) -> str:
        if self.display_name:
            return self.display_name
        joined = " ".join(part for part in (self.first_name, self.last_name) if part)
        return joined or self.shown_email or self.partner_number or ""

    @property
    def shown_email(self) -> str | None:
        """The email to show: the local one, else the one a Better Auth token carried."""
        return self.email or self.external_email


class RefreshToken(UUIDPrimaryKey, Base):
    __tablename__ = "refresh_token"
    __table_args__ = (Index("ix_refresh_token_user_id_family_id", "user_id", "family_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    rotated_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    user_agent: Mapped[str | None] = mapped_column(String(255))
    ip: Mapped[str | None] = mapped_column(String(64))
