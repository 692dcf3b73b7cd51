"""Engine, sessions, the declarative base and the one transaction per request.

`SessionDep` opens a session per request and commits it after the handler returns
but before the response is sent (`scope="function"`), so a failed commit reaches
the client as an error and never as a 200.

A GET or HEAD request reads only, so its session runs without an explicit
transaction: no BEGIN and COMMIT round trips on PostgreSQL (AUTOCOMMIT), and on
SQLite no `BEGIN IMMEDIATE`, which would take the one write lock for a read. Each of
its statements then sees the data committed when it starts (a page and its count may
straddle a concurrent write). Such a session refuses to flush ORM changes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator, Uuid

from backroom.core import metrics
from backroom.core.config import Settings
from backroom.core.pooler import pgbouncer_connect_args
from backroom.core.replica import Replica

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every engine (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use UTC")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """None on asyncpg, which already decodes `timestamptz` as aware UTC datetimes:
        a page of rows then skips a Python call per timestamp (docs/BENCHMARKS.md)."""
        if dialect.driver == "asyncpg":
            return None
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime(), uuid.UUID: Uuid()}


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


# Execution option of a connection that only reads, in one transaction (a long export):
# on SQLite its transaction does not take the write lock, so writers are not held up.
SNAPSHOT = "backroom_snapshot"


def create_engine(settings: Settings, url: str | None = None) -> AsyncEngine:
    """The engine of `DATABASE_URL` (or of `url`, a replica's, with the same settings)."""
    url = url or settings.DATABASE_URL
    if settings.is_sqlite:
        engine = create_async_engine(
            url,
            echo=settings.DB_ECHO,
            connect_args={"timeout": settings.SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        _configure_sqlite(engine, settings)
        return engine
    session_settings = _session_settings(settings)
    connect_args: dict[str, Any] = {
        "timeout": settings.DB_CONNECT_TIMEOUT,
        "server_settings": {"application_name": "backroom"},
    }
    if settings.DB_PGBOUNCER:
        connect_args.update(pgbouncer_connect_args())
    else:
        connect_args["server_settings"].update(session_settings)
    engine = create_async_engine(
        url,
        echo=settings.DB_ECHO,
        pool_size=settings.DB_POOL_SIZE,
        max_overflow=settings.DB_MAX_OVERFLOW,
        pool_timeout=settings.DB_POOL_TIMEOUT,
        pool_pre_ping=settings.DB_POOL_PRE_PING,
        pool_recycle=1800,
        connect_args=connect_args,
    )
    if settings.DB_PGBOUNCER:
        _set_per_transaction(engine, session_settings)
    return engine


def _session_settings(settings: Settings) -> dict[str, str]:
    return {
        "statement_timeout": str(settings.DB_STATEMENT_TIMEOUT_MS),
        # SSD storage: PostgreSQL's default of 4.0 (spinning disks) made the planner
        # walk the primary key backwards past every other owner's rows (page 1 of a
        # 10^5-task list: 258 ms) instead of using the owner's index (0.2 ms).
        "random_page_cost": "1.1",
    }


def _set_per_transaction(engine: AsyncEngine, values: dict[str, str]) -> None:
    """Behind PgBouncer: the session settings, applied to each transaction alone.

    One statement per transaction; a server connection that PgBouncer hands to
    someone else afterwards keeps nothing of it.
    """
    calls = ", ".join(f"set_config('{name}', '{value}', true)" for name, value in values.items())
    statement = f"SELECT {calls}"  # names and values are ours: digits and fixed words

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(statement)


def _configure_sqlite(engine: AsyncEngine, settings: Settings) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for every transaction
    (but a `SNAPSHOT` or read-only one).

    Taking the write lock when the transaction begins means two writers queue on
    `busy_timeout` instead of deadlocking when both try to upgrade a read lock.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.SQLITE_BUSY_TIMEOUT_MS)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(READ_ONLY_OPTION):
            return  # the driver is in autocommit mode: each statement on its own
        if options.get(SNAPSHOT):
            connection.exec_driver_sql("BEGIN")  # a snapshot for a long read; writers go on
            return
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# The execution option of the engine that read-only requests use (see `read_only_bind`).
READ_ONLY_OPTION = "backroom_read_only"
_READ_METHODS = frozenset({"GET", "HEAD"})


def read_only_bind(engine: AsyncEngine, *, pgbouncer: bool = False) -> AsyncEngine:
    """The same pool, with no transaction around a read-only request's statements.

    Behind PgBouncer a read still needs a transaction (read-only), or the prepare and
    the execute of one statement may reach two different servers.
    """
    if engine.dialect.name == "sqlite":
        # The sqlite3 connection already runs in autocommit mode (isolation_level None);
        # only our BEGIN IMMEDIATE is skipped.
        return engine.execution_options(**{READ_ONLY_OPTION: True})
    if pgbouncer:
        return engine.execution_options(postgresql_readonly=True, **{READ_ONLY_OPTION: True})
    return engine.execution_options(isolation_level="AUTOCOMMIT", **{READ_ONLY_OPTION: True})


class ReadOnlyWrite(RuntimeError):
    """A GET or HEAD request tried to write through its read-only session."""


class ReadOnlySession(Session):
    """The session of a GET or HEAD request: it has no transaction to write in."""


@event.listens_for(ReadOnlySession, "before_flush")
def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlyWrite("a GET or HEAD request must not write")


class Database:
    """The engine and session factory of one app instance."""

    def __init__(self, settings: Settings) -> None:
        self.engine = create_engine(settings)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessionmaker = async_sessionmaker(
            read_only_bind(self.engine, pgbouncer=settings.DB_PGBOUNCER),
            expire_on_commit=False,
            sync_session_class=ReadOnlySession,
        )
        _watch_pool(self.engine)
        self.replica = _replica(settings)

    async def snapshot_session(self) -> AsyncSession:
        """A session for a long read in one transaction (a streamed export).

        On the replica when it keeps up; on SQLite its transaction leaves the write
        lock to writers.
        """
        session = await self.replica.session(snapshot=True) if self.replica else None
        if session is None:
            session = self.sessionmaker()
            await session.connection(execution_options={SNAPSHOT: True})
        return session

    async def dispose(self) -> None:
        if self.replica is not None:
            await self.replica.dispose()
        await self.engine.dispose()
        metrics.DB_POOL_SIZE.set(0)
        metrics.DB_POOL_CHECKED_OUT.set(0)


def _replica(settings: Settings) -> Replica | None:
    if settings.DATABASE_REPLICA_URL is None:
        return None
    engine = create_engine(settings, settings.DATABASE_REPLICA_URL)
    reads = async_sessionmaker(
        read_only_bind(engine, pgbouncer=settings.DB_PGBOUNCER),
        expire_on_commit=False,
        sync_session_class=ReadOnlySession,
    )
    return Replica(engine, reads, max_lag=settings.REPLICA_MAX_LAG)


def _watch_pool(engine: AsyncEngine) -> None:
    """Keep the pool gauges current from pool events (one pool per worker process).

    The gauges are set from the pool's own count rather than counted up and down, so
    a connection lost during an outage cannot leave them drifting.
    """
    pool = engine.sync_engine.pool
    size_of = getattr(pool, "size", None)
    checked_out = getattr(pool, "checkedout", None)
    metrics.DB_POOL_SIZE.set(size_of() if callable(size_of) else 0)
    if not callable(checked_out):
        return

    @event.listens_for(pool, "checkout")
    def _checkout(*_args: Any) -> None:
        metrics.DB_POOL_CHECKED_OUT.set(checked_out())

    @event.listens_for(pool, "checkin")
    def _checkin(*_args: Any) -> None:
        # Fired just before the connection goes back, so it still counts as out.
        metrics.DB_POOL_CHECKED_OUT.set(max(0, checked_out() - 1))


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.db
    if request.method in _READ_METHODS:
        async with database.read_sessionmaker() as session:
            yield session
        return
    async with database.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
