"""The milk count over HTTP (API.md §5.2): milk types, sessions, the four phase saves,
the summary and history; the admin routes live in `admin_router`.

`router` carries both and is mounted twice by `backroom.api`: at `/milk-count`, and at
`/milk-order` (hidden from the schema) for the tablet app that calls that prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.convertors import StringConvertor, register_url_convertor

from backroom.accounts.deps import StoreCaller, StoreStaff
from backroom.accounts.errors import InsufficientRole, InvalidCredentialsToken
from backroom.core.clock import Clock, ClockDep
from backroom.core.db import SessionDep
from backroom.core.errors import BadRequest, Unprocessable, UnsupportedMediaType, problem_responses
from backroom.core.mounting import Mount
from backroom.core.pagination import MAX_OFFSET
from backroom.core.replica import ReplicaSessionDep
from backroom.tools.milk_count import admin_router
from backroom.tools.milk_count.deps import StaffSession, StoreTimeDep
from backroom.tools.milk_count.errors import (
    InvalidCounts,
    MilkSessionNotFound,
    SessionExists,
    WrongPhase,
)
from backroom.tools.milk_count.models import MilkSession, Phase
from backroom.tools.milk_count.schemas import (
    BohCounts,
    EntryRead,
    FohCounts,
    HistoryPage,
    MilkTypeList,
    MorningCounts,
    OnOrders,
    PhaseName,
    SessionDetail,
    SessionEnvelope,
    SessionMessage,
    SessionRead,
    SummaryLine,
    SummaryRead,
    Totals,
)
from backroom.tools.milk_count.service import counting, milk_types, sessions
from backroom.tools.milk_count.service.counting import PayloadLine, PhaseSave
from backroom.tools.milk_count.service.summary import par_in_force, summarise

routes = APIRouter()


class _SessionIdConvertor(StringConvertor):
    """A session id that is not `start`, so `GET /sessions/start` is a 405 naming POST
    rather than a lookup of a session called "start"."""

    regex = "(?!start$)[^/]+"


register_url_convertor("milk_session_id", _SessionIdConvertor())

_CREATED: dict[int | str, dict[str, Any]] = {
    201: {
        "headers": {"Location": {"description": "The new session.", "schema": {"type": "string"}}}
    }
}
_SAVE_ERRORS = problem_responses(
    BadRequest, MilkSessionNotFound, WrongPhase, UnsupportedMediaType, InvalidCounts, Unprocessable
)


@routes.get("/milk-types", response_model=MilkTypeList)
async def list_active_milk_types(caller: StoreStaff, session: SessionDep) -> MilkTypeList:
    """The store's active milk types in display order, each with its par."""
    rows = await milk_types.list_milk_types(session, caller.store_id)
    return MilkTypeList(milk_types=[admin_router.milk_type_read(row, par) for row, par in rows])


@routes.get("/sessions/today", response_model=SessionEnvelope)
async def get_today_session(
    caller: StoreStaff, session: SessionDep, time: StoreTimeDep
) -> SessionEnvelope:
    """The session of the business day: an unfinished one started in the last 20 hours,
    else the one dated today (store time), else `null`."""
    row = await sessions.today_session(session, caller.store_id, time)
    return SessionEnvelope(session=SessionRead.from_session(row) if row else None)


@routes.post(
    "/sessions/start",
    status_code=201,
    response_model=SessionMessage,
    responses={**_CREATED, **problem_responses(SessionExists)},
)
async def start_session(
    request: Request, caller: StoreStaff, session: SessionDep, time: StoreTimeDep
) -> JSONResponse:
    """Start today's count. 409 with the existing session when the business day has one."""
    row = await sessions.start_session(session, caller, time)
    body = SessionMessage(message="Milk count started", session=SessionRead.from_session(row))
    location = request.url.path.removesuffix("/start") + f"/{row.id}"
    return JSONResponse(
        body.model_dump(mode="json"), status_code=201, headers={"Location": location}
    )


@routes.get(
    "/sessions/{session_id:milk_session_id}",
    response_model=SessionDetail,
    responses=problem_responses(MilkSessionNotFound),
)
async def get_session(row: StaffSession, caller: StoreStaff, session: SessionDep) -> SessionDetail:
    """A session with one entry per milk type (counts are null until their phase is saved)."""
    lines = await sessions.session_lines(session, caller.store_id, row)
    entries = []
    for line in lines:
        entry = line.entry
        assert entry is not None
        entries.append(
            EntryRead(
                id=entry.id,
                session_id=row.id,
                milk_type_id=line.milk_type.id,
                milk_type_name=line.milk_type.name,
                milk_type_category=line.milk_type.category,  # type: ignore[arg-type]
                foh_count=entry.foh_count,
                boh_count=entry.boh_count,
                morning_method=entry.morning_method,  # type: ignore[arg-type]
                current_boh=entry.current_boh,
                delivered=entry.delivered,
                on_order=entry.on_order,
                par=par_in_force(line, row),
                updated_at=entry.updated_at,
            )
        )
    return SessionDetail(session=SessionRead.from_session(row), entries=entries)


async def _save(
    save: PhaseSave,
    message: str,
    items: Sequence[PayloadLine],
    *,
    row: MilkSession,
    caller: StoreCaller,
    session: AsyncSession,
    clock: Clock,
) -> SessionMessage:
    row = await counting.save_phase(session, caller, row, save, items, clock=clock)
    return SessionMessage(message=message, session=SessionRead.from_session(row))


@routes.put(
    "/sessions/{session_id}/night-foh", response_model=SessionMessage, responses=_SAVE_ERRORS
)
async def save_night_foh(
    row: StaffSession, body: FohCounts, caller: StoreStaff, session: SessionDep, clock: ClockDep
) -> SessionMessage:
    """Save the night front-of-house counts; the session moves to `night_boh`."""
    return await _save(
        counting.NIGHT_FOH, "Night FOH count saved", body.counts,
        row=row, caller=caller, session=session, clock=clock,
    )  # fmt: skip


@routes.put(
    "/sessions/{session_id}/night-boh", response_model=SessionMessage, responses=_SAVE_ERRORS
)
async def save_night_boh(
    row: StaffSession, body: BohCounts, caller: StoreStaff, session: SessionDep, clock: ClockDep
) -> SessionMessage:
    """Save the night back-of-house counts; the session moves to `morning`."""
    return await _save(
        counting.NIGHT_BOH, "Night BOH count saved", body.counts,
        row=row, caller=caller, session=session, clock=clock,
    )  # fmt: skip


@routes.put("/sessions/{session_id}/morning", response_model=SessionMessage, responses=_SAVE_ERRORS)
async def save_morning(
    row: StaffSession, body: MorningCounts, caller: StoreStaff, session: SessionDep, clock: ClockDep
) -> SessionMessage:
    """Save what the delivery brought, per milk type (`boh_count` or `direct_delivered`);
    the session moves to `on_order`."""
    return await _save(
        counting.MORNING, "Morning count saved", body.counts,
        row=row, caller=caller, session=session, clock=clock,
    )  # fmt: skip


@routes.put(
    "/sessions/{session_id}/on-order", response_model=SessionMessage, responses=_SAVE_ERRORS
)
async def save_on_order(
    row: StaffSession, body: OnOrders, caller: StoreStaff, session: SessionDep, clock: ClockDep
) -> SessionMessage:
    """Save what is already on order; the session completes and its pars are captured."""
    return await _save(
        counting.ON_ORDER, "Milk count completed", body.on_orders,
        row=row, caller=caller, session=session, clock=clock,
    )  # fmt: skip


@routes.get(
    "/sessions/{session_id}/summary",
    response_model=SummaryRead,
    responses=problem_responses(MilkSessionNotFound),
)
async def get_summary(row: StaffSession, caller: StoreStaff, session: SessionDep) -> SummaryRead:
    """What each milk type adds up to and what to order: `total = foh + boh + delivered`,
    `order = max(0, par - total - on_order)`."""
    summary = summarise(row, await sessions.session_lines(session, caller.store_id, row))
    lines = [
        SummaryLine(
            milk_type_id=item.line.milk_type.id,
            milk_type=item.line.milk_type.name,
            category=item.line.milk_type.category,  # type: ignore[arg-type]
            foh=item.foh,
            boh=item.boh,
            delivered=item.delivered,
            on_order=item.on_order,
            total=item.total,
            par=item.par,
            order=item.order,
        )
        for item in summary.rows
    ]
    return SummaryRead(
        session=SessionRead.from_session(row), summary=lines, totals=Totals(**summary.totals)
    )


@routes.get("/history", response_model=HistoryPage, responses=problem_responses(Unprocessable))
async def list_history(
    caller: StoreStaff,
    session: ReplicaSessionDep,
    status: Annotated[PhaseName | None, Query(description="Only sessions in this phase.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> HistoryPage:
    """The store's sessions, newest business day first."""
    rows, total = await sessions.history(
        session,
        caller.store_id,
        status=Phase(status) if status else None,
        limit=limit,
        offset=offset,
    )
    return HistoryPage(
        sessions=[SessionRead.from_session(row) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


_RESPONSES = problem_responses(InvalidCredentialsToken, InsufficientRole)
# Without a prefix: the app mounts them twice, at /milk-count and at the tablet's /milk-order.
mounts = tuple(
    Mount(part, responses=_RESPONSES, tags=("milk count",))
    for part in (routes, admin_router.routes, admin_router.session_routes)
)
