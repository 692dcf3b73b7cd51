"""Reads from a PostgreSQL streaming replica (`DATABASE_REPLICA_URL`), while it keeps up.

The routes that may show slightly older data (the feeds, the history lists, the audit
search and its export) take `ReplicaSessionDep`. Each such request first asks the
replica, on the connection it will read through, whether it is a standby that is
streaming and how far behind it is. One that is down, not streaming, not a standby or
more than `REPLICA_MAX_LAG` behind is skipped: the request reads from the primary, and
the replica is left alone for a while (longer after each failure to connect, so a
replica that hangs costs one connect timeout now and then, not one per request).

Everything that must read its own writes stays on the primary: writes, the reads of a
write request, sign-in and the token checks (`SessionDep`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from backroom.core import metrics

if TYPE_CHECKING:
    from backroom.core.db import Database

logger = logging.getLogger("backroom.db")

# How long a replica that failed a check is skipped: doubled after each failure in a row.
RECHECK_AFTER = 1.0
RECHECK_AFTER_MAX = 30.0

# One round trip: is it a standby, is it streaming from the primary, and how far behind.
# A standby that has replayed everything it received is not behind (however long ago the
# primary last wrote); otherwise the lag is the age of the last transaction it replayed.
_STATUS = text(
    "SELECT pg_is_in_recovery(),"
    " EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'),"
    " CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0.0"
    " ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 END"
)


class ReplicaState(StrEnum):
    OK = "ok"
    LAGGING = "lagging"
    NOT_STREAMING = "not_streaming"
    NOT_A_STANDBY = "not_a_standby"
    UNAVAILABLE = "unavailable"
    DISABLED = "disabled"


@dataclass(frozen=True)
class ReplicaStatus:
    state: ReplicaState
    lag_seconds: float | None = None


def judge(standby: bool, streaming: bool, lag: float | None, max_lag: float) -> ReplicaStatus:
    """What the status query's answer means for serving reads."""
    if not standby:
        # A promoted standby (or the primary named twice) no longer follows the
        # primary that takes the writes: its data would drift.
        return ReplicaStatus(ReplicaState.NOT_A_STANDBY)
    if not streaming:
        return ReplicaStatus(ReplicaState.NOT_STREAMING, lag)
    if lag is None or lag > max_lag:
        return ReplicaStatus(ReplicaState.LAGGING, lag)
    return ReplicaStatus(ReplicaState.OK, lag)


class Replica:
    """The replica's sessions, handed out only while it keeps up with the primary."""

    def __init__(
        self,
        engine: AsyncEngine,
        reads: async_sessionmaker[AsyncSession],
        *,
        max_lag: float,
    ) -> None:
        self.engine = engine
        self._reads = reads
        # A transaction of its own, for a read that streams (the CSV export).
        self._snapshots = async_sessionmaker(engine, expire_on_commit=False)
        self.max_lag = max_lag
        self._skip_until = 0.0
        self._failures = 0
        self._last = ReplicaState.OK

    async def status(self) -> ReplicaStatus:
        """The replica's state now, on a connection of its own (for /health/ready)."""
        try:
            async with self.engine.connect() as connection:
                row = (await connection.execute(_STATUS)).one()
        except (exc.DBAPIError, exc.TimeoutError, OSError, TimeoutError):
            return ReplicaStatus(ReplicaState.UNAVAILABLE)
        return judge(bool(row[0]), bool(row[1]), row[2], self.max_lag)

    async def session(self, *, snapshot: bool = False) -> AsyncSession | None:
        """A session on the replica, checked to be current; None when the primary must serve."""
        if time.monotonic() < self._skip_until:
            metrics.REPLICA_READS.labels("primary").inc()
            return None
        session = self._snapshots() if snapshot else self._reads()
        try:
            row = (await session.execute(_STATUS)).one()
        except (exc.DBAPIError, exc.TimeoutError, OSError, TimeoutError) as error:
            await session.close()
            self._skip(ReplicaStatus(ReplicaState.UNAVAILABLE), type(error).__name__)
            metrics.REPLICA_READS.labels("primary").inc()
            return None
        status = judge(bool(row[0]), bool(row[1]), row[2], self.max_lag)
        if status.state is not ReplicaState.OK:
            await session.close()
            self._skip(status, status.state.value)
            metrics.REPLICA_READS.labels("primary").inc()
            return None
        self._failures = 0
        if self._last is not ReplicaState.OK:
            logger.info("replica back in use")
            self._last = ReplicaState.OK
        metrics.REPLICA_READS.labels("replica").inc()
        return session

    def _skip(self, status: ReplicaStatus, reason: str) -> None:
        if status.state is ReplicaState.UNAVAILABLE:
            self._failures += 1
            pause = min(RECHECK_AFTER * 2 ** (self._failures - 1), RECHECK_AFTER_MAX)
        else:
            pause = RECHECK_AFTER
        if status.state is not self._last:
            logger.warning("replica skipped, the primary serves its reads: %s", reason)
            self._last = status.state
        self._skip_until = time.monotonic() + pause

    async def dispose(self) -> None:
        await self.engine.dispose()


async def get_replica_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The replica's session when it keeps up, else the primary's read session."""
    database: Database = request.app.state.db
    replica = database.replica
    session = await replica.session() if replica is not None else None
    if session is None:
        session = database.read_sessionmaker()
    async with session:
        yield session


ReplicaSessionDep = Annotated[AsyncSession, Depends(get_replica_session, scope="function")]
