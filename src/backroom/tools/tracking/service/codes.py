"""Picking a free code for an item added without one.

The unique index on (store, code) among active items is the judge; this module only
makes a good first guess, so a collision is rare and costs one more attempt:

- a store with at most `DENSE_THRESHOLD` active items draws `SAMPLE_SIZE` random codes
  and asks in one query which of them were ever used: a code never used wins, else
  the one freed longest ago (least recently used), so a label just peeled off a box
  is not handed out again at once;
- a fuller store (or a sample that held only active codes) takes the lowest free code
  in one query instead of guessing.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Collection

from backroom.tools.tracking.errors import CodeSpaceExhausted
from backroom.tools.tracking.models import CODE_SPACE, format_code
from backroom.tools.tracking.repository import ItemRepository
from backroom.tools.tracking.statements import DENSE_THRESHOLD

SAMPLE_SIZE = 64


async def pick_free_code(
    items: ItemRepository, store_id: uuid.UUID, *, avoid: Collection[str] = ()
) -> str:
    """A code no active item of the store holds right now (a race may still take it)."""
    active, lowest = await items.code_space(store_id)
    if active >= CODE_SPACE:
        raise CodeSpaceExhausted
    if active <= DENSE_THRESHOLD:
        sampled = await _sampled_code(items, store_id, avoid)
        if sampled is not None:
            return sampled
        lowest = await items.lowest_free_code(store_id)
    if lowest is None:
        raise CodeSpaceExhausted
    return format_code(lowest)


async def _sampled_code(
    items: ItemRepository, store_id: uuid.UUID, avoid: Collection[str]
) -> str | None:
    """The best free code among a random sample: never used first, then freed longest ago."""
    sample = [format_code(n) for n in random.sample(range(CODE_SPACE), SAMPLE_SIZE)]
    usage = {code: (held, freed) for code, held, freed in await items.code_usage(store_id, sample)}
    for code in sample:
        if code not in usage and code not in avoid:
            return code
    freed_before = [
        (freed, code)
        for code, (held, freed) in usage.items()
        if not held and freed is not None and code not in avoid
    ]
    return min(freed_before)[1] if freed_before else None
