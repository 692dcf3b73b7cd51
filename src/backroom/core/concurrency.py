"""Optimistic concurrency: the `If-Match` header of PUT, PATCH and DELETE (API.md §1).

A resource with a `version` sends it as `ETag: "<version>"`; a client that cares sends
it back in `If-Match` and the write is refused with 412 if the row has moved on. A
domain declares the dependency once with its own 412 error:

    IfMatch = Annotated[frozenset[int] | None, Depends(if_match(TaskChanged))]

and its service compares the row's version with the set (None: no precondition).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Header

from backroom.core.errors import PreconditionFailed, Unprocessable

_ENTITY_TAG = re.compile(r'^\s*(?:W/)?"(\d{1,18})"\s*$')
# What OpenAPI documents; the parser below is the authority (it also trims tabs).
IF_MATCH_PATTERN = r'^ *(\*|(W/)?"[0-9]{1,18}"( *, *(W/)?"[0-9]{1,18}")*) *$'


class UnreadableIfMatch(Unprocessable):
    """An `If-Match` that is neither `*` nor version tags, for domains that read it raw."""

    code = "invalid_if_match"
    detail = 'If-Match must be "*" or a list of version ETags such as "3"'

    def __init__(self) -> None:
        super().__init__(errors=[{"field": "If-Match", "message": "Not a version ETag"}])


def parse_if_match(value: str | None) -> frozenset[int] | None:
    """The versions an `If-Match` value accepts; None when absent or `*`.

    Raises ValueError for anything else that is not a list of numeric entity tags.
    """
    if value is None or value.strip() == "*":
        return None
    versions = set()
    for part in value.split(","):
        match = _ENTITY_TAG.match(part)
        if match is None:
            raise ValueError("If-Match is not a list of version entity tags")
        versions.add(int(match.group(1)))
    return frozenset(versions)


def if_match(
    stale: type[PreconditionFailed],
) -> Callable[[str | None], Awaitable[frozenset[int] | None]]:
    """A dependency reading `If-Match`; an unreadable value is refused with `stale` (412).

    It is `async` so FastAPI calls it on the event loop instead of in a worker thread.
    """

    async def expected_versions(
        if_match: Annotated[
            str | None,
            Header(
                alias="If-Match",
                description=(
                    'The ETag you read (`"3"`); the write is refused with 412 if it changed.'
                ),
                json_schema_extra={"pattern": IF_MATCH_PATTERN},
            ),
        ] = None,
    ) -> frozenset[int] | None:
        """The versions `If-Match` accepts; None when absent or `*`. Unreadable -> 412."""
        try:
            return parse_if_match(if_match)
        except ValueError:
            raise stale from None

    return expected_versions
