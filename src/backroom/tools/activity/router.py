"""The activity feeds, the audit search and its CSV export (API.md §6)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from backroom.accounts.deps import SettingsDep, StoreAdmin, StoreStaff
from backroom.accounts.errors import InsufficientRole, InvalidCredentialsToken
from backroom.core.clock import ClockDep
from backroom.core.db import SessionDep
from backroom.core.errors import Unprocessable, problem_responses
from backroom.core.mounting import Mount
from backroom.core.pagination import MAX_CURSOR_LENGTH, CursorCodec, InvalidCursor, fingerprint
from backroom.core.replica import ReplicaSessionDep
from backroom.tools.activity import service
from backroom.tools.activity.deps import AuditFiltersDep, DatabaseDep
from backroom.tools.activity.errors import InvalidTimeRange
from backroom.tools.activity.schemas import (
    ActivityList,
    AdminActivityList,
    AuditEventRead,
    AuditPage,
)

router = APIRouter(
    tags=["activity"], responses=problem_responses(InvalidCredentialsToken, InsufficientRole)
)

_CSV_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One row per event, newest first, after a header row.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "headers": {
            "Content-Disposition": {
                "description": '`attachment; filename="audit-<store>-<date>.csv"`',
                "schema": {"type": "string"},
            }
        },
    }
}
_LIMIT_ERRORS = problem_responses(Unprocessable)
_SEARCH_ERRORS = problem_responses(Unprocessable, InvalidTimeRange, InvalidCursor)


@router.get("/activity/recent", response_model=ActivityList, responses=_LIMIT_ERRORS)
async def recent_activity(
    caller: StoreStaff,
    session: ReplicaSessionDep,
    limit: Annotated[int, Query(ge=1, le=20, description="At most 20.")] = 8,
) -> ActivityList:
    """The store's latest tracking, milk count and RTD&E activity, newest first."""
    activities = await service.dashboard_feed(session, caller.store_id, limit=limit)
    return ActivityList(activities=activities, count=len(activities))


@router.get("/admin/activity", response_model=AdminActivityList, responses=_LIMIT_ERRORS)
async def admin_activity(
    caller: StoreAdmin,
    session: ReplicaSessionDep,
    limit: Annotated[int, Query(ge=1, le=30, description="At most 30.")] = 10,
) -> AdminActivityList:
    """What the store's admins changed lately (users, par levels, RTD&E items), newest first."""
    activities = await service.admin_feed(session, caller.store_id, limit=limit)
    return AdminActivityList(activities=activities, count=len(activities))


@router.get("/audit", response_model=AuditPage, responses=_SEARCH_ERRORS)
async def search_audit(
    *,
    caller: StoreAdmin,
    filters: AuditFiltersDep,
    session: ReplicaSessionDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size (1-200).")] = 50,
    cursor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_CURSOR_LENGTH,
            description="`next_cursor` of the previous page, with the same filters.",
        ),
    ] = None,
) -> AuditPage:
    """The store's audit trail, filtered, newest first, a page at a time."""
    codec = CursorCodec(settings.secret_key, scope="audit")
    query = fingerprint(caller.store_id, *filters.fingerprint_parts())
    position = codec.decode(cursor, query) if cursor is not None else None
    page = await service.audit_page(session, caller.store_id, filters, limit=limit, cursor=position)
    return AuditPage(
        events=[AuditEventRead.of(event) for event in page.events],
        next_cursor=codec.encode(page.next, query) if page.next is not None else None,
    )


@router.get(
    "/audit/export",
    response_class=StreamingResponse,
    responses={**_CSV_OK, **problem_responses(Unprocessable, InvalidTimeRange)},
)
async def export_audit(
    caller: StoreAdmin,
    filters: AuditFiltersDep,
    session: SessionDep,
    database: DatabaseDep,
    clock: ClockDep,
) -> StreamingResponse:
    """The store's audit trail as CSV (same filters as the search), streamed."""
    name = await service.export_filename(session, caller.store_id, clock.now().date())
    return StreamingResponse(
        service.export_csv(database, caller.store_id, filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


mounts = (Mount(router),)
