"""RTD&E routes (API.md §5.3), mounted at `/api/rtde`: the admin's items and history
(`admin_router`), then the staff's count sessions.

Fixed paths (`/sessions/active`, `/sessions/last-completed`, `/sessions/start`,
`/sessions/history`) are declared before `/sessions/{session_id}`, which would otherwise
read them as session ids.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from backroom.accounts.deps import StoreStaff
from backroom.accounts.errors import InsufficientRole, InvalidCredentialsToken
from backroom.core.db import SessionDep
from backroom.core.errors import BadRequest, Unprocessable, UnsupportedMediaType, problem_responses
from backroom.core.mounting import Mount
from backroom.tools.rtde import admin_router
from backroom.tools.rtde.deps import (
    Now,
    OwnSession,
    OwnSessionForUpdate,
    OwnSessionShared,
    SessionLifetime,
)
from backroom.tools.rtde.errors import (
    NothingToResume,
    SessionCompleted,
    SessionExpired,
    SessionItemNotFound,
    SessionNotFound,
)
from backroom.tools.rtde.schemas import (
    ActiveSession,
    ActiveSessionEnvelope,
    CountRequest,
    CountResult,
    LastCompleted,
    Message,
    PullItem,
    PullList,
    PullRequest,
    SessionItem,
    SessionRead,
    SessionStarted,
    SessionView,
    StartRequest,
)
from backroom.tools.rtde.service import sessions as service
from backroom.tools.rtde.service.sessions import need

sessions = APIRouter(prefix="/sessions")

_BODY_ERRORS = (BadRequest, UnsupportedMediaType, Unprocessable)
_CLOSED = (SessionExpired, SessionCompleted)
_RESUMED: dict[int | str, dict[str, Any]] = {
    200: {"model": SessionStarted, "description": "Your open session, resumed"},
    201: {
        "model": SessionStarted,
        "description": "A new session",
        "headers": {"Location": {"description": "The new session.", "schema": {"type": "string"}}},
    },
}


@sessions.get("/active", response_model=ActiveSessionEnvelope)
async def active_session(
    caller: StoreStaff, session: SessionDep, now: Now
) -> ActiveSessionEnvelope:
    """Your open session with its progress, or `{"session": null}`."""
    found = await service.active_session(session, caller, now)
    if found is None:
        return ActiveSessionEnvelope(session=None)
    row, progress = found
    return ActiveSessionEnvelope(
        session=ActiveSession(
            id=row.id,
            started_at=row.started_at,
            expires_at=row.expires_at,
            items_counted=progress.items_counted,
            total_items=progress.total_items,
        )
    )


@sessions.get("/last-completed", response_model=LastCompleted)
async def last_completed(caller: StoreStaff, session: SessionDep) -> LastCompleted:
    """When the store's display was last restocked, and by whom (nulls when never)."""
    found = await service.last_completed(session, caller.store_id)
    if found is None:
        return LastCompleted(last_completed_at=None, user_name=None)
    row, user = found
    return LastCompleted(last_completed_at=row.completed_at, user_name=user.name)


@sessions.post(
    "/start",
    status_code=201,
    response_model=SessionStarted,
    responses={**_RESUMED, **problem_responses(NothingToResume, *_BODY_ERRORS)},
)
async def start_session(
    *,
    request: Request,
    caller: StoreStaff,
    session: SessionDep,
    now: Now,
    lifetime: SessionLifetime,
    body: StartRequest | None = None,
) -> JSONResponse:
    """Start a new session (the default; it ends your other open sessions) or resume yours.

    No body, an empty body and `{}` all mean `new`.
    """
    resume = body is not None and body.action == "resume"
    started = await service.start_session(
        session, caller, resume=resume, now=now, lifetime=lifetime
    )
    payload = SessionStarted(session_id=started.session.id, expires_at=started.session.expires_at)
    if not started.created:
        return JSONResponse(payload.model_dump(mode="json"))
    location = f"{request.url.path.removesuffix('/start')}/{started.session.id}"
    return JSONResponse(
        payload.model_dump(mode="json"), status_code=201, headers={"Location": location}
    )


@sessions.get(
    "/{session_id:rtde_session_id}",
    response_model=SessionView,
    responses=problem_responses(SessionNotFound),
)
async def get_session(row: OwnSession, session: SessionDep, now: Now) -> SessionView:
    """Your session and every item in it, in display order, with counts and needs."""
    lines = await service.session_lines(session, row)
    return SessionView(
        session=SessionRead(
            id=row.id,
            user_id=row.user_id,
            status=row.shown_status(now).value,
            started_at=row.started_at,
            expires_at=row.expires_at,
            completed_at=row.completed_at,
        ),
        items=[
            SessionItem(
                item_id=line.item_id,
                name=line.name,
                brand=line.brand,
                image_filename=line.image_filename,
                icon=line.icon,
                par_level=line.par_level,
                display_order=line.display_order,
                counted_quantity=line.counted_quantity,
                need_quantity=need(line.par_level, line.counted_quantity),
                is_pulled=line.is_pulled,
            )
            for line in lines
        ],
    )


@sessions.put(
    "/{session_id:rtde_session_id}/count",
    response_model=CountResult,
    responses=problem_responses(SessionNotFound, SessionItemNotFound, *_CLOSED, *_BODY_ERRORS),
)
async def count_item(
    row: OwnSessionShared, body: CountRequest, caller: StoreStaff, session: SessionDep, now: Now
) -> CountResult:
    """Save the count of one item (saving the same count again changes nothing)."""
    needed = await service.count_item(
        session,
        row,
        caller=caller,
        item_id=body.item_id,
        quantity=body.counted_quantity,
        now=now,
    )
    return CountResult(
        message="Count saved", counted_quantity=body.counted_quantity, need_quantity=needed
    )


@sessions.get(
    "/{session_id:rtde_session_id}/pull-list",
    response_model=PullList,
    responses=problem_responses(SessionNotFound, Unprocessable),
)
async def pull_list(
    row: OwnSession,
    session: SessionDep,
    include_uncounted: Annotated[
        bool, Query(description="Also the items never counted (their need is their par).")
    ] = False,
) -> PullList:
    """What to bring from the back room, in display order, and how much is ticked off."""
    lines = service.pull_lines(
        await service.session_lines(session, row), include_uncounted=include_uncounted
    )
    items = [
        PullItem(
            item_id=line.item_id,
            name=line.name,
            brand=line.brand,
            image_filename=line.image_filename,
            icon=line.icon,
            need_quantity=need(line.par_level, line.counted_quantity),
            is_pulled=line.is_pulled,
        )
        for line in lines
    ]
    pulled = sum(1 for item in items if item.is_pulled)
    return PullList(pull_list=items, total_items=len(items), items_pulled=pulled)


@sessions.put(
    "/{session_id:rtde_session_id}/pull",
    response_model=Message,
    responses=problem_responses(SessionNotFound, SessionItemNotFound, *_CLOSED, *_BODY_ERRORS),
)
async def mark_pulled(
    row: OwnSessionShared, body: PullRequest, caller: StoreStaff, session: SessionDep, now: Now
) -> Message:
    """Tick an item off the pull list (or untick it)."""
    await service.mark_pulled(
        session, row, caller=caller, item_id=body.item_id, pulled=body.is_pulled, now=now
    )
    return Message(message="Item marked as pulled" if body.is_pulled else "Item unmarked")


@sessions.post(
    "/{session_id:rtde_session_id}/complete",
    response_model=Message,
    responses=problem_responses(SessionNotFound, *_CLOSED),
)
async def complete_session(
    row: OwnSessionForUpdate, caller: StoreStaff, session: SessionDep, now: Now
) -> Message:
    """Finish the session; it and its counts are kept as history."""
    await service.complete_session(session, row, caller, now)
    return Message(message="Session completed")


_RESPONSES = problem_responses(InvalidCredentialsToken, InsufficientRole)
mounts = tuple(
    Mount(part, prefix="/rtde", responses=_RESPONSES, tags=("rtde",))
    for part in (admin_router.router, sessions)
)
