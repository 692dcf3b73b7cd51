"""Count sessions: start or resume, count, tick what was pulled, complete; and history.

A session belongs to the user who started it and is open until it is completed, ended
by a newer one, or reaches `expires_at` by the app's clock. Expiry is read from the
time, never written by a job: a row past `expires_at` still says `in_progress` and is
shown (and refused) as expired.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.deps import StoreCaller
from backroom.accounts.models import User
from backroom.core.audit import AuditAction, record
from backroom.tools.rtde.errors import (
    NothingToResume,
    SessionCompleted,
    SessionExpired,
    SessionItemNotFound,
)
from backroom.tools.rtde.models import RTDESession, SessionStatus
from backroom.tools.rtde.repository import LineChange, Progress, SessionLine, SessionRepository


@dataclass(frozen=True, slots=True)
class Started:
    session: RTDESession
    created: bool


@dataclass(frozen=True, slots=True)
class CompletedSession:
    session: RTDESession
    user: User
    progress: Progress


def need(par_level: int, counted: int | None) -> int:
    """What to pull to bring an item to par; an uncounted item needs its whole par."""
    return max(0, par_level - (counted if counted is not None else 0))


def check_open(session_row: RTDESession, now: dt.datetime) -> None:
    """409 unless the session still takes counts, ticks and its completion."""
    if session_row.status == SessionStatus.COMPLETED:
        raise SessionCompleted
    if not session_row.is_open(now):
        raise SessionExpired


async def start_session(
    session: AsyncSession,
    caller: StoreCaller,
    *,
    resume: bool,
    now: dt.datetime,
    lifetime: dt.timedelta,
) -> Started:
    """Resume the caller's open session, or start a new one that ends the others."""
    sessions = SessionRepository(session)
    if resume:
        current = await sessions.open_session(caller.store_id, caller.user_id)
        if current is None or not current.is_open(now):
            raise NothingToResume
        return Started(current, created=False)
    # Starts of one user queue here, so concurrent starts leave exactly one open session.
    await sessions.lock_user(caller.user_id)
    await sessions.end_open_sessions(caller.user_id, now)
    new = RTDESession(
        store_id=caller.store_id,
        user_id=caller.user_id,
        status=SessionStatus.IN_PROGRESS.value,
        started_at=now,
        expires_at=now + lifetime,
        created_at=now,
        updated_at=now,
    )
    await sessions.add(new)
    await sessions.pin_items(new.id, caller.store_id, now)
    await record(
        session,
        AuditAction.RTDE_SESSION_STARTED,
        actor=caller.actor,
        target_type="rtde_session",
        target_id=new.id,
        details={"expires_at": new.expires_at.isoformat().replace("+00:00", "Z")},
        store_id=caller.store_id,
    )
    return Started(new, created=True)


async def active_session(
    session: AsyncSession, caller: StoreCaller, now: dt.datetime
) -> tuple[RTDESession, Progress] | None:
    sessions = SessionRepository(session)
    current = await sessions.open_session(caller.store_id, caller.user_id)
    if current is None or not current.is_open(now):
        return None
    return current, await sessions.progress(current.id)


async def last_completed(
    session: AsyncSession, store_id: uuid.UUID
) -> tuple[RTDESession, User] | None:
    return await SessionRepository(session).last_completed(store_id)


async def session_lines(session: AsyncSession, session_row: RTDESession) -> list[SessionLine]:
    return await SessionRepository(session).lines(session_row.id)


def pull_lines(lines: Sequence[SessionLine], *, include_uncounted: bool) -> list[SessionLine]:
    """What to fetch from the back room: counted items below par, in display order;
    with `include_uncounted`, the never-counted items too (their need is their par)."""
    return [
        line
        for line in lines
        if (line.counted_quantity is None and include_uncounted)
        or (line.counted_quantity is not None and need(line.par_level, line.counted_quantity) > 0)
    ]


async def count_item(
    session: AsyncSession,
    session_row: RTDESession,
    *,
    caller: StoreCaller,
    item_id: uuid.UUID,
    quantity: int,
    now: dt.datetime,
) -> int:
    """Store a count (the same count twice is the same state); returns the need."""
    check_open(session_row, now)
    line = await SessionRepository(session).set_count(session_row.id, item_id, quantity, now)
    if line is None:
        raise SessionItemNotFound
    if line.changed:
        details = {"item_id": str(item_id), "name": line.name, "counted_quantity": quantity}
        await _record_line(
            session,
            AuditAction.RTDE_COUNT_SAVED,
            session_row,
            caller=caller,
            line=line,
            details=details,
        )
    return need(line.par_level, quantity)


async def mark_pulled(
    session: AsyncSession,
    session_row: RTDESession,
    *,
    caller: StoreCaller,
    item_id: uuid.UUID,
    pulled: bool,
    now: dt.datetime,
) -> None:
    check_open(session_row, now)
    line = await SessionRepository(session).set_pulled(session_row.id, item_id, pulled, now)
    if line is None:
        raise SessionItemNotFound
    if line.changed:
        details = {"item_id": str(item_id), "name": line.name, "is_pulled": pulled}
        await _record_line(
            session,
            AuditAction.RTDE_COUNT_PULLED,
            session_row,
            caller=caller,
            line=line,
            details=details,
        )


async def _record_line(
    session: AsyncSession,
    action: AuditAction,
    session_row: RTDESession,
    *,
    caller: StoreCaller,
    line: LineChange,
    details: dict[str, object],
) -> None:
    """A change of one line of a count session: the session is the target, the item its label."""
    await record(
        session,
        action,
        actor=caller.actor,
        target_type="rtde_session",
        target_id=session_row.id,
        target_label=line.name,
        details=details,
        store_id=caller.store_id,
    )


async def complete_session(
    session: AsyncSession, session_row: RTDESession, caller: StoreCaller, now: dt.datetime
) -> None:
    """Close the session for good; it and its counts stay as history."""
    check_open(session_row, now)
    session_row.status = SessionStatus.COMPLETED.value
    session_row.completed_at = now
    session_row.updated_at = now
    await session.flush()
    progress = await SessionRepository(session).progress(session_row.id)
    await record(
        session,
        AuditAction.RTDE_SESSION_COMPLETED,
        actor=caller.actor,
        target_type="rtde_session",
        target_id=session_row.id,
        details={
            "activity_type": "rtde_completed",
            "items_counted": progress.items_counted,
            "items_pulled": progress.items_pulled,
        },
        store_id=caller.store_id,
    )


async def history(
    session: AsyncSession, store_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[CompletedSession], int]:
    """One page of the store's completed sessions, newest first, and how many there are."""
    sessions = SessionRepository(session)
    rows = await sessions.completed_page(store_id, limit=limit, offset=offset)
    tallies = await sessions.progress_of([row[0].id for row in rows])
    empty = Progress(0, 0, 0)
    page = [CompletedSession(row[0], row[1], tallies.get(row[0].id, empty)) for row in rows]
    if offset == 0 and len(rows) < limit:
        return page, len(rows)
    return page, await sessions.count_completed(store_id)
