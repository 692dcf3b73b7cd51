"""What can go wrong with a tracked item or a name template, each with a stable code."""

from __future__ import annotations

from backroom.core.errors import Conflict, NotFound, PreconditionFailed


class ItemNotFound(NotFound):
    # The same body for an unknown code, a malformed one and another store's item.
    code = "tracking_item_not_found"
    detail = "No item with this code"


class CodeInUse(Conflict):
    code = "code_in_use"
    detail = "This code is already on an item in the back room; pick another code"

    def __init__(self, code: str | None = None) -> None:
        detail = None
        if code is not None:
            detail = f"Code {code} is already on an item in the back room; pick another code"
        super().__init__(detail)


class CodeSpaceExhausted(Conflict):
    code = "code_space_exhausted"
    detail = "All 10,000 codes are in use in this store; remove an item first"


class CodeAllocationBusy(Conflict):
    code = "code_allocation_busy"
    detail = "Too many items are being added at once; try again"


class ItemAlreadyRemoved(Conflict):
    code = "item_already_removed"
    detail = "This item has already been removed"


class ItemNotRemoved(Conflict):
    code = "item_not_removed"
    detail = "This item has not been removed, so there is nothing to restore"


class SuggestionNotFound(NotFound):
    code = "tracking_suggestion_not_found"
    detail = "Suggestion not found"


class SuggestionExists(Conflict):
    code = "tracking_suggestion_exists"
    detail = "This category already has a suggestion with that name"


class ItemChanged(PreconditionFailed):
    code = "tracking_item_changed"
    detail = "The item has changed since you read it (If-Match does not match its ETag)"
