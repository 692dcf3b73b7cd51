"""Idempotency-Key storage for POSTs that create things (API.md §1).

A client that is not sure its POST arrived sends it again with the same
`Idempotency-Key`; it gets the first response back instead of a second row.

The key is claimed by inserting its row (one `INSERT ... ON CONFLICT`) in the same
transaction as the write, before the write. The unique constraint on (owner, key)
serialises two concurrent requests with one key: the second one waits for the first
to commit and then replays its response (or, if it sees a claim without a response,
gets a 409). If the write fails, the claim rolls back with it and the key is free
again. An expired key is taken over by the same statement.

Use it from a router as the `IdempotencyDep` dependency:

    replay = await idempotency.claim(owner_id=user.user_id, payload=body.model_dump(mode="json"))
    if replay is not None:
        return replay
    ...create, build `response`...
    await idempotency.save(response)
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import uuid
from typing import Annotated, Any, cast

from fastapi import Depends, Header, Request, Response
from sqlalchemy import (
    JSON,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from backroom.core.db import Base, SessionDep, utcnow
from backroom.core.errors import Conflict, Unprocessable
from backroom.core.fastread import dialect_name

MAX_KEY_LENGTH = 255
# The response headers a replay repeats; the rest (request id, dates) belong to the retry.
REPLAYED_HEADERS = ("content-type", "location", "etag")
REPLAY_MARKER = "Idempotent-Replayed"


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("owner_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # The caller the key belongs to: keys of different callers never collide.
    owner_id: Mapped[uuid.UUID]
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class IdempotencyKeyReused(Unprocessable):
    code = "idempotency_key_reused"
    detail = "This Idempotency-Key was already used for a different request"

    def __init__(self) -> None:
        message = "Already used with another body or path; use a new key"
        super().__init__(errors=[{"field": "Idempotency-Key", "message": message}])


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"
    detail = "A request with this Idempotency-Key is still being processed; retry shortly"


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="Repeat a create safely: a retry with the same key replays the first response.",
    ),
]


def request_hash(method: str, path: str, payload: Any) -> str:
    """What makes two requests "the same": method, path and the JSON body, key order aside."""
    canonical = json.dumps([method, path, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _find(session: AsyncSession, owner_id: uuid.UUID, key: str) -> IdempotencyRecord | None:
    statement = select(IdempotencyRecord).where(
        IdempotencyRecord.owner_id == owner_id, IdempotencyRecord.key == key
    )
    return (await session.execute(statement)).scalars().first()


def _replay(record: IdempotencyRecord, digest: str) -> Response:
    if record.request_hash != digest:
        raise IdempotencyKeyReused
    if record.response_status is None:
        raise IdempotencyInProgress
    headers = dict(record.response_headers or {})
    headers[REPLAY_MARKER] = "true"
    return Response(
        content=(record.response_body or "").encode(),
        status_code=record.response_status,
        headers=headers,
    )


async def purge_expired(session: AsyncSession, *, now: dt.datetime | None = None) -> int:
    """Delete the keys past their expiry; returns how many. For a periodic job."""
    statement = delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= (now or utcnow()))
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


_CLAIMED = ("id", "owner_id", "key", "method", "path", "request_hash", "created_at", "expires_at")
_SAVED = ("response_status", "response_body", "response_headers")


_TABLE = cast(Table, IdempotencyRecord.__table__)


def _bound(column: str) -> Any:
    return bindparam(column, type_=_TABLE.c[column].type)


@functools.cache
def _claim_statement(dialect: str) -> Any:
    """Insert the claim; take over the key only if its row has expired. Returns the id
    of the row when the key is ours, nothing when another request holds it.

    Built once per engine with bound parameters: building it costs more than running it.
    """
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = _TABLE
    statement = insert(table).values({name: _bound(name) for name in _CLAIMED})
    takeover: dict[str, Any] = {name: statement.excluded[name] for name in _CLAIMED[1:]}
    takeover.update(dict.fromkeys(_SAVED))
    return statement.on_conflict_do_update(
        index_elements=[table.c.owner_id, table.c.key],
        set_=takeover,
        where=table.c.expires_at <= bindparam("now", type_=table.c.expires_at.type),
    ).returning(table.c.id)


_SAVE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("record_id", type_=_TABLE.c.id.type))
    .values({name: _bound(name) for name in _SAVED})
)


class Idempotency:
    """The `Idempotency-Key` of one request: claim it before the write, save the response after.

    Without the header both calls do nothing, so a router uses it unconditionally.
    A claim is one round trip (`INSERT ... ON CONFLICT`); only a key already held
    costs a second one, the SELECT that decides between a replay, a 409 and a 422.
    """

    def __init__(self, request: Request, session: AsyncSession, key: str | None = None) -> None:
        self.session = session
        self.key = key
        self.method = request.method
        self.path = request.url.path
        self.ttl = int(request.app.state.settings.IDEMPOTENCY_TTL)
        self._record_id: uuid.UUID | None = None

    async def claim(self, *, owner_id: uuid.UUID, payload: Any) -> Response | None:
        """None when the caller should go on; the first response when this is a retry."""
        if self.key is None:
            return None
        digest = request_hash(self.method, self.path, payload)
        now = utcnow()
        values = {
            "id": uuid.uuid4(),
            "owner_id": owner_id,
            "key": self.key,
            "method": self.method,
            "path": self.path[:500],
            "request_hash": digest,
            "created_at": now,
            "expires_at": now + dt.timedelta(seconds=self.ttl),
        }
        # A concurrent claim of the same key makes this wait for its transaction: when it
        # commits, the key is taken (replay below); when it rolls back, the key is ours.
        statement = _claim_statement(dialect_name(self.session))
        result = await self.session.execute(statement, {**values, "now": now})
        claimed = result.scalar_one_or_none()
        if claimed is not None:
            self._record_id = claimed
            return None
        existing = await _find(self.session, owner_id, self.key)
        if existing is None:
            raise IdempotencyInProgress
        return _replay(existing, digest)

    async def save(self, response: Response) -> None:
        """Keep `response` for the retries; written (and committed) with the write."""
        if self._record_id is None:
            return
        saved = {
            "record_id": self._record_id,
            "response_status": response.status_code,
            "response_body": bytes(response.body).decode(),
            "response_headers": {
                name: value for name in REPLAYED_HEADERS if (value := response.headers.get(name))
            },
        }
        await self.session.execute(_SAVE, saved)


async def idempotency(
    request: Request, session: SessionDep, key: IdempotencyKeyHeader = None
) -> Idempotency:
    """The dependency. A class given to `Depends` is built in a worker thread; this is not."""
    return Idempotency(request, session, key)


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
