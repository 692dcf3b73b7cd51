"""Task factories: real rows through the ORM, many per commit when a test needs volume."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import User
from backroom.core.db import utcnow
from backroom.tools.tasks.models import Priority, Task, TaskTag, fold

_sequence = itertools.count(1)


def build_task(
    user: User,
    *,
    title: str | None = None,
    description: str | None = None,
    priority: Priority = Priority.MEDIUM,
    due_at: dt.datetime | None = None,
    completed: bool = False,
    tags: Sequence[str] = (),
    updated_at: dt.datetime | None = None,
) -> Task:
    """An unsaved task of `user` (add it to a session yourself, or use `make_tasks`)."""
    title = title if title is not None else f"Task {next(_sequence)}"
    now = utcnow()
    task = Task(
        user_id=user.id,
        title=title,
        title_key=fold(title),
        description=description,
        priority=priority.value,
        due_at=due_at,
        completed=completed,
        completed_at=now if completed else None,
        created_at=now,
        updated_at=updated_at or now,
    )
    task.tags = [
        TaskTag(name=name, name_key=fold(name), user_id=user.id, position=position)
        for position, name in enumerate(tags)
    ]
    return task


async def make_tasks(
    session: AsyncSession, user: User, specs: Iterable[Mapping[str, Any]]
) -> list[Task]:
    """Many tasks in one transaction, in the order given (ids increase along it)."""
    tasks = []
    for spec in specs:
        task = build_task(user, **spec)
        session.add(task)
        await session.flush()  # one at a time, so ids follow the order given
        tasks.append(task)
    await session.commit()
    return tasks


async def make_task(session: AsyncSession, user: User, **spec: Any) -> Task:
    (task,) = await make_tasks(session, user, [spec])
    return task
