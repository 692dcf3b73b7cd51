"""The audit trail: one row per state change, written in the same transaction as the change.

Services call `record(session, ...)` after their write and before returning; the
request's session commits both together. The reader (feeds, search, CSV export)
lives in a tool of its own, so every domain can write events without importing it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from backroom.core.db import Base, utcnow
from backroom.core.http import current_context


class AuditAction(StrEnum):
    """Every action Backroom records, as `<domain>.<entity>.<verb>`."""

    AUTH_LOGIN_SUCCEEDED = "auth.login.succeeded"
    AUTH_LOGIN_FAILED = "auth.login.failed"
    AUTH_ACCOUNT_LOCKED = "auth.account.locked"
    AUTH_REFRESH_REUSED = "auth.refresh.reused"
    AUTH_LOGOUT = "auth.session.logged_out"
    AUTH_LOGOUT_ALL = "auth.session.logged_out_all"
    AUTH_PASSWORD_CHANGED = "auth.password.changed"
    AUTH_PIN_CHANGED = "auth.pin.changed"
    AUTH_PROFILE_UPDATED = "auth.profile.updated"
    ACCOUNTS_USER_REGISTERED = "accounts.user.registered"
    ACCOUNTS_USER_CREATED = "accounts.user.created"
    ACCOUNTS_USER_UPDATED = "accounts.user.updated"
    ACCOUNTS_USER_DELETED = "accounts.user.deleted"
    ACCOUNTS_USER_RESTORED = "accounts.user.restored"
    ACCOUNTS_USER_UNLOCKED = "accounts.user.unlocked"
    ACCOUNTS_PIN_RESET = "accounts.user.pin_reset"
    ACCOUNTS_STORE_CREATED = "accounts.store.created"
    TASKS_TASK_CREATED = "tasks.task.created"
    TASKS_TASK_UPDATED = "tasks.task.updated"
    TASKS_TASK_COMPLETED = "tasks.task.completed"
    TASKS_TASK_REOPENED = "tasks.task.reopened"
    TASKS_TASK_DELETED = "tasks.task.deleted"
    TRACKING_ITEM_ADDED = "tracking.item.added"
    TRACKING_ITEM_REMOVED = "tracking.item.removed"
    TRACKING_ITEM_RESTORED = "tracking.item.restored"
    TRACKING_ITEM_RENAMED = "tracking.item.renamed"
    TRACKING_SUGGESTION_CREATED = "tracking.suggestion.created"
    TRACKING_SUGGESTION_DELETED = "tracking.suggestion.deleted"
    MILK_SESSION_STARTED = "milk_count.session.started"
    MILK_NIGHT_FOH_SAVED = "milk_count.session.night_foh_saved"
    MILK_NIGHT_BOH_SAVED = "milk_count.session.night_boh_saved"
    MILK_MORNING_SAVED = "milk_count.session.morning_saved"
    MILK_SESSION_COMPLETED = "milk_count.session.completed"
    MILK_SESSION_REOPENED = "milk_count.session.reopened"
    MILK_TYPE_CREATED = "milk_count.milk_type.created"
    MILK_TYPE_UPDATED = "milk_count.milk_type.updated"
    MILK_PAR_UPDATED = "milk_count.par_level.updated"
    RTDE_ITEM_CREATED = "rtde.item.created"
    RTDE_ITEM_UPDATED = "rtde.item.updated"
    RTDE_ITEM_DELETED = "rtde.item.deleted"
    RTDE_ITEM_DEACTIVATED = "rtde.item.deactivated"
    RTDE_ITEMS_REORDERED = "rtde.item.reordered"
    RTDE_SESSION_STARTED = "rtde.session.started"
    RTDE_COUNT_SAVED = "rtde.count.saved"
    RTDE_COUNT_PULLED = "rtde.count.pulled"
    RTDE_SESSION_COMPLETED = "rtde.session.completed"
    AUDIT_EVENTS_PRUNED = "audit.event.pruned"


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_store_id_at", "store_id", "at"),
        Index("ix_audit_event_owner_id_at", "owner_id", "at"),
        Index("ix_audit_event_actor_id_at", "actor_id", "at"),
        Index("ix_audit_event_target", "target_type", "target_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(80), index=True)
    actor_id: Mapped[uuid.UUID | None]
    actor_name: Mapped[str | None] = mapped_column(String(200))
    store_id: Mapped[uuid.UUID | None]
    # Set for private events (tasks): only this user may ever see them; never in store feeds.
    owner_id: Mapped[uuid.UUID | None]
    target_type: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[str | None] = mapped_column(String(64))
    target_label: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(128))
    ip: Mapped[str | None] = mapped_column(String(64))


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it. `None` as an actor means the system (CLI, a background job)."""

    id: uuid.UUID
    name: str | None
    store_id: uuid.UUID | None


async def record(
    session: AsyncSession,
    action: AuditAction,
    *,
    actor: Actor | None,
    target_type: str,
    target_id: object | None = None,
    target_label: str | None = None,
    details: dict[str, Any] | None = None,
    store_id: uuid.UUID | None = None,
    owner_id: uuid.UUID | None = None,
) -> AuditEvent:
    """Add an audit event to the caller's transaction (flushed with the rest of the write)."""
    context = current_context()
    event = AuditEvent(
        action=action.value,
        actor_id=actor.id if actor else None,
        actor_name=actor.name if actor else None,
        store_id=store_id,
        owner_id=owner_id,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        target_label=target_label[:200] if target_label else None,
        details=details or {},
        request_id=context.request_id if context else None,
        ip=context.client_ip if context else None,
    )
    session.add(event)
    return event
