"""Dependencies of the activity routes: the audit filters, checked, and the database."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated

from fastapi import Depends, Query, Request
from pydantic import AfterValidator, BeforeValidator

from backroom.core.db import Database
from backroom.tools.activity.errors import InvalidTimeRange
from backroom.tools.activity.schemas import AuditFilters

# What no database stores faithfully is refused up front (the schema says so too).
NO_NUL = "^[^\\u0000]*$"
_ISO_DATE_START = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_text(value: object) -> object:
    """Only ISO 8601 text: pydantic would otherwise read `1700000000` as a Unix time."""
    if not isinstance(value, str) or not _ISO_DATE_START.match(value):
        raise ValueError("Must be an ISO 8601 date or date-time")
    return value


def _utc(value: dt.datetime) -> dt.datetime:
    """A date alone is the start of that day, and a time without a zone is UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("Is out of range") from None


Instant = Annotated[dt.datetime, BeforeValidator(_iso_text), AfterValidator(_utc)]


def _text(max_length: int, description: str) -> object:
    return Query(min_length=1, max_length=max_length, pattern=NO_NUL, description=description)


async def audit_filters(
    *,
    actor_id: Annotated[uuid.UUID | None, Query(description="Events by this user.")] = None,
    action: Annotated[
        str | None, _text(80, "Action prefix: `tracking.` or `tracking.item.removed`.")
    ] = None,
    target_type: Annotated[str | None, _text(50, "e.g. `tracking_item`, `user`.")] = None,
    target_id: Annotated[str | None, _text(64, "The id of the target.")] = None,
    since: Annotated[Instant | None, Query(description="From this instant (included).")] = None,
    until: Annotated[Instant | None, Query(description="Up to this instant (excluded).")] = None,
    q: Annotated[
        str | None, _text(200, "Full text over labels, names and details; prefixes match.")
    ] = None,
) -> AuditFilters:
    """The filters of `GET /api/audit` and its CSV export."""
    if since is not None and until is not None and since > until:
        raise InvalidTimeRange
    return AuditFilters(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        since=since,
        until=until,
        q=(q.strip() or None) if q is not None else None,
    )


AuditFiltersDep = Annotated[AuditFilters, Depends(audit_filters)]


async def get_database(request: Request) -> Database:
    """The app's database, for work that outlives the request's session (a streamed export)."""
    database: Database = request.app.state.db
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]
