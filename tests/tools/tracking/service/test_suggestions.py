"""Suggestions while typing, the admin's templates, and the templates a new store starts with."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Store
from backroom.accounts.service.stores import create_store
from backroom.core.audit import AuditEvent
from backroom.tools.tracking.models import TrackingSuggestion
from backroom.tools.tracking.templates import DEFAULT_TEMPLATES
from tests.tools.tracking.factories import count_rows, make_item, template_count

SEARCH = "/api/tracking/items/search"
ADMIN = "/api/tracking/admin/suggestions"
TEMPLATES = sum(len(names) for names in DEFAULT_TEMPLATES.values())


async def _suggest(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(SEARCH, params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"suggestions"}
    suggestions: list[dict[str, Any]] = response.json()["suggestions"]
    return suggestions


# --- Unhappy paths first ------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"q": "van"},
        {"q": "van", "category": "milk"},
        {"q": "van", "category": "syrups", "limit": 16},
        {"q": "van", "category": "syrups", "limit": 0},
        {"q": "x" * 101, "category": "syrups"},
    ],
)
async def test_bad_search_is_422(
    client: httpx.AsyncClient, as_staff: dict[str, str], query: dict[str, Any]
) -> None:
    response = await client.get(SEARCH, params=query, headers=as_staff)
    assert response.status_code == 422
    assert isinstance(response.json()["error"], str)


@pytest.mark.parametrize("q", [None, "", "v", "  v  ", "   "])
async def test_a_query_under_two_characters_suggests_nothing(
    client: httpx.AsyncClient, as_staff: dict[str, str], q: str | None
) -> None:
    params = {} if q is None else {"q": q}
    assert await _suggest(client, as_staff, **params) == []


@pytest.mark.parametrize(
    "body",
    [
        {"category": "syrups"},
        {"name": "Lavender Syrup"},
        {"name": "L", "category": "syrups"},
        {"name": "Lavender Syrup", "category": "milk"},
        {"name": "Lavender Syrup", "category": "syrups", "store_id": "x"},
    ],
)
async def test_bad_template_is_422_and_writes_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    as_admin: dict[str, str],
    body: dict[str, Any],
) -> None:
    response = await client.post(ADMIN, json=body, headers=as_admin)
    assert response.status_code == 422
    assert await template_count(session, store) == TEMPLATES


async def test_a_template_name_taken_in_any_case_is_409(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_admin: dict[str, str]
) -> None:
    response = await client.post(
        ADMIN, json={"name": " vanilla SYRUP ", "category": "syrups"}, headers=as_admin
    )
    assert response.status_code == 409
    assert response.json()["code"] == "tracking_suggestion_exists"
    assert await template_count(session, store) == TEMPLATES


async def test_another_stores_or_an_unknown_template_is_404(
    client: httpx.AsyncClient, session: AsyncSession, other_store: Store, as_admin: dict[str, str]
) -> None:
    statement = select(TrackingSuggestion.id).where(TrackingSuggestion.store_id == other_store.id)
    theirs = (await session.execute(statement.limit(1))).scalar_one()
    await session.commit()
    for bad in (str(theirs), "nope", "00000000-0000-0000-0000-000000000000"):
        missing = await client.delete(f"{ADMIN}/{bad}", headers=as_admin)
        assert missing.status_code == 404
        assert missing.json()["code"] == "tracking_suggestion_not_found"
    assert await template_count(session, other_store) == TEMPLATES


# --- Suggestions ------------------------------------------------------------------------------


async def test_existing_items_come_first_then_templates_without_duplicate_names(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    await make_item(session, store, code="0101", name="House Vanilla")
    await make_item(session, store, code="0102", name="VANILLA SYRUP")  # a template's name
    await make_item(session, store, code="0103", name="Vanilla Syrup")  # the same name again
    await make_item(session, store, code="0104", name="Vanilla Lids", category="lids")
    await make_item(session, store, code="0105", name="Old Vanilla", removed=True)
    found = await _suggest(client, as_staff, q=" vanil ", category="syrups", limit=15)
    assert found == [
        {"name": "Vanilla Syrup", "source": "existing", "code": "0103"},
        {"name": "House Vanilla", "source": "existing", "code": "0101"},
        {"name": "Sugar-Free Vanilla Syrup", "source": "template"},
    ]


async def test_prefix_matches_rank_before_other_matches(
    client: httpx.AsyncClient, as_staff: dict[str, str]
) -> None:
    found = await _suggest(client, as_staff, q="va", category="syrups")
    assert [s["name"] for s in found] == ["Vanilla Syrup", "Sugar-Free Vanilla Syrup"]
    # No prefix match at all: shorter names first.
    found = await _suggest(client, as_staff, q="LIDS", category="lids")
    assert found == [
        {"name": name, "source": "template"}
        for name in ("Sip Lids", "Dome Lids", "Hot Cup Lids", "Cold Cup Lids", "Strawless Lids")
    ]
    assert len(await _suggest(client, as_staff, q="sy", category="syrups", limit=3)) == 3


async def test_percent_underscore_and_backslash_are_literal(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    await make_item(session, store, code="0201", name="100% Cane Syrup")
    await make_item(session, store, code="0202", name="Syrup_Two")
    await make_item(session, store, code="0203", name="Back\\slash Syrup")
    await make_item(session, store, code="0204", name="1000 Syrup")
    assert [s["code"] for s in await _suggest(client, as_staff, q="0%", category="syrups")] == [
        "0201"
    ]
    assert [s["code"] for s in await _suggest(client, as_staff, q="p_t", category="syrups")] == [
        "0202"
    ]
    assert [s["code"] for s in await _suggest(client, as_staff, q="k\\s", category="syrups")] == [
        "0203"
    ]
    assert await _suggest(client, as_staff, q="%%", category="syrups") == []


async def test_the_default_limit_is_eight(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    for n in range(12):
        await make_item(session, store, code=f"03{n:02d}", name=f"Box {n:02d}", category="other")
    found = await _suggest(client, as_staff, q="box", category="other")
    assert [s["code"] for s in found] == [f"03{n:02d}" for n in range(8)]


# --- Templates --------------------------------------------------------------------------------


async def test_a_store_made_by_the_service_gets_the_default_templates(
    session: AsyncSession,
) -> None:
    store = await create_store(session, "Fresh Store", "America/Los_Angeles")
    await session.commit()
    assert await template_count(session, store) == TEMPLATES
    assert 45 <= TEMPLATES <= 60
    assert {category.value for category in DEFAULT_TEMPLATES} == {
        "syrups", "sauces", "coffee_beans", "powders", "cups", "lids",
        "condiments", "cleaning_supplies", "other",
    }  # fmt: skip


async def test_admin_lists_creates_and_deletes_templates_with_audit_events(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_admin: dict[str, str]
) -> None:
    lids = (await client.get(ADMIN, params={"category": "lids"}, headers=as_admin)).json()
    assert [row["name"] for row in lids["suggestions"]] == sorted(
        DEFAULT_TEMPLATES["lids"], key=str.casefold
    )
    assert lids["count"] == len(DEFAULT_TEMPLATES["lids"])

    created = await client.post(
        ADMIN, json={"name": "  Lavender Syrup ", "category": "Syrups"}, headers=as_admin
    )
    assert created.status_code == 201
    suggestion = created.json()["suggestion"]
    assert (suggestion["name"], suggestion["category"]) == ("Lavender Syrup", "syrups")
    assert created.json()["message"] == "Suggestion added"
    assert created.headers["location"] == f"/api/tracking/admin/suggestions/{suggestion['id']}"
    found = await client.get(SEARCH, params={"q": "laven", "category": "syrups"}, headers=as_admin)
    assert found.json() == {"suggestions": [{"name": "Lavender Syrup", "source": "template"}]}

    deleted = await client.delete(f"{ADMIN}/{suggestion['id']}", headers=as_admin)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert await template_count(session, store) == TEMPLATES
    again = await client.delete(f"{ADMIN}/{suggestion['id']}", headers=as_admin)
    assert again.status_code == 404

    assert (
        await count_rows(session, AuditEvent, store_id=store.id, target_type="tracking_suggestion")
        == 2
    )
    assert await count_rows(session, TrackingSuggestion, store_id=store.id) == TEMPLATES
