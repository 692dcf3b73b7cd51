"""Every query of the tasks tool. Each one takes the owner: another user's rows never match."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.orm import selectinload

from backroom.core.pagination import (
    Cursor,
    SortKey,
    keyset_statement,
    nulls_last,
    reverse,
)
from backroom.core.repository import Repository
from backroom.tools.tasks.models import Task, TaskTag, fold
from backroom.tools.tasks.schemas import SortField, TaskListQuery

# Task ids are INTEGER on every engine; a larger number cannot name a task.
MAX_TASK_ID = 2**31 - 1

# The natural direction of each sort: descending for "newest first" and "high first".
NATURAL_DESCENDING: dict[SortField, bool] = {
    "created": True,
    "updated": True,
    "title": False,
    "due_date": False,
    "priority": True,
}


def sort_keys(sort: SortField, descending: bool) -> list[SortKey]:
    """The keys of a sort, ending in the id so that no two rows tie."""
    by_id = SortKey(Task.id, descending)
    if sort == "created":
        # Ids grow with creation time, so the primary key is the creation order.
        return [by_id]
    if sort == "updated":
        return [SortKey(Task.updated_at, descending), by_id]
    if sort == "title":
        return [SortKey(Task.title_key, descending), by_id]
    if sort == "priority":
        return [SortKey(Task.priority, descending), by_id]
    return [nulls_last(Task.due_at), SortKey(Task.due_at, descending), by_id]


def sort_values(task: Task, sort: SortField) -> tuple[Any, ...]:
    """A task's values for `sort_keys(sort, ...)`, as they go into a cursor."""
    if sort == "created":
        return (task.id,)
    if sort == "updated":
        return (task.updated_at, task.id)
    if sort == "title":
        return (task.title_key, task.id)
    if sort == "priority":
        return (task.priority, task.id)
    return (1 if task.due_at is None else 0, task.due_at, task.id)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _tagged(owner_id: uuid.UUID, tag: str) -> ColumnElement[bool]:
    tagged = select(TaskTag.task_id).where(
        TaskTag.user_id == owner_id, TaskTag.name_key == fold(tag)
    )
    return Task.id.in_(tagged)


def _filters(owner_id: uuid.UUID, query: TaskListQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Task.user_id == owner_id]
    if query.completed is not None:
        conditions.append(Task.completed == query.completed)
    if query.search:
        pattern = f"%{_escape_like(fold(query.search))}%"
        description = f"%{_escape_like(query.search)}%"
        conditions.append(
            or_(
                Task.title_key.like(pattern, escape="\\"),
                Task.description.ilike(description, escape="\\"),
            )
        )
    if query.priority is not None:
        conditions.append(Task.priority == query.priority.value)
    conditions.extend(_tagged(owner_id, tag) for tag in query.tags)
    if query.due_before is not None:
        conditions.append(Task.due_at < query.due_before)
    if query.due_after is not None:
        conditions.append(Task.due_at >= query.due_after)
    if query.overdue_at is not None:
        conditions.extend([Task.due_at < query.overdue_at, Task.completed == false()])
    return conditions


class TaskRepository(Repository[Task]):
    model = Task

    def _select(self) -> Select[Task]:
        return select(Task).options(selectinload(Task.tags))

    async def get_owned(
        self, owner_id: uuid.UUID, task_id: int, *, for_update: bool = False
    ) -> Task | None:
        """The task with this id if `owner_id` owns it; locked until commit when writing."""
        if not 1 <= task_id <= MAX_TASK_ID:
            return None
        statement = self._select().where(Task.id == task_id, Task.user_id == owner_id)
        if for_update:
            statement = statement.with_for_update(of=Task)
        return await self.one_or_none(statement)

    async def count_matching(self, owner_id: uuid.UUID, query: TaskListQuery) -> int:
        return await self.count(select(Task.id).where(*_filters(owner_id, query)))

    async def list_page(
        self,
        owner_id: uuid.UUID,
        query: TaskListQuery,
        *,
        limit: int,
        offset: int = 0,
        cursor: Cursor | None = None,
    ) -> Sequence[Task]:
        """Up to `limit + 1` matching tasks in list order (reversed for a backward cursor)."""
        keys = sort_keys(query.sort, query.descending)
        if cursor is not None and cursor.backward:
            keys = reverse(keys)
        statement = keyset_statement(
            self._select().where(*_filters(owner_id, query)),
            keys,
            limit=limit,
            after=cursor.values if cursor is not None else None,
            offset=offset,
            fixed=[Task.user_id],
        )
        return await self.all(statement)

    async def tag_counts(self, owner_id: uuid.UUID) -> list[tuple[str, int]]:
        """The owner's tags, most used first; one spelling per tag (the first in A-Z order)."""
        uses = func.count().label("uses")
        statement = (
            select(func.min(TaskTag.name), uses)
            .where(TaskTag.user_id == owner_id)
            .group_by(TaskTag.name_key)
            .order_by(uses.desc(), TaskTag.name_key)
        )
        rows = (await self.session.execute(statement)).all()
        return [(str(name), int(count)) for name, count in rows]
