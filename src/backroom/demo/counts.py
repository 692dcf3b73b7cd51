"""A week of milk counts and a few RTD&E pulls, run phase by phase on a moved clock.

The milk count services take the clock as an argument, so each past business day is
counted at the hours a store counts (evening, then the next morning) and lands on its own
date; today's count is left half done, so the tablet has a phase to continue.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.deps import StoreCaller
from backroom.core.clock import Clock, FixedClock, SystemClock
from backroom.demo.people import DemoPeople
from backroom.tools.milk_count.models import MilkSession
from backroom.tools.milk_count.schemas import (
    BohCountLine,
    BohLine,
    FohLine,
    OnOrderLine,
)
from backroom.tools.milk_count.service import counting, milk_types
from backroom.tools.milk_count.service import sessions as milk_sessions
from backroom.tools.milk_count.service.common import StoreTime
from backroom.tools.milk_count.service.counting import PayloadLine, PhaseSave
from backroom.tools.rtde.schemas import ItemCreate as RTDEItemCreate
from backroom.tools.rtde.service import items as rtde_items
from backroom.tools.rtde.service import sessions as rtde_sessions

PAST_DAYS = 6
START = dt.timedelta(hours=20)  # local time the night count starts

RTDE_ITEMS = (
    ("Cold brew bottle", 6, "Backroom Roasters"),
    ("Sparkling water", 8, None),
    ("Orange juice", 4, None),
    ("Protein box", 3, None),
    ("Yogurt parfait", 4, None),
    ("Iced coffee can", 6, "Backroom Roasters"),
)
RTDE_PAST_PULLS = (3, 1)  # days ago


def _local(day: dt.date, zone: ZoneInfo, after: dt.timedelta, now: dt.datetime) -> dt.datetime:
    """`after` past local midnight of `day`, in UTC, never later than now."""
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return min((midnight + after).astimezone(dt.UTC), now)


def _foh(ident: uuid.UUID, index: int, seed: int) -> PayloadLine:
    return FohLine(milk_type_id=ident, foh_count=(seed + index) % 4)


def _boh(ident: uuid.UUID, index: int, seed: int) -> PayloadLine:
    return BohLine(milk_type_id=ident, boh_count=(seed * index) % 5)


def _morning(ident: uuid.UUID, index: int, seed: int) -> PayloadLine:
    current = (seed * index) % 5 + 6
    return BohCountLine(milk_type_id=ident, method="boh_count", current_boh=current)


def _on_order(ident: uuid.UUID, index: int, _seed: int) -> PayloadLine:
    return OnOrderLine(milk_type_id=ident, on_order=index % 2)


# Each save of a day's count: when (local time from the day's midnight), who (the
# night or the morning staff member), and what it counted.
PLAN: tuple[
    tuple[PhaseSave, dt.timedelta, int, Callable[[uuid.UUID, int, int], PayloadLine]], ...
] = (
    (counting.NIGHT_FOH, dt.timedelta(hours=20, minutes=10), 0, _foh),
    (counting.NIGHT_BOH, dt.timedelta(hours=20, minutes=40), 0, _boh),
    (counting.MORNING, dt.timedelta(days=1, hours=6, minutes=30), 1, _morning),
    (counting.ON_ORDER, dt.timedelta(days=1, hours=6, minutes=45), 1, _on_order),
)


async def _save(
    session: AsyncSession,
    caller: StoreCaller,
    row: MilkSession,
    save: PhaseSave,
    line: Callable[[uuid.UUID, int, int], PayloadLine],
    *,
    clock: Clock,
    seed: int,
) -> None:
    """One phase save with a line for every active milk type, as the tablet sends it."""
    rows = await milk_types.list_milk_types(session, caller.store_id)
    items = [line(milk_type.id, index, seed) for index, (milk_type, _par) in enumerate(rows)]
    await counting.save_phase(session, caller, row, save, items, clock=clock)


async def seed_milk(session: AsyncSession, people: DemoPeople, now: dt.datetime) -> int:
    """Completed counts for the last six business days, and today's stopped after the
    night front-of-house count. Returns how many sessions were made."""
    zone = ZoneInfo(people.store.timezone)
    today = now.astimezone(zone).date()
    for days_ago in range(PAST_DAYS, 0, -1):
        day = today - dt.timedelta(days=days_ago)
        clock = FixedClock(_local(day, zone, START, now))
        time = StoreTime(clock=clock, timezone=zone)
        row = await milk_sessions.start_session(session, people.staff[0].caller, time)
        for save, after, who, line in PLAN:
            clock.at(_local(day, zone, after, now))
            caller = people.staff[who].caller
            await _save(session, caller, row, save, line, clock=clock, seed=days_ago)
    system = SystemClock()
    caller = people.staff[0].caller
    time = StoreTime(clock=system, timezone=zone)
    row = await milk_sessions.start_session(session, caller, time)
    await _save(session, caller, row, counting.NIGHT_FOH, _foh, clock=system, seed=0)
    return PAST_DAYS + 1


async def seed_rtde(
    session: AsyncSession, people: DemoPeople, now: dt.datetime, lifetime: dt.timedelta
) -> tuple[int, int]:
    """The admin's item list, and pulls the staff completed on earlier days."""
    for name, par, brand in RTDE_ITEMS:
        data = RTDEItemCreate.model_validate({"name": name, "par_level": par, "brand": brand})
        await rtde_items.create_item(session, people.admin.caller, data)
    for turn, days_ago in enumerate(RTDE_PAST_PULLS):
        caller = people.staff[turn % len(people.staff)].caller
        started_at = now - dt.timedelta(days=days_ago)
        started = await rtde_sessions.start_session(
            session, caller, resume=False, now=started_at, lifetime=lifetime
        )
        row = started.session
        for index, line in enumerate(await rtde_sessions.session_lines(session, row)):
            counted = (index + days_ago) % (line.par_level + 1)
            await rtde_sessions.count_item(
                session, row, caller=caller, item_id=line.item_id, quantity=counted, now=started_at
            )
            if rtde_sessions.need(line.par_level, counted) > 0:
                await rtde_sessions.mark_pulled(
                    session, row, caller=caller, item_id=line.item_id, pulled=True, now=started_at
                )
        finished = started_at + dt.timedelta(minutes=12)
        await rtde_sessions.complete_session(session, row, caller, finished)
    return len(RTDE_ITEMS), len(RTDE_PAST_PULLS)
