"""The one source of "now" for business rules (phases, business days, session expiry).

Every rule that depends on the time asks the app's clock instead of reading the system
time itself, so tests can freeze and move time through the real HTTP stack:
`app.state.clock = FixedClock(...)`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Protocol

from fastapi import Depends, Request


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that stands still until moved (`advance`) or set (`at`)."""

    def __init__(self, instant: dt.datetime) -> None:
        self._instant = _aware(instant)

    def now(self) -> dt.datetime:
        return self._instant

    def at(self, instant: dt.datetime) -> None:
        self._instant = _aware(instant)

    def advance(self, delta: dt.timedelta) -> None:
        self._instant += delta


def _aware(instant: dt.datetime) -> dt.datetime:
    if instant.tzinfo is None:
        raise ValueError("a clock needs a timezone-aware instant")
    return instant.astimezone(dt.UTC)


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


ClockDep = Annotated[Clock, Depends(get_clock)]
