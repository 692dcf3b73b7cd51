"""A small generic base for repositories. Domain repositories add their own queries.

Owner scoping is not optional: domain repositories take the owner (user or store)
as an argument of every query of owned rows, so a row of someone else reads the
same as a missing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.core.db import Base

M = TypeVar("M", bound=Base)


def escape_like(text: str) -> str:
    """`text` for a LIKE pattern with `ESCAPE '\\'`: `%`, `_` and `\\` stand for themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Repository(Generic[M]):
    model: ClassVar[type[Any]]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, ident: Any) -> M | None:
        row: M | None = await self.session.get(self.model, ident)
        return row

    async def add(self, row: M) -> M:
        self.session.add(row)
        await self.session.flush()
        return row

    async def delete(self, row: M) -> None:
        await self.session.delete(row)
        await self.session.flush()

    async def one_or_none(self, statement: Select[M]) -> M | None:
        result = await self.session.execute(statement)
        return result.scalars().first()

    async def all(self, statement: Select[M]) -> Sequence[M]:
        result = await self.session.execute(statement)
        return result.scalars().all()

    async def count(self, statement: Select[Any]) -> int:
        counted = select(func.count()).select_from(statement.order_by(None).subquery())
        return int((await self.session.execute(counted)).scalar_one())

    async def page(
        self, statement: Select[M], *, limit: int, offset: int
    ) -> tuple[Sequence[M], int]:
        """One page of rows and the total count of the unpaged query."""
        rows = await self.all(statement.limit(limit).offset(offset))
        if offset == 0 and len(rows) < limit:
            return rows, len(rows)
        return rows, await self.count(statement)
