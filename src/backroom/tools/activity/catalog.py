"""The one table that says which audit events reach which feed, and how each one reads.

Every entry renders a title and a description from the event alone (`target_label`,
`details`), as `docs/audit-events.md` fixes them, so the feeds never read a tool's
tables. A missing detail never fails a feed: it is left out of the sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from backroom.core.audit import AuditAction as A
from backroom.core.audit import AuditEvent


class Feed(StrEnum):
    DASHBOARD = "dashboard"  # GET /api/activity/recent: what staff did with the store tools
    ADMIN = "admin"  # GET /api/admin/activity: what admins changed in the store


class Tool(StrEnum):
    INVENTORY = "inventory"
    MILK_COUNT = "milk-count"
    RTDE = "rtde"


Render = Callable[[AuditEvent], str]


@dataclass(frozen=True, slots=True)
class Entry:
    feed: Feed
    type: str
    title: Render
    description: Render
    tool: Tool | None = None


def _details(event: AuditEvent) -> Mapping[str, Any]:
    return event.details if isinstance(event.details, dict) else {}


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _label(event: AuditEvent) -> str:
    """The event's target by name: its label, else the name in its details."""
    return event.target_label or _text(_details(event).get("name")) or "an item"


def _joined(*parts: str) -> str:
    return " · ".join(part for part in parts if part)


def _words(value: object) -> str:
    return _text(value).replace("_", " ")


def _titled(verb: str) -> Render:
    return lambda event: f"{verb} {_label(event)}"


def _fixed(text: str) -> Render:
    return lambda _event: text


def _tracking_item(event: AuditEvent) -> str:
    details = _details(event)
    code = _text(details.get("code"))
    return _joined(f"Code {code}" if code else "", _words(details.get("category")))


def _milk_day(event: AuditEvent) -> str:
    day = _text(_details(event).get("date")) or event.target_label or ""
    return f"Milk count of {day}" if day else "Milk count"


def _milk_completed(event: AuditEvent) -> str:
    total = _details(event).get("total_order")
    return _joined(_milk_day(event), "" if total is None else f"{total} to order")


def _rtde_completed(event: AuditEvent) -> str:
    details = _details(event)
    counted, pulled = details.get("items_counted"), details.get("items_pulled")
    return _joined(
        "" if counted is None else f"{counted} counted",
        "" if pulled is None else f"{pulled} pulled",
    )


def _par_title(event: AuditEvent) -> str:
    name = _text(_details(event).get("milk_type_name")) or event.target_label or "a milk type"
    return f"Par level for {name}"


def _par_change(event: AuditEvent) -> str:
    details = _details(event)
    old, new = details.get("old"), details.get("new")
    if old is None:
        return f"Set to {new}" if new is not None else ""
    return f"{old} → {new}"


def _changed_fields(event: AuditEvent) -> str:
    changes = _details(event).get("changes")
    if not isinstance(changes, dict) or not changes:
        return ""
    return "Changed " + ", ".join(_words(name) for name in sorted(changes))


def _role(event: AuditEvent) -> str:
    role = _details(event).get("role")
    return f"Role: {role}" if role else ""


def _rtde_par(event: AuditEvent) -> str:
    par = _details(event).get("par_level")
    return "" if par is None else f"Par {par}"


def _rtde_removed(event: AuditEvent) -> str:
    if _details(event).get("deleted_permanently") is False:
        return "Deactivated: it appears in past sessions"
    return "Deleted for good"


def _category(event: AuditEvent) -> str:
    return _words(_details(event).get("category"))


def _nothing(_event: AuditEvent) -> str:
    return ""


_D, _ADM = Feed.DASHBOARD, Feed.ADMIN
_INV, _MILK, _RTDE = Tool.INVENTORY, Tool.MILK_COUNT, Tool.RTDE

CATALOG: Mapping[A, Entry] = {
    # The dashboard: the store tools at work (types the tablet app has icons for).
    A.TRACKING_ITEM_ADDED: Entry(_D, "inventory_add", _titled("Added"), _tracking_item, _INV),
    A.TRACKING_ITEM_REMOVED: Entry(
        _D, "inventory_remove", _titled("Removed"), _tracking_item, _INV
    ),
    A.TRACKING_ITEM_RESTORED: Entry(
        _D, "inventory_restore", _titled("Restored"), _tracking_item, _INV
    ),
    A.MILK_NIGHT_FOH_SAVED: Entry(
        _D, "milk_order_foh", _fixed("Night FOH count saved"), _milk_day, _MILK
    ),
    A.MILK_NIGHT_BOH_SAVED: Entry(
        _D, "milk_order_boh", _fixed("Night BOH count saved"), _milk_day, _MILK
    ),
    A.MILK_MORNING_SAVED: Entry(
        _D, "milk_order_morning", _fixed("Morning count saved"), _milk_day, _MILK
    ),
    A.MILK_SESSION_COMPLETED: Entry(
        _D, "milk_order_completed", _fixed("Milk order completed"), _milk_completed, _MILK
    ),
    A.RTDE_SESSION_COMPLETED: Entry(
        _D, "rtde_completed", _fixed("RTD&E pull completed"), _rtde_completed, _RTDE
    ),
    # The admin feed: changes to the store's people and settings.
    A.ACCOUNTS_USER_CREATED: Entry(_ADM, "user_created", _titled("Created user"), _role),
    A.ACCOUNTS_USER_UPDATED: Entry(_ADM, "user_updated", _titled("Updated user"), _changed_fields),
    A.ACCOUNTS_USER_DELETED: Entry(_ADM, "user_deleted", _titled("Deleted user"), _nothing),
    A.ACCOUNTS_USER_RESTORED: Entry(_ADM, "user_restored", _titled("Restored user"), _nothing),
    A.ACCOUNTS_PIN_RESET: Entry(_ADM, "user_pin_reset", _titled("Reset the PIN of"), _nothing),
    A.ACCOUNTS_USER_UNLOCKED: Entry(_ADM, "user_unlocked", _titled("Unlocked"), _nothing),
    A.MILK_PAR_UPDATED: Entry(_ADM, "milk_par_updated", _par_title, _par_change),
    A.MILK_TYPE_CREATED: Entry(_ADM, "milk_type_created", _titled("Added milk type"), _category),
    A.MILK_TYPE_UPDATED: Entry(
        _ADM, "milk_type_updated", _titled("Updated milk type"), _changed_fields
    ),
    A.MILK_SESSION_REOPENED: Entry(
        _ADM, "milk_session_reopened", _fixed("Milk count reopened"), _milk_day
    ),
    A.RTDE_ITEM_CREATED: Entry(_ADM, "rtde_item_created", _titled("Added RTD&E item"), _rtde_par),
    A.RTDE_ITEM_UPDATED: Entry(
        _ADM, "rtde_item_updated", _titled("Updated RTD&E item"), _changed_fields
    ),
    A.RTDE_ITEM_DELETED: Entry(
        _ADM, "rtde_item_deleted", _titled("Removed RTD&E item"), _rtde_removed
    ),
    A.RTDE_ITEM_DEACTIVATED: Entry(
        _ADM, "rtde_item_deleted", _titled("Removed RTD&E item"), _rtde_removed
    ),
    A.RTDE_ITEMS_REORDERED: Entry(
        _ADM, "rtde_items_reordered", _fixed("RTD&E display order changed"), _nothing
    ),
    A.TRACKING_SUGGESTION_CREATED: Entry(
        _ADM, "tracking_suggestion_created", _titled("Added suggestion"), _category
    ),
    A.TRACKING_SUGGESTION_DELETED: Entry(
        _ADM, "tracking_suggestion_deleted", _titled("Removed suggestion"), _category
    ),
}


def actions_of(feed: Feed) -> list[str]:
    """The action names one feed shows, for the query."""
    return sorted(action.value for action, entry in CATALOG.items() if entry.feed is feed)


def entry_of(event: AuditEvent) -> Entry:
    """The catalog entry of an event the feed query selected (so it is in the catalog)."""
    return CATALOG[A(event.action)]
