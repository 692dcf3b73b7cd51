"""Dependencies that load and validate: the caller's session or milk type, the store's
clock, and `If-Match` for par levels.

Each loader takes the same store gate as its route (staff or admin), so a staff member
calling an admin route gets 403 before anything is looked up.
"""

from __future__ import annotations

import uuid
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends, Header, Path
from pydantic import WithJsonSchema

from backroom.accounts.deps import SettingsDep, StoreAdmin, StoreCaller, StoreStaff
from backroom.core.clock import ClockDep
from backroom.core.concurrency import IF_MATCH_PATTERN, parse_if_match
from backroom.core.db import SessionDep
from backroom.tools.milk_count.errors import (
    MilkSessionNotFound,
    MilkTypeNotFound,
)
from backroom.tools.milk_count.models import MilkSession, MilkType
from backroom.tools.milk_count.repository import (
    MilkTypeRepository,
    SessionRepository,
    store_timezone,
)
from backroom.tools.milk_count.service.common import StoreTime
from backroom.tools.milk_count.service.par_levels import Precondition

SessionIdPath = Annotated[str, Path(description="The session's id (a UUID).")]
MilkTypeIdPath = Annotated[str, Path(description="The milk type's id (a UUID).")]


def _uuid(value: str) -> uuid.UUID | None:
    # A malformed id is just another id that names nothing of the caller's store.
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def _session(session: SessionDep, caller: StoreCaller, session_id: str) -> MilkSession:
    ident = _uuid(session_id)
    row = None
    if ident is not None:
        row = await SessionRepository(session).get_owned(caller.store_id, ident)
    if row is None:
        raise MilkSessionNotFound
    return row


async def staff_session(
    session: SessionDep, caller: StoreStaff, session_id: SessionIdPath
) -> MilkSession:
    """The caller's store's session named in the path, or 404 whatever the reason."""
    return await _session(session, caller, session_id)


async def admin_session(
    session: SessionDep, caller: StoreAdmin, session_id: SessionIdPath
) -> MilkSession:
    return await _session(session, caller, session_id)


async def admin_milk_type(
    session: SessionDep, caller: StoreAdmin, milk_type_id: MilkTypeIdPath
) -> MilkType:
    """The caller's store's milk type named in the path, or 404 whatever the reason."""
    ident = _uuid(milk_type_id)
    row = None
    if ident is not None:
        row = await MilkTypeRepository(session).get_owned(caller.store_id, ident)
    if row is None:
        raise MilkTypeNotFound
    return row


async def store_time(
    session: SessionDep, caller: StoreStaff, clock: ClockDep, settings: SettingsDep
) -> StoreTime:
    """The app clock in the caller's store's time zone (the default zone as a fallback)."""
    name = await store_timezone(session, caller.store_id) or settings.STORE_TIMEZONE
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(settings.STORE_TIMEZONE)
    return StoreTime(clock=clock, timezone=zone)


StaffSession = Annotated[MilkSession, Depends(staff_session)]
AdminSession = Annotated[MilkSession, Depends(admin_session)]
AdminMilkType = Annotated[MilkType, Depends(admin_milk_type)]
StoreTimeDep = Annotated[StoreTime, Depends(store_time)]


async def par_if_match(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='The ETag you read (`"3"`); the write is refused with 412 if it changed.',
        ),
        # A string or absent, never null: the header has no null.
        WithJsonSchema({"type": "string", "pattern": IF_MATCH_PATTERN}),
    ] = None,
) -> Precondition:
    """The par level's `If-Match`; an unreadable value becomes a 422 in the service."""
    try:
        return Precondition(versions=parse_if_match(if_match))
    except ValueError:
        return Precondition(readable=False)


ParIfMatch = Annotated[Precondition, Depends(par_if_match)]
