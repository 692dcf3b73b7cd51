"""The admin routes of the milk count: milk types, par levels and reopening a session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from backroom.accounts.deps import StoreAdmin
from backroom.core.clock import ClockDep
from backroom.core.concurrency import UnreadableIfMatch
from backroom.core.db import SessionDep
from backroom.core.errors import BadRequest, Unprocessable, UnsupportedMediaType, problem_responses
from backroom.tools.milk_count.deps import AdminMilkType, AdminSession, ParIfMatch
from backroom.tools.milk_count.errors import (
    MilkSessionNotFound,
    MilkTypeExists,
    MilkTypeNotFound,
    NotAnEarlierPhase,
    ParLevelChanged,
    WrongPhase,
)
from backroom.tools.milk_count.models import MilkParLevel, MilkType, Phase
from backroom.tools.milk_count.schemas import (
    MilkTypeCreate,
    MilkTypeList,
    MilkTypeMessage,
    MilkTypeRead,
    MilkTypeUpdate,
    ParLevelList,
    ParLevelMessage,
    ParLevelRead,
    ParLevelUpdate,
    Reopen,
    SessionMessage,
    SessionRead,
)
from backroom.tools.milk_count.service import milk_types, par_levels, sessions

routes = APIRouter(prefix="/admin")
session_routes = APIRouter()

_BODY_ERRORS = (BadRequest, UnsupportedMediaType, Unprocessable)
_ETAG = {
    "ETag": {
        "description": 'The par level\'s version, `"<version>"`.',
        "schema": {"type": "string"},
    }
}


def milk_type_read(row: MilkType, par_value: int) -> MilkTypeRead:
    return MilkTypeRead(
        id=row.id,
        name=row.name,
        category=row.category,  # type: ignore[arg-type]
        display_order=row.display_order,
        active=row.active,
        par_value=par_value,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def par_level_read(par: MilkParLevel, milk_type: MilkType) -> ParLevelRead:
    return ParLevelRead(
        id=par.id,
        milk_type_id=milk_type.id,
        milk_type_name=milk_type.name,
        milk_type_category=milk_type.category,  # type: ignore[arg-type]
        par_value=par.par_value,
        updated_at=par.updated_at,
        updated_by=par.updated_by,
        updated_by_name=par.updated_by_name,
        version=par.version,
    )


@routes.get("/milk-types", response_model=MilkTypeList, responses=problem_responses(Unprocessable))
async def list_milk_types(
    caller: StoreAdmin,
    session: SessionDep,
    include_inactive: Annotated[bool, Query(description="Also the deactivated ones.")] = False,
) -> MilkTypeList:
    """The store's milk types in display order, each with its par."""
    rows = await milk_types.list_milk_types(
        session, caller.store_id, include_inactive=include_inactive
    )
    return MilkTypeList(milk_types=[milk_type_read(row, par) for row, par in rows])


@routes.post(
    "/milk-types",
    status_code=201,
    response_model=MilkTypeMessage,
    responses={
        201: {
            "headers": {
                "Location": {"description": "The new milk type.", "schema": {"type": "string"}}
            }
        },
        **problem_responses(MilkTypeExists, *_BODY_ERRORS),
    },
)
async def create_milk_type(
    request: Request, body: MilkTypeCreate, caller: StoreAdmin, session: SessionDep, clock: ClockDep
) -> JSONResponse:
    """Add a milk type (at the end of the list unless `display_order` is given), par 0."""
    row = await milk_types.create_milk_type(session, caller, body, clock=clock)
    message = MilkTypeMessage(message="Milk type created", milk_type=milk_type_read(row, 0))
    return JSONResponse(
        message.model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"{request.url.path.rstrip('/')}/{row.id}"},
    )


@routes.put(
    "/milk-types/{milk_type_id}",
    response_model=MilkTypeMessage,
    responses=problem_responses(MilkTypeNotFound, MilkTypeExists, *_BODY_ERRORS),
)
async def update_milk_type(
    row: AdminMilkType,
    body: MilkTypeUpdate,
    caller: StoreAdmin,
    session: SessionDep,
    clock: ClockDep,
) -> MilkTypeMessage:
    """Rename, reorder (`display_order` ≥ 1), deactivate or reactivate a milk type."""
    row = await milk_types.update_milk_type(session, caller, row, body, clock=clock)
    par = await milk_types.par_value_of(session, row)
    return MilkTypeMessage(message="Milk type updated", milk_type=milk_type_read(row, par))


@routes.get("/par-levels", response_model=ParLevelList)
async def list_par_levels(caller: StoreAdmin, session: SessionDep) -> ParLevelList:
    """The par of each active milk type, in display order."""
    rows = await par_levels.list_par_levels(session, caller.store_id)
    return ParLevelList(par_levels=[par_level_read(par, milk_type) for par, milk_type in rows])


@routes.put(
    "/par-levels/{milk_type_id}",
    response_model=ParLevelMessage,
    responses={
        200: {"headers": _ETAG},
        **problem_responses(MilkTypeNotFound, ParLevelChanged, UnreadableIfMatch, *_BODY_ERRORS),
    },
)
async def set_par_level(
    *,
    row: AdminMilkType,
    body: ParLevelUpdate,
    expected: ParIfMatch,
    caller: StoreAdmin,
    session: SessionDep,
    clock: ClockDep,
    response: Response,
) -> ParLevelMessage:
    """Set a milk type's par (created if it has none). Send `If-Match` to refuse a stale write."""
    par = await par_levels.set_par_level(
        session, caller, row, body.par_value, expected=expected, clock=clock
    )
    response.headers["ETag"] = f'"{par.version}"'
    return ParLevelMessage(message="Par level updated", par_level=par_level_read(par, row))


@session_routes.put(
    "/sessions/{session_id}/reopen",
    response_model=SessionMessage,
    responses=problem_responses(MilkSessionNotFound, NotAnEarlierPhase, WrongPhase, *_BODY_ERRORS),
)
async def reopen_session(
    row: AdminSession, body: Reopen, caller: StoreAdmin, session: SessionDep, clock: ClockDep
) -> SessionMessage:
    """Move a session back to an earlier phase to correct it (recorded in the audit trail)."""
    row = await sessions.reopen_session(session, caller, row, Phase(body.phase), clock=clock)
    return SessionMessage(
        message=f"Session reopened at {body.phase}", session=SessionRead.from_session(row)
    )
