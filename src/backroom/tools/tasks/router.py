"""Personal to-do tasks, on both route families of the API.

The handlers are written once, on `routes`, and mounted twice: at `/api` for the
caller's own list, and at `/api/{user_id}` for clients that name the user in the
path (allowed only for the caller's own id or token subject).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from backroom.accounts.deps import CurrentUser, SettingsDep
from backroom.accounts.errors import InvalidCredentialsToken
from backroom.core.db import SessionDep
from backroom.core.errors import (
    BadRequest,
    Unprocessable,
    UnsupportedMediaType,
    problem_responses,
)
from backroom.core.fastread import RowEncoder, json_response
from backroom.core.idempotency import (
    IdempotencyDep,
    IdempotencyInProgress,
    IdempotencyKeyReused,
)
from backroom.core.mounting import Mount
from backroom.core.pagination import (
    CursorCodec,
    InvalidCursor,
    PageParamsDep,
    fingerprint,
    window_headers,
)
from backroom.tools.tasks import service
from backroom.tools.tasks.deps import (
    IfMatch,
    OwnedTaskForUpdate,
    OwnedTaskRow,
    TaskListQueryDep,
    check_path_user,
)
from backroom.tools.tasks.errors import NotYourTaskList, TaskChanged, TaskNotFound
from backroom.tools.tasks.models import Task
from backroom.tools.tasks.schemas import TagCount, TaskComplete, TaskCreate, TaskRead, TaskUpdate

routes = APIRouter()

# Reads skip the ORM and the response model: rows go to JSON in one call (core/fastread).
TASK_JSON = RowEncoder(TaskRead)

_ETAG = {
    "ETag": {"description": 'The task\'s version, `"<version>"`.', "schema": {"type": "string"}}
}
_TASK_OK: dict[int | str, dict[str, Any]] = {200: {"headers": _ETAG}}
_LIST_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            "X-Total-Count": {"description": "Matching tasks.", "schema": {"type": "integer"}},
            "Link": {
                "description": '`rel="next"` / `rel="prev"` pages.',
                "schema": {"type": "string"},
            },
        }
    }
}
_CREATED: dict[int | str, dict[str, Any]] = {
    201: {
        "headers": {
            **_ETAG,
            "Location": {"description": "The new task.", "schema": {"type": "string"}},
        }
    }
}


def _etag(task: Task) -> str:
    return f'"{task.version}"'


def _read(task: Task, response: Response) -> TaskRead:
    response.headers["ETag"] = _etag(task)
    return TaskRead.from_task(task)


@routes.get(
    "/tasks",
    response_model=list[TaskRead],
    responses={**_LIST_OK, **problem_responses(Unprocessable, InvalidCursor)},
)
async def list_tasks(
    *,
    request: Request,
    query: TaskListQueryDep,
    page: PageParamsDep,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """List your tasks: filtered, sorted and paged (offset or keyset cursor)."""
    codec = CursorCodec(settings.secret_key, scope="tasks")
    query_print = fingerprint(*query.fingerprint_parts)
    cursor = codec.decode(page.cursor, query_print) if page.cursor else None
    result = await service.list_tasks(session, user.user_id, query, page=page, cursor=cursor)
    headers = window_headers(
        request.url,
        total=result.total,
        page=result.window,
        params=page,
        codec=codec,
        query=query_print,
    )
    return json_response(TASK_JSON.many(result.window.rows), headers=headers)


@routes.post(
    "/tasks",
    status_code=201,
    response_model=TaskRead,
    responses={
        **_CREATED,
        **problem_responses(
            BadRequest,
            UnsupportedMediaType,
            Unprocessable,
            IdempotencyKeyReused,
            IdempotencyInProgress,
        ),
    },
)
async def create_task(
    request: Request,
    body: TaskCreate,
    user: CurrentUser,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Create a task. Send `Idempotency-Key` to make a retry safe."""
    replay = await idempotency.claim(owner_id=user.user_id, payload=body.model_dump(mode="json"))
    if replay is not None:
        return replay
    task = await service.create_task(session, owner_id=user.user_id, actor=user.actor, data=body)
    response = json_response(
        TaskRead.from_task(task).model_dump_json().encode(),
        status_code=201,
        headers={"Location": f"{request.url.path.rstrip('/')}/{task.id}", "ETag": _etag(task)},
    )
    await idempotency.save(response)
    return response


@routes.get(
    "/tasks/{task_id}",
    response_model=TaskRead,
    responses={**_TASK_OK, **problem_responses(TaskNotFound)},
)
async def get_task(task: OwnedTaskRow) -> Response:
    """Read one of your tasks; its `ETag` is the version to send back in `If-Match`."""
    return json_response(TASK_JSON.one(task), headers={"ETag": f'"{task["version"]}"'})


_WRITE_ERRORS = problem_responses(
    BadRequest, TaskNotFound, TaskChanged, UnsupportedMediaType, Unprocessable
)


@routes.put("/tasks/{task_id}", response_model=TaskRead, responses={**_TASK_OK, **_WRITE_ERRORS})
async def replace_task(
    *,
    task: OwnedTaskForUpdate,
    body: TaskUpdate,
    expected: IfMatch,
    user: CurrentUser,
    session: SessionDep,
    response: Response,
) -> TaskRead:
    """Update a task with the create fields; fields left out keep their value."""
    task = await service.update_task(session, task, actor=user.actor, data=body, expected=expected)
    return _read(task, response)


@routes.patch("/tasks/{task_id}", response_model=TaskRead, responses={**_TASK_OK, **_WRITE_ERRORS})
async def update_task(
    *,
    task: OwnedTaskForUpdate,
    body: TaskUpdate,
    expected: IfMatch,
    user: CurrentUser,
    session: SessionDep,
    response: Response,
) -> TaskRead:
    """Change some fields of a task."""
    task = await service.update_task(session, task, actor=user.actor, data=body, expected=expected)
    return _read(task, response)


@routes.patch(
    "/tasks/{task_id}/complete",
    response_model=TaskRead,
    responses={**_TASK_OK, **_WRITE_ERRORS},
)
async def complete_task(
    *,
    task: OwnedTaskForUpdate,
    expected: IfMatch,
    user: CurrentUser,
    session: SessionDep,
    response: Response,
    body: TaskComplete | None = None,
) -> TaskRead:
    """Mark a task done or not: `{"completed": bool}` sets it, no body flips it."""
    completed = body.completed if body is not None else None
    task = await service.complete_task(
        session, task, actor=user.actor, completed=completed, expected=expected
    )
    return _read(task, response)


@routes.delete(
    "/tasks/{task_id}",
    status_code=204,
    response_class=Response,
    responses=problem_responses(TaskNotFound, TaskChanged),
)
async def delete_task(
    task: OwnedTaskForUpdate, expected: IfMatch, user: CurrentUser, session: SessionDep
) -> Response:
    """Delete a task for good."""
    await service.delete_task(session, task, actor=user.actor, expected=expected)
    return Response(status_code=204)


@routes.get("/tags", response_model=list[TagCount])
async def list_tags(user: CurrentUser, session: SessionDep) -> list[TagCount]:
    """Your tags with how many tasks carry each, most used first."""
    counts = await service.tag_counts(session, user.user_id)
    return [TagCount(name=name, count=count) for name, count in counts]


_RESPONSES = problem_responses(InvalidCredentialsToken)
# Every route twice: the caller's own list, and the same list naming the caller's id.
mounts = (
    Mount(routes, responses=_RESPONSES, tags=("tasks",)),
    Mount(
        routes,
        prefix="/{user_id}",
        dependencies=(Depends(check_path_user),),
        responses={**_RESPONSES, **problem_responses(NotYourTaskList)},
        tags=("tasks",),
    ),
)
