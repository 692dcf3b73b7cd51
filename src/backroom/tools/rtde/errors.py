"""What can go wrong in the RTD&E tool, each with its status and a stable code."""

from __future__ import annotations

from backroom.core.errors import Conflict, NotFound, PreconditionFailed


class ItemNotFound(NotFound):
    # The same body for a missing id, a malformed id and another store's item.
    code = "rtde_item_not_found"
    detail = "Item not found"


class ItemChanged(PreconditionFailed):
    code = "rtde_item_changed"
    detail = "The item has changed since you read it (If-Match does not match its ETag)"


class SessionNotFound(NotFound):
    # Also another user's session, for admins too: sessions are seen only by their owner.
    code = "rtde_session_not_found"
    detail = "Session not found"


class SessionItemNotFound(NotFound):
    code = "rtde_session_item_not_found"
    detail = "This item is not part of the session"


class SessionExpired(Conflict):
    code = "session_expired"
    detail = "The session has expired; start a new one"


class SessionCompleted(Conflict):
    code = "session_completed"
    detail = "The session is already completed"


class NothingToResume(Conflict):
    code = "no_session_to_resume"
    detail = "You have no open session to resume; start a new one"
