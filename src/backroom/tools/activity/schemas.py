"""Response bodies of the feeds and the audit search, and the parsed audit filters."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from backroom.core.audit import AuditEvent
from backroom.tools.activity.catalog import Tool

# Who an event without an actor (a command, a background job) is shown as.
SYSTEM_NAME = "System"


class ActivityRead(BaseModel):
    id: uuid.UUID
    type: str = Field(description="The icon the app shows, e.g. `inventory_add`.")
    title: str
    description: str
    user_name: str
    timestamp: dt.datetime
    tool: Tool


class ActivityList(BaseModel):
    activities: list[ActivityRead]
    count: int


class AdminActivityRead(BaseModel):
    id: uuid.UUID
    type: str = Field(description="The icon the app shows, e.g. `user_created`.")
    title: str
    description: str
    admin_name: str
    timestamp: dt.datetime


class AdminActivityList(BaseModel):
    activities: list[AdminActivityRead]
    count: int


class AuditEventRead(BaseModel):
    id: uuid.UUID
    at: dt.datetime
    actor_id: uuid.UUID | None
    actor_name: str | None
    action: str
    target_type: str
    target_id: str | None
    target_label: str | None
    details: dict[str, Any]
    request_id: str | None
    ip: str | None

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventRead:
        return cls(
            id=event.id,
            at=event.at,
            actor_id=event.actor_id,
            actor_name=event.actor_name,
            action=event.action,
            target_type=event.target_type,
            target_id=event.target_id,
            target_label=event.target_label,
            details=event.details if isinstance(event.details, dict) else {},
            request_id=event.request_id,
            ip=event.ip,
        )


class AuditPage(BaseModel):
    events: list[AuditEventRead]
    next_cursor: str | None = Field(
        description="Send it as `cursor` for the next page; null on the last page."
    )


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """The audit search filters, checked; `None` leaves a filter out."""

    actor_id: uuid.UUID | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    q: str | None = None

    def fingerprint_parts(self) -> tuple[object, ...]:
        return (
            self.actor_id,
            self.action,
            self.target_type,
            self.target_id,
            self.since,
            self.until,
            self.q,
        )
