"""What can go wrong with a task, each with its status and a stable code."""

from __future__ import annotations

from backroom.core.errors import Forbidden, NotFound, PreconditionFailed


class TaskNotFound(NotFound):
    # The same body for a missing id, a malformed id and another user's task.
    code = "task_not_found"
    detail = "Task not found"


class TaskChanged(PreconditionFailed):
    code = "task_changed"
    detail = "The task has changed since you read it (If-Match does not match its ETag)"


class NotYourTaskList(Forbidden):
    code = "not_your_task_list"
    detail = "You can only use your own task list"
