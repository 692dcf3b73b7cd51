"""Tracking items and personal tasks for the demo store's people."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.demo.people import DemoPeople
from backroom.tools.tasks import service as tasks
from backroom.tools.tasks.schemas import TaskCreate
from backroom.tools.tracking.schemas import ItemCreate
from backroom.tools.tracking.service import items as tracking

TRACKING_ITEMS = (
    ("Vanilla syrup", "syrups"),
    ("Caramel syrup", "syrups"),
    ("Hazelnut syrup", "syrups"),
    ("Mocha sauce", "sauces"),
    ("White mocha sauce", "sauces"),
    ("Espresso roast", "coffee_beans"),
    ("Decaf roast", "coffee_beans"),
    ("Matcha powder", "powders"),
    ("Tall cups", "cups"),
    ("Grande lids", "lids"),
    ("Sugar packets", "condiments"),
    ("Sanitizer", "cleaning_supplies"),
)
# Every fourth item has been used up and taken off the shelf.
REMOVED_EVERY = 4

TASKS: tuple[tuple[str, str, list[str], bool], ...] = (
    ("Restock the syrup rack", "high", ["restock"], False),
    ("Deep clean the espresso machine", "medium", ["cleaning"], True),
    ("Check the walk-in temperature log", "high", ["safety"], False),
    ("Fold delivery boxes", "low", [], True),
    ("Wipe down the pastry case", "medium", ["cleaning"], False),
)


async def seed_tracking(session: AsyncSession, people: DemoPeople) -> int:
    """Twelve items added by the staff in turn, some of them removed since."""
    staff = people.staff
    for index, (name, category) in enumerate(TRACKING_ITEMS):
        caller = staff[index % len(staff)].caller
        data = ItemCreate.model_validate({"name": name, "category": category})
        item = await tracking.create_item(session, caller, data)
        if index % REMOVED_EVERY == REMOVED_EVERY - 1:
            await tracking.remove_by_code(session, caller, item.code)
    return len(TRACKING_ITEMS)


async def seed_tasks(session: AsyncSession, people: DemoPeople, now: dt.datetime) -> int:
    """Each staff member's own to-do list, a few done already."""
    made = 0
    for offset, member in enumerate(people.staff):
        actor = member.caller.actor
        for days, (title, priority, tags, done) in enumerate(TASKS, start=offset):
            data = TaskCreate.model_validate(
                {
                    "title": title,
                    "priority": priority,
                    "tags": tags,
                    "due_date": (now + dt.timedelta(days=days + 1)).isoformat(),
                }
            )
            task = await tasks.create_task(session, owner_id=member.user.id, actor=actor, data=data)
            if done:
                await tasks.complete_task(session, task, actor=actor, completed=True, expected=None)
            made += 1
    return made
