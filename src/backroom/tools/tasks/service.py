"""The rules of tasks: what a change does to a task, its version and its audit trail.

Services flush and never commit; the request's session commits the change and its
audit event together. The `version` column is the mapper's version counter, so every
UPDATE of a task bumps it and is refused if someone else's UPDATE got there first.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.core.audit import Actor, AuditAction, record
from backroom.core.db import utcnow
from backroom.core.pagination import Cursor, PageParams, Window, window
from backroom.tools.tasks.errors import TaskChanged
from backroom.tools.tasks.models import Priority, Task, TaskTag, fold
from backroom.tools.tasks.repository import TaskRepository, row_sort_values
from backroom.tools.tasks.schemas import TaskCreate, TaskListQuery, TaskUpdate


@dataclass(frozen=True, slots=True)
class TaskPage:
    """One page of the list as `TaskRead`-shaped rows (see `TaskRepository.read_rows`)."""

    window: Window[dict[str, Any]]
    total: int


def check_version(task: Task, expected: frozenset[int] | None) -> None:
    """Refuse the write when the client's `If-Match` names another version (None = any)."""
    if expected is not None and task.version not in expected:
        raise TaskChanged


def _set_tags(task: Task, names: Sequence[str]) -> None:
    # Keep the rows of tags that stay, so a re-spelled tag is an UPDATE and not a
    # DELETE + INSERT of the same key in one flush.
    existing = {tag.name_key: tag for tag in task.tags}
    tags = []
    for position, name in enumerate(names):
        tag = existing.get(fold(name)) or TaskTag(name_key=fold(name), user_id=task.user_id)
        tag.name = name
        tag.position = position
        tags.append(tag)
    task.tags = tags


def _set_completed(task: Task, completed: bool, now: dt.datetime) -> None:
    if completed != task.completed:
        task.completed = completed
        task.completed_at = now if completed else None


def _apply(task: Task, changes: dict[str, Any]) -> None:
    now = utcnow()
    if "title" in changes:
        task.title = changes["title"]
        task.title_key = fold(changes["title"])
    if "description" in changes:
        task.description = changes["description"]
    if "priority" in changes:
        task.priority = Priority.from_label(changes["priority"]).value
    if "due_date" in changes:
        task.due_at = changes["due_date"]
    if "tags" in changes:
        _set_tags(task, changes["tags"] or [])
    if "completed" in changes:
        _set_completed(task, changes["completed"], now)
    # Always dirty the row, so a change of tags alone also bumps version and updated_at.
    task.updated_at = now


async def _audit(
    session: AsyncSession, action: AuditAction, task: Task, actor: Actor, **details: Any
) -> None:
    await record(
        session,
        action,
        actor=actor,
        target_type="task",
        target_id=task.id,
        target_label=task.title,
        details=details,
        owner_id=task.user_id,
    )


async def create_task(
    session: AsyncSession, *, owner_id: uuid.UUID, actor: Actor, data: TaskCreate
) -> Task:
    now = utcnow()
    task = Task(
        user_id=owner_id,
        title=data.title,
        title_key=fold(data.title),
        description=data.description,
        priority=Priority.from_label(data.priority).value,
        due_at=data.due_date,
        completed=data.completed,
        completed_at=now if data.completed else None,
        created_at=now,
        updated_at=now,
        tags=[],
    )
    _set_tags(task, data.tags or [])
    await TaskRepository(session).add(task)
    await _audit(session, AuditAction.TASKS_TASK_CREATED, task, actor)
    return task


async def update_task(
    session: AsyncSession,
    task: Task,
    *,
    actor: Actor,
    data: TaskUpdate,
    expected: frozenset[int] | None,
) -> Task:
    """Change the fields the client sent (PUT and PATCH alike)."""
    check_version(task, expected)
    changes = data.changes()
    _apply(task, changes)
    await session.flush()
    await _audit(session, AuditAction.TASKS_TASK_UPDATED, task, actor, fields=sorted(changes))
    return task


async def complete_task(
    session: AsyncSession,
    task: Task,
    *,
    actor: Actor,
    completed: bool | None,
    expected: frozenset[int] | None,
) -> Task:
    """Set `completed`, or flip it when the client did not say which."""
    check_version(task, expected)
    _apply(task, {"completed": (not task.completed) if completed is None else completed})
    await session.flush()
    action = AuditAction.TASKS_TASK_COMPLETED if task.completed else AuditAction.TASKS_TASK_REOPENED
    await _audit(session, action, task, actor)
    return task


async def delete_task(
    session: AsyncSession, task: Task, *, actor: Actor, expected: frozenset[int] | None
) -> None:
    check_version(task, expected)
    await _audit(session, AuditAction.TASKS_TASK_DELETED, task, actor)
    await TaskRepository(session).delete(task)


async def list_tasks(
    session: AsyncSession,
    owner_id: uuid.UUID,
    query: TaskListQuery,
    *,
    page: PageParams,
    cursor: Cursor | None,
) -> TaskPage:
    repository = TaskRepository(session)
    fetched = await repository.read_rows(
        owner_id, query, limit=page.limit, offset=page.offset, cursor=cursor
    )
    rows = window(
        fetched, limit=page.limit, cursor=cursor, key=lambda row: row_sort_values(row, query.sort)
    )
    total = _total_from_page(page, cursor, len(fetched))
    if total is None:
        total = await repository.count_matching(owner_id, query)
    return TaskPage(rows, total)


def _total_from_page(page: PageParams, cursor: Cursor | None, fetched: int) -> int | None:
    """The match count when the page itself shows it, which saves the `count(*)`.

    An offset page with no page after it holds the last matches: the total is the rows
    skipped plus the rows fetched (if it fetched any, the skipped rows all existed).
    A cursor page cannot tell how many rows lie before it.
    """
    if cursor is not None or fetched > page.limit or (page.offset and not fetched):
        return None
    return page.offset + fetched


async def tag_counts(session: AsyncSession, owner_id: uuid.UUID) -> list[tuple[str, int]]:
    return await TaskRepository(session).tag_counts(owner_id)
