"""Dependencies that load and validate: the caller's task list, one owned task, `If-Match`,
and the list query."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated, Any, Literal, cast

from fastapi import Depends, Path, Query
from pydantic import AfterValidator, BeforeValidator, StringConstraints

from backroom.accounts.deps import CurrentUser
from backroom.core.concurrency import if_match
from backroom.core.db import SessionDep, utcnow
from backroom.core.errors import Unprocessable
from backroom.tools.tasks.errors import NotYourTaskList, TaskChanged, TaskNotFound
from backroom.tools.tasks.models import TAG_MAX, TAGS_MAX, Priority, Task
from backroom.tools.tasks.repository import NATURAL_DESCENDING, TaskRepository
from backroom.tools.tasks.schemas import (
    NO_NUL,
    PriorityLabel,
    SortField,
    TaskListQuery,
    as_utc,
    lower_if_text,
)


async def check_path_user(
    user_id: Annotated[
        str, Path(description="Your own user id, or the subject of your Better Auth token.")
    ],
    principal: CurrentUser,
) -> None:
    """The `/api/{user_id}/...` family: `{user_id}` must name the caller."""
    if user_id == principal.subject:
        return
    try:
        if uuid.UUID(user_id) == principal.user_id:
            return
    except ValueError:
        pass
    raise NotYourTaskList


TaskIdPath = Annotated[str, Path(description="The task's id (an integer).")]


async def _load(
    session: SessionDep, principal: CurrentUser, task_id: str, *, for_update: bool
) -> Task:
    # A malformed id is just another id that names no task of yours.
    if not task_id.isascii() or not task_id.isdigit():
        raise TaskNotFound
    task = await TaskRepository(session).get_owned(
        principal.user_id, int(task_id), for_update=for_update
    )
    if task is None:
        raise TaskNotFound
    return task


async def owned_task_for_update(
    session: SessionDep, principal: CurrentUser, task_id: TaskIdPath
) -> Task:
    """The caller's task named in the path, or 404 - the same 404 whatever the reason;
    locked until the commit so concurrent writers queue."""
    return await _load(session, principal, task_id, for_update=True)


async def owned_task_row(
    session: SessionDep, principal: CurrentUser, task_id: TaskIdPath
) -> dict[str, Any]:
    """The caller's task named in the path as a `TaskRead`-shaped row (no ORM object), or
    the same 404 as `owned_task_for_update`."""
    if not task_id.isascii() or not task_id.isdigit():
        raise TaskNotFound
    row = await TaskRepository(session).read_row(principal.user_id, int(task_id))
    if row is None:
        raise TaskNotFound
    return row


OwnedTaskRow = Annotated[dict[str, Any], Depends(owned_task_row)]
OwnedTaskForUpdate = Annotated[Task, Depends(owned_task_for_update)]

IfMatch = Annotated[frozenset[int] | None, Depends(if_match(TaskChanged))]


def _instant(value: dt.datetime) -> dt.datetime:
    """A date alone means the start of that day, and a naive time is UTC."""
    instant = as_utc(value)
    assert instant is not None
    return instant


Lower = BeforeValidator(lower_if_text)
StatusParam = Annotated[Literal["all", "pending", "active", "completed"], Lower]
SortParam = Annotated[
    Literal[
        "created", "-created", "updated", "-updated", "title", "-title",
        "due_date", "-due_date", "priority", "-priority",
    ],
    Lower,
]  # fmt: skip
_ISO_DATE_START = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_text(value: object) -> object:
    """Only ISO 8601 text: pydantic would otherwise read `0.5` as a Unix timestamp."""
    if not isinstance(value, str) or not _ISO_DATE_START.match(value):
        raise ValueError("Must be an ISO 8601 date or date-time")
    return value


Instant = Annotated[dt.datetime, BeforeValidator(_iso_text), AfterValidator(_instant)]


async def task_list_query(
    *,
    status: Annotated[StatusParam, Query(description="`active` is `pending`.")] = "all",
    completed: Annotated[bool | None, Query(description="Alias of `status`.")] = None,
    search: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
    q: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL, description="Alias of `search`.")
    ] = None,
    priority: Annotated[PriorityLabel | None, Lower, Query()] = None,
    tag: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=TAG_MAX, pattern=NO_NUL)]]
        | None,
        Query(max_length=TAGS_MAX, description="Repeat it: a task must carry every tag."),
    ] = None,
    due_before: Annotated[Instant | None, Query()] = None,
    due_after: Annotated[Instant | None, Query()] = None,
    overdue: Annotated[bool | None, Query(description="`true`: due in the past, pending.")] = None,
    sort: Annotated[SortParam, Query()] = "created",
    order: Annotated[Literal["asc", "desc"] | None, Lower, Query()] = None,
) -> TaskListQuery:
    """The filters and order of the task list, as API.md §4 defines them."""
    field = cast("SortField", sort.removeprefix("-"))
    descending = NATURAL_DESCENDING[field] != sort.startswith("-")
    if order is not None:
        descending = order == "desc"
    if status != "all":
        by_status = status == "completed"
        if completed is not None and completed != by_status:
            raise Unprocessable(errors=[{"field": "completed", "message": "Contradicts status"}])
        completed = by_status
    text = search if search is not None else q
    tags = tuple(tag or ())
    parts = (completed, text, priority, tags, due_before, due_after, bool(overdue), field)
    return TaskListQuery(
        completed=completed,
        search=text or None,
        priority=Priority.from_label(priority) if priority else None,
        tags=tags,
        due_before=due_before,
        due_after=due_after,
        overdue_at=utcnow() if overdue else None,
        sort=field,
        descending=descending,
        fingerprint_parts=(*parts, descending),
    )


TaskListQueryDep = Annotated[TaskListQuery, Depends(task_list_query)]
