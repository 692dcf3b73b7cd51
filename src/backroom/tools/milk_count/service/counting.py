"""The four phase saves: night FOH, night BOH, morning, on order (which completes).

Each save runs the same steps, and its cost does not grow with the number of milk types
(a fixed handful of statements, never one per entry):

1. the session must be in the save's phase (else 409 `wrong_phase`);
2. the whole payload is checked before anything is written: every active milk type of
   the session exactly once, nothing else (else 422 `invalid_counts`, nothing saved);
3. one conditional UPDATE moves the session on only if it is still in that phase, so of
   two concurrent saves exactly one wins and the other gets the 409;
4. one bulk UPDATE writes the entries (plus one bulk INSERT for active milk types that
   joined after the session started), and the audit event goes into the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.deps import StoreCaller
from backroom.core.audit import AuditAction
from backroom.core.clock import Clock
from backroom.tools.milk_count.errors import InvalidCounts, WrongPhase
from backroom.tools.milk_count.models import MilkSession, Phase
from backroom.tools.milk_count.repository import Line, SessionRepository
from backroom.tools.milk_count.schemas import (
    BohCountLine,
    BohLine,
    DirectLine,
    FohLine,
    OnOrderLine,
)
from backroom.tools.milk_count.service.common import record_session_event
from backroom.tools.milk_count.service.sessions import advance, empty_entry
from backroom.tools.milk_count.service.summary import order_for


class PayloadLine(Protocol):
    @property
    def milk_type_id(self) -> uuid.UUID: ...


Changes = Callable[[Line, Any], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class PhaseSave:
    phase: Phase
    action: AuditAction
    activity_type: str
    field: str  # the payload's list, for error locations
    changes: Changes


def _foh(_line: Line, item: FohLine) -> dict[str, Any]:
    return {"foh_count": item.foh_count}


def _boh(_line: Line, item: BohLine) -> dict[str, Any]:
    return {"boh_count": item.boh_count}


def _morning(line: Line, item: BohCountLine | DirectLine) -> dict[str, Any]:
    if isinstance(item, DirectLine):
        return {"morning_method": item.method, "current_boh": None, "delivered": item.delivered}
    night_boh = (line.entry.boh_count if line.entry else None) or 0
    return {
        "morning_method": item.method,
        "current_boh": item.current_boh,
        "delivered": max(0, item.current_boh - night_boh),
    }


def _on_order(line: Line, item: OnOrderLine) -> dict[str, Any]:
    # Completing captures the par in force, so later par changes never rewrite this order.
    return {"on_order": item.on_order, "par": line.live_par}


NIGHT_FOH = PhaseSave(
    Phase.NIGHT_FOH, AuditAction.MILK_NIGHT_FOH_SAVED, "milk_order_foh", "counts", _foh
)
NIGHT_BOH = PhaseSave(
    Phase.NIGHT_BOH, AuditAction.MILK_NIGHT_BOH_SAVED, "milk_order_boh", "counts", _boh
)
MORNING = PhaseSave(
    Phase.MORNING, AuditAction.MILK_MORNING_SAVED, "milk_order_morning", "counts", _morning
)
ON_ORDER = PhaseSave(
    Phase.ON_ORDER, AuditAction.MILK_SESSION_COMPLETED, "milk_order_completed", "on_orders",
    _on_order,
)  # fmt: skip


def _check_payload(
    lines: Sequence[Line], items: Sequence[PayloadLine], field: str
) -> dict[uuid.UUID, Line]:
    """The lines the payload names, by milk type; 422 unless it names every active milk
    type of the session exactly once and nothing else."""
    required = {line.milk_type.id: line for line in lines if line.milk_type.active}
    errors: list[dict[str, str]] = []
    seen: set[uuid.UUID] = set()
    for index, item in enumerate(items):
        where = f"{field}.{index}.milk_type_id"
        if item.milk_type_id not in required:
            errors.append({"field": where, "message": "Not an active milk type of this session"})
        elif item.milk_type_id in seen:
            errors.append({"field": where, "message": "This milk type is already in the list"})
        seen.add(item.milk_type_id)
    missing = [line.milk_type.name for key, line in required.items() if key not in seen]
    if missing:
        errors.append({"field": field, "message": f"Missing milk types: {', '.join(missing)}"})
    if errors:
        detail = "Every active milk type must be counted exactly once"
        if missing:
            detail += f" (missing: {', '.join(missing)})"
        raise InvalidCounts(detail, errors=errors)
    return required


def _session_values(save: PhaseSave, caller: StoreCaller, now: Any) -> dict[str, Any]:
    prefix = save.phase.value
    values = {
        "status": save.phase.next.value,
        f"{prefix}_saved_at": now,
        f"{prefix}_user_id": caller.user_id,
        f"{prefix}_user_name": caller.name or None,
        "updated_at": now,
    }
    if save.phase is Phase.ON_ORDER:
        values["completed_at"] = now
    return values


async def save_phase(
    session: AsyncSession,
    caller: StoreCaller,
    row: MilkSession,
    save: PhaseSave,
    items: Sequence[PayloadLine],
    *,
    clock: Clock,
) -> MilkSession:
    if row.status != save.phase.value:
        raise WrongPhase(row.status)
    repository = SessionRepository(session)
    lines = await repository.lines(caller.store_id, row.id, with_active=True)
    named = _check_payload(lines, items, save.field)
    now = clock.now()
    await advance(
        session,
        caller.store_id,
        row,
        expected=save.phase,
        values=_session_values(save, caller, now),
    )
    updates: dict[uuid.UUID, dict[str, Any]] = {}
    inserts: list[dict[str, Any]] = []
    for item in items:
        line = named[item.milk_type_id]
        changes = save.changes(line, item)
        if line.entry is None:
            inserts.append({**empty_entry(row.id, line.milk_type.id, now), **changes})
        else:
            updates[line.entry.id] = {"id": line.entry.id, **changes, "updated_at": now}
    details: dict[str, Any] = {"activity_type": save.activity_type, "status": row.status}
    if save.phase is Phase.ON_ORDER:
        _capture_pars(lines, updates, now)
        details["total_order"] = _total_order(lines, updates, inserts)
    await repository.update_entries(list(updates.values()))
    await repository.insert_entries(inserts)
    await record_session_event(session, save.action, caller, row, **details)
    return row


def _capture_pars(
    lines: Sequence[Line], updates: dict[uuid.UUID, dict[str, Any]], now: Any
) -> None:
    """Entries outside the payload (milk types deactivated since the start) keep their
    counts and get the par captured too, so the completed summary never moves."""
    for line in lines:
        if line.entry is not None and line.entry.id not in updates:
            updates[line.entry.id] = {
                "id": line.entry.id,
                "on_order": line.entry.on_order,
                "par": line.live_par,
                "updated_at": now,
            }


def _total_order(
    lines: Sequence[Line],
    updates: dict[uuid.UUID, dict[str, Any]],
    inserts: Sequence[dict[str, Any]],
) -> int:
    """The completed session's total order, from the values just written."""
    written = {values["milk_type_id"]: values for values in inserts}
    total = 0
    for line in lines:
        entry = line.entry
        values = updates.get(entry.id, {}) if entry else written.get(line.milk_type.id, {})
        if entry is None and not values:
            continue
        counted = sum(
            (getattr(entry, name, None) or 0) for name in ("foh_count", "boh_count", "delivered")
        )
        total += order_for(values.get("par", line.live_par), counted, values.get("on_order") or 0)
    return total
