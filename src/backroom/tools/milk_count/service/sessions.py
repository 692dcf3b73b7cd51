"""Count sessions: which one is "today", starting one, reading one, history and reopening.

The business day is the store's local date. A night count started in the evening and
finished after midnight is one session: `today` is the newest unfinished session
started in the last 20 hours, else the session dated today (see API.md §5.2).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from backroom.accounts.deps import StoreCaller
from backroom.core.audit import AuditAction
from backroom.core.clock import Clock
from backroom.tools.milk_count.errors import NotAnEarlierPhase, SessionExists, WrongPhase
from backroom.tools.milk_count.models import MilkSession, Phase
from backroom.tools.milk_count.repository import Line, MilkTypeRepository, SessionRepository
from backroom.tools.milk_count.schemas import SessionRead
from backroom.tools.milk_count.service.common import StoreTime, record_session_event

# How long an unfinished count stays "today": from an evening start to the morning after.
OPEN_WINDOW = dt.timedelta(hours=20)


async def today_session(
    session: AsyncSession, store_id: uuid.UUID, time: StoreTime
) -> MilkSession | None:
    repository = SessionRepository(session)
    open_session = await repository.newest_open_since(store_id, time.now() - OPEN_WINDOW)
    if open_session is not None:
        return open_session
    return await repository.on_date(store_id, time.today())


def _exists(row: MilkSession) -> SessionExists:
    return SessionExists(SessionRead.from_session(row).model_dump(mode="json"))


async def start_session(session: AsyncSession, caller: StoreCaller, time: StoreTime) -> MilkSession:
    """Start today's count, with an empty entry for every active milk type.

    409 (with that session) when today's session exists, finished or not. Two tablets
    starting at once meet at the unique (store, date) index: the loser gets the 409.
    """
    repository = SessionRepository(session)
    current = await today_session(session, caller.store_id, time)
    if current is not None:
        raise _exists(current)
    now, today = time.now(), time.today()
    row = MilkSession(
        id=uuid.uuid4(),
        store_id=caller.store_id,
        business_date=today,
        status=Phase.NIGHT_FOH.value,
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        winner = await repository.on_date(caller.store_id, today)
        if winner is None:  # pragma: no cover - the index said it exists
            raise
        raise _exists(winner) from None
    milk_types = await MilkTypeRepository(session).list_with_par(caller.store_id)
    await repository.insert_entries(
        [empty_entry(row.id, milk_type.id, now) for milk_type, _par in milk_types]
    )
    await record_session_event(session, AuditAction.MILK_SESSION_STARTED, caller, row)
    return row


def empty_entry(session_id: uuid.UUID, milk_type_id: uuid.UUID, now: dt.datetime) -> dict[str, Any]:
    """The columns of an entry nobody has counted yet (every key, for one bulk INSERT)."""
    return {
        "id": uuid.uuid4(),
        "session_id": session_id,
        "milk_type_id": milk_type_id,
        "foh_count": None,
        "boh_count": None,
        "morning_method": None,
        "current_boh": None,
        "delivered": None,
        "on_order": None,
        "par": None,
        "created_at": now,
        "updated_at": now,
    }


async def session_lines(session: AsyncSession, store_id: uuid.UUID, row: MilkSession) -> list[Line]:
    """The session's entries with their milk types and live pars, in display order."""
    return await SessionRepository(session).lines(store_id, row.id, with_active=False)


async def history(
    session: AsyncSession, store_id: uuid.UUID, *, status: Phase | None, limit: int, offset: int
) -> tuple[Sequence[MilkSession], int]:
    return await SessionRepository(session).history(
        store_id, status=status, limit=limit, offset=offset
    )


async def advance(
    session: AsyncSession,
    store_id: uuid.UUID,
    row: MilkSession,
    *,
    expected: Phase,
    values: Mapping[str, Any],
) -> None:
    """Move `row` on if it is still in `expected`, else 409 naming the phase it is in.

    The in-memory row takes the new values without being marked dirty, so the response
    shows them and no second UPDATE follows.
    """
    repository = SessionRepository(session)
    if not await repository.advance(store_id, row.id, expected=expected, values=values):
        current = await repository.status_of(row.id)
        raise WrongPhase(current or row.status)
    for key, value in values.items():
        set_committed_value(row, key, value)


async def reopen_session(
    session: AsyncSession, caller: StoreCaller, row: MilkSession, phase: Phase, *, clock: Clock
) -> MilkSession:
    """Move a session back to an earlier phase so it can be saved again (admins).

    Later phases keep their data and times until they are saved again; a completed
    session loses `completed_at` and shows the live par until it completes again.
    """
    current = Phase(row.status)
    if not phase.is_before(current):
        raise NotAnEarlierPhase(current.value)
    values: dict[str, Any] = {"status": phase.value, "updated_at": clock.now()}
    if current is Phase.COMPLETED:
        values["completed_at"] = None
    await advance(session, caller.store_id, row, expected=current, values=values)
    await record_session_event(
        session,
        AuditAction.MILK_SESSION_REOPENED,
        caller,
        row,
        from_status=current.value,
        status=phase.value,
    )
    return row
