"""`If-Match` on its own: the parser, and the dependency on a route of the real app."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from backroom.core.concurrency import if_match, parse_if_match
from backroom.core.errors import PreconditionFailed


class ThingChanged(PreconditionFailed):
    code = "thing_changed"
    detail = "The thing has changed since you read it"


ThingIfMatch = Annotated[frozenset[int] | None, Depends(if_match(ThingChanged))]


@pytest.mark.parametrize(
    "value",
    ["3", '"3', "W/3", '"three"', '"-1"', '"1" "2"', '"1",', "", '"' + "9" * 19 + '"', '"1", *'],
)
def test_anything_but_numeric_entity_tags_is_unreadable(value: str) -> None:
    with pytest.raises(ValueError, match="If-Match"):
        parse_if_match(value)


@pytest.mark.parametrize(
    ("value", "versions"),
    [
        ('"3"', {3}),
        ('W/"3"', {3}),
        (' "1" ,\tW/"2", "1" ', {1, 2}),
        ('"' + "9" * 18 + '"', {10**18 - 1}),
    ],
)
def test_entity_tags_give_the_versions_they_accept(value: str, versions: set[int]) -> None:
    assert parse_if_match(value) == frozenset(versions)


@pytest.mark.parametrize("value", [None, "*", "  *  "])
def test_absent_or_star_sets_no_precondition(value: str | None) -> None:
    assert parse_if_match(value) is None


@pytest.fixture
def routes(app: FastAPI) -> FastAPI:
    @app.put("/test/things")
    async def put_thing(versions: ThingIfMatch) -> list[int] | None:
        return sorted(versions) if versions is not None else None

    return app


async def test_an_unreadable_header_is_the_domains_412(
    routes: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await client.put("/test/things", headers={"If-Match": "3"})
    assert response.status_code == 412
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "thing_changed"


async def test_the_route_receives_the_versions(routes: FastAPI, client: httpx.AsyncClient) -> None:
    assert (await client.put("/test/things", headers={"If-Match": '"2", "1"'})).json() == [1, 2]
    assert (await client.put("/test/things")).json() is None
