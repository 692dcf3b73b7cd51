"""What the milk count's use cases share: the business day and the session audit events."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.deps import StoreCaller
from backroom.core.audit import AuditAction, record
from backroom.core.clock import Clock
from backroom.tools.milk_count.models import MilkSession


@dataclass(frozen=True, slots=True)
class StoreTime:
    """The app clock as one store sees it: the instant, and the store's local date."""

    clock: Clock
    timezone: ZoneInfo

    def now(self) -> dt.datetime:
        return self.clock.now()

    def today(self) -> dt.date:
        return self.clock.now().astimezone(self.timezone).date()


async def record_session_event(
    session: AsyncSession,
    action: AuditAction,
    caller: StoreCaller,
    row: MilkSession,
    **details: Any,
) -> None:
    """A session event as docs/audit-events.md fixes it (label and `date` are the day)."""
    day = row.business_date.isoformat()
    await record(
        session,
        action,
        actor=caller.actor,
        target_type="milk_session",
        target_id=row.id,
        target_label=day,
        details={"date": day, **details},
        store_id=caller.store_id,
    )
