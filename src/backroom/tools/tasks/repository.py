"""Every query of the tasks tool. Each one takes the owner: another user's rows never match."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, case, false, func, or_, select
from sqlalchemy.orm import selectinload

from backroom.core.fastread import aggregated_strings, dialect_name, fetch_rows
from backroom.core.pagination import (
    Cursor,
    SortKey,
    keyset_statement,
    nulls_last,
    reverse,
)
from backroom.core.repository import Repository, escape_like
from backroom.tools.tasks.models import Priority, Task, TaskCount, TaskTag, fold
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


def row_sort_values(row: Mapping[str, Any], sort: SortField) -> tuple[Any, ...]:
    """A row's values for `sort_keys(sort, ...)`, as they go into a cursor (see `_read_columns`)."""
    if sort == "created":
        return (row["id"],)
    if sort == "updated":
        return (row["updated_at"], row["id"])
    if sort == "title":
        return (row["title_key"], row["id"])
    if sort == "priority":
        return (row["priority_rank"], row["id"])
    return (1 if row["due_date"] is None else 0, row["due_date"], row["id"])


_PRIORITY_LABEL = case(
    {Priority.LOW.value: "low", Priority.MEDIUM.value: "medium", Priority.HIGH.value: "high"},
    value=Task.priority,
)


@functools.cache
def _read_columns(dialect: str) -> tuple[ColumnElement[Any], ...]:
    """A task as `TaskRead` shows it, labelled with its field names, plus the sort keys
    a cursor needs (`title_key`, `priority_rank`); the tags come in the same statement.

    Built once per engine: the expressions are immutable and building them is a
    noticeable share of a read's CPU."""
    tags = aggregated_strings(
        dialect,
        TaskTag.name,
        order_by=TaskTag.position,
        where=TaskTag.task_id == Task.id,
        parent=Task,
    )
    return (
        Task.id.label("id"),
        Task.user_id.label("user_id"),
        Task.title.label("title"),
        Task.description.label("description"),
        Task.completed.label("completed"),
        _PRIORITY_LABEL.label("priority"),
        Task.due_at.label("due_date"),
        tags.label("tags"),
        Task.created_at.label("created_at"),
        Task.updated_at.label("updated_at"),
        Task.completed_at.label("completed_at"),
        Task.version.label("version"),
        Task.title_key.label("title_key"),
        Task.priority.label("priority_rank"),
    )


def _status_only(query: TaskListQuery) -> bool:
    """True when no filter but the status applies, so the owner's counters hold the total."""
    return (
        query.search is None
        and query.priority is None
        and not query.tags
        and query.due_before is None
        and query.due_after is None
        and query.overdue_at is None
    )


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
        pattern = f"%{escape_like(fold(query.search))}%"
        description = f"%{escape_like(query.search)}%"
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
        """How many tasks match: one read of the owner's counters when at most the status
        filters the list, else a count through the list's indexes."""
        if _status_only(query):
            return await self._counted(owner_id, query.completed)
        return await self.count(select(Task.id).where(*_filters(owner_id, query)))

    async def _counted(self, owner_id: uuid.UUID, completed: bool | None) -> int:
        statement = select(TaskCount.total, TaskCount.completed).where(
            TaskCount.user_id == owner_id
        )
        row = (await self.session.execute(statement)).first()
        if row is None:
            return 0  # no task was ever created for this owner
        total, done = row
        if completed is None:
            return int(total)
        return int(done) if completed else int(total - done)

    async def read_row(self, owner_id: uuid.UUID, task_id: int) -> dict[str, Any] | None:
        """The task as a `TaskRead`-shaped row, tags included, in one round trip."""
        if not 1 <= task_id <= MAX_TASK_ID:
            return None
        statement = select(*_read_columns(dialect_name(self.session))).where(
            Task.id == task_id, Task.user_id == owner_id
        )
        row = (await self.session.execute(statement)).mappings().first()
        return dict(row) if row is not None else None

    async def read_rows(
        self,
        owner_id: uuid.UUID,
        query: TaskListQuery,
        *,
        limit: int,
        offset: int = 0,
        cursor: Cursor | None = None,
    ) -> list[dict[str, Any]]:
        """Up to `limit + 1` matching tasks in list order (reversed for a backward cursor),
        as `TaskRead`-shaped rows with their tags, in one round trip."""
        keys = sort_keys(query.sort, query.descending)
        if cursor is not None and cursor.backward:
            keys = reverse(keys)
        statement = keyset_statement(
            select(*_read_columns(dialect_name(self.session))).where(*_filters(owner_id, query)),
            keys,
            limit=limit,
            after=cursor.values if cursor is not None else None,
            offset=offset,
            fixed=[Task.user_id],
        )
        return await fetch_rows(self.session, statement)

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
