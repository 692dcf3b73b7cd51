"""What can go wrong in the milk count, each with its status and a stable code."""

from __future__ import annotations

from typing import Any

from backroom.core.errors import Conflict, NotFound, PreconditionFailed, Unprocessable

PHASE_LABELS = {
    "night_foh": "night front-of-house count",
    "night_boh": "night back-of-house count",
    "morning": "morning count",
    "on_order": "on-order entry",
    "completed": "completed",
}


class MilkTypeNotFound(NotFound):
    # The same body for a missing id, a malformed id and another store's milk type.
    code = "milk_type_not_found"
    detail = "Milk type not found"


class MilkSessionNotFound(NotFound):
    code = "milk_session_not_found"
    detail = "Milk count session not found"


class MilkTypeExists(Conflict):
    code = "milk_type_exists"
    detail = "A milk type with this name already exists in your store"


class SessionExists(Conflict):
    """A count is already open, or done, for this business day; the body carries it."""

    code = "milk_session_exists"
    detail = "A milk count session already exists for this business day"

    def __init__(self, session: dict[str, Any] | None = None) -> None:
        super().__init__(extra={"session": session})


class WrongPhase(Conflict):
    code = "wrong_phase"
    detail = "This save belongs to another phase of the session"

    def __init__(self, current: str) -> None:
        if current == "completed":
            sentence = "This session is already completed"
        else:
            sentence = f"This session is in the {current} phase ({PHASE_LABELS[current]})"
        super().__init__(sentence, extra={"current_phase": current})


class NotAnEarlierPhase(Conflict):
    code = "not_an_earlier_phase"
    detail = "A session can only be reopened at a phase before its current one"

    def __init__(self, current: str | None = None) -> None:
        extra = {"current_phase": current} if current is not None else None
        super().__init__(extra=extra)


class ParLevelChanged(PreconditionFailed):
    code = "par_level_changed"
    detail = "The par level has changed since you read it (If-Match does not match its ETag)"


class InvalidCounts(Unprocessable):
    """The payload names the milk types wrongly; nothing of it is saved."""

    code = "invalid_counts"
    detail = "Every active milk type must be counted exactly once"
