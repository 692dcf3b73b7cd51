"""Full-text search over audit events: one condition, built for the engine in use.

The searchable text of an event is its target label, its actor's name and the string
and number values of its details (not their keys, which every event shares).

Query syntax is PostgreSQL's `websearch_to_tsquery`: words must all match, `"quoted
words"` must follow each other, `-word` must not match, `or` between words offers
alternatives. Every word also matches as a prefix, so "vani" finds "Vanilla".

- PostgreSQL: `websearch_to_tsquery` parses the query; each lexeme is then made a
  prefix (`:*`) and the result matched against the expression of the GIN index
  `ix_audit_event_search` (the same expression, so the planner uses the index; the
  index also holds the store, so only the caller's store's matches are read).
- SQLite: the same syntax is parsed here and written as an FTS5 query over the
  `audit_event_fts` table that triggers keep in step with the audit table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Text, cast, false, func, literal_column, or_, select

from backroom.tools.activity.models import FTS_TABLE, AuditEvent, audit_event_fts

# The expression of the GIN index (a frozen copy lives in the migration).
POSTGRES_DOCUMENT = (
    "(to_tsvector('simple', coalesce(audit_event.target_label, '') || ' ' || "
    "coalesce(audit_event.actor_name, '')) || "
    "jsonb_to_tsvector('simple', audit_event.details::jsonb, '[\"string\", \"numeric\"]'))"
)
_SIMPLE: ColumnElement[str] = literal_column("'simple'")
# A lexeme in the text of a tsquery ends with a quote; `:*` after it makes it a prefix.
_LEXEME_END: ColumnElement[str] = literal_column(r"'''(\s|\)|$)'")
_AS_PREFIX: ColumnElement[str] = literal_column(r"''':*\1'")
_FTS_COLUMNS = "{target_label actor_name details}"

_TOKEN = re.compile(r"[^\W_]+")
_PIECE = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass
class _Group:
    """Terms that must all match (`wanted`) and terms that must not (`unwanted`)."""

    wanted: list[list[str]] = field(default_factory=list)
    unwanted: list[list[str]] = field(default_factory=list)


def parse(query: str) -> list[_Group]:
    """The query as alternatives (split at `or`), each a list of words and phrases.

    A term is a list of tokens (a phrase when it has several); punctuation separates
    tokens as the engines' tokenizers do. Terms without any token are dropped.
    """
    groups = [_Group()]
    for match in _PIECE.finditer(query):
        negated, quoted, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None and bare.lower() == "or":
            if groups[-1].wanted or groups[-1].unwanted:
                groups.append(_Group())
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negated, bare = "-", bare[1:]
        tokens = _TOKEN.findall((quoted if quoted is not None else bare) or "")
        if tokens:
            (groups[-1].unwanted if negated else groups[-1].wanted).append(tokens)
    return [group for group in groups if group.wanted or group.unwanted]


def _fts_term(tokens: list[str]) -> str:
    # Tokens are letters and digits only, so quoting them needs no escaping.
    return '"' + " ".join(tokens) + '" *'


def _fts_either(terms: list[list[str]]) -> str:
    return " OR ".join(_fts_term(term) for term in terms)


def _fts_matches(expression: str) -> ColumnElement[bool]:
    matching = select(audit_event_fts.c.event_id).where(
        literal_column(FTS_TABLE).bool_op("MATCH")(f"{_FTS_COLUMNS} : ({expression})")
    )
    return AuditEvent.id.in_(matching)


def _sqlite_group(group: _Group) -> ColumnElement[bool]:
    if not group.wanted:
        # FTS5 has no "everything but": keep the events that match none of the terms.
        return ~_fts_matches(_fts_either(group.unwanted))
    expression = " AND ".join(_fts_term(term) for term in group.wanted)
    for term in group.unwanted:
        expression = f"({expression}) NOT {_fts_term(term)}"
    return _fts_matches(expression)


def matches(dialect: str, query: str) -> ColumnElement[bool]:
    """The condition "the event matches `query`"; a query without words matches nothing."""
    groups = parse(query)
    if not groups:
        return false()
    if dialect == "postgresql":
        parsed = cast(func.websearch_to_tsquery(_SIMPLE, query), Text)
        prefixed = func.regexp_replace(parsed, _LEXEME_END, _AS_PREFIX, literal_column("'g'"))
        return literal_column(POSTGRES_DOCUMENT).bool_op("@@")(func.to_tsquery(_SIMPLE, prefixed))
    return or_(*(_sqlite_group(group) for group in groups))
