"""Name suggestions while typing, and the per-store templates admins manage."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.deps import StoreCaller
from backroom.accounts.models import Store
from backroom.core.audit import AuditAction, record
from backroom.core.db import utcnow
from backroom.tools.tracking.errors import SuggestionExists
from backroom.tools.tracking.models import TrackingSuggestion, fold
from backroom.tools.tracking.repository import ItemRepository, SuggestionRepository
from backroom.tools.tracking.schemas import ExistingSuggestion, TemplateCreate, TemplateSuggestion
from backroom.tools.tracking.templates import DEFAULT_TEMPLATES

QUERY_MIN = 2


async def suggest(
    session: AsyncSession, store_id: uuid.UUID, category: str, text: str, *, limit: int
) -> list[ExistingSuggestion | TemplateSuggestion]:
    """Active items of the category whose name contains `text`, then templates; one per name."""
    seen: set[str] = set()
    found: list[ExistingSuggestion | TemplateSuggestion] = []
    # Fetch more than asked: several items may share a name, and templates repeat items.
    existing = await ItemRepository(session).search_names(store_id, category, text, limit=limit * 4)
    for name, code in existing:
        if fold(name) not in seen:
            seen.add(fold(name))
            found.append(ExistingSuggestion(name=name, code=code))
    templates = await SuggestionRepository(session).search_names(
        store_id, category, text, limit=limit + len(seen)
    )
    for name in templates:
        if fold(name) not in seen:
            seen.add(fold(name))
            found.append(TemplateSuggestion(name=name))
    return found[:limit]


async def seed_templates(session: AsyncSession, store: Store) -> None:
    """Give a new store the default templates (a store set-up hook)."""
    await SuggestionRepository(session).add_many(
        store.id,
        ((category.value, name) for category, names in DEFAULT_TEMPLATES.items() for name in names),
    )


async def list_templates(
    session: AsyncSession, store_id: uuid.UUID, category: str | None
) -> Sequence[TrackingSuggestion]:
    return await SuggestionRepository(session).list_for_store(store_id, category)


async def _audit(
    session: AsyncSession, action: AuditAction, caller: StoreCaller, row: TrackingSuggestion
) -> None:
    await record(
        session,
        action,
        actor=caller.actor,
        target_type="tracking_suggestion",
        target_id=row.id,
        target_label=row.name,
        details={"category": row.category, "name": row.name},
        store_id=caller.store_id,
    )


async def create_template(
    session: AsyncSession, caller: StoreCaller, data: TemplateCreate
) -> TrackingSuggestion:
    """Add a template; 409 when the category has one with that name in any letter case."""
    templates = SuggestionRepository(session)
    if await templates.by_name(caller.store_id, data.category, data.name) is not None:
        raise SuggestionExists
    now = utcnow()
    row = TrackingSuggestion(
        id=uuid.uuid4(),
        store_id=caller.store_id,
        category=data.category,
        name=data.name,
        name_key=fold(data.name),
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise SuggestionExists from None
    await _audit(session, AuditAction.TRACKING_SUGGESTION_CREATED, caller, row)
    return row


async def delete_template(
    session: AsyncSession, caller: StoreCaller, row: TrackingSuggestion
) -> None:
    await _audit(session, AuditAction.TRACKING_SUGGESTION_DELETED, caller, row)
    await SuggestionRepository(session).delete(row)
