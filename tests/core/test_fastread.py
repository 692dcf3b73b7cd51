"""The fast read path writes exactly what the response schema would."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Literal

import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import select

from backroom.core.fastread import (
    JSON_MEDIA_TYPE,
    RowEncoder,
    StringList,
    aggregated_strings,
    dialect_name,
    json_response,
)
from backroom.tools.tasks.models import Task, TaskTag
from backroom.tools.tasks.schemas import TaskRead


class Thing(BaseModel):
    id: int
    owner: uuid.UUID
    kind: Literal["a", "b"]
    note: str | None
    seen_at: dt.datetime
    done_at: dt.datetime | None
    labels: list[str]


THING = {
    "id": 7,
    "owner": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "kind": "b",
    "note": None,
    "seen_at": dt.datetime(2026, 11, 27, 5, 50, 1, 250000, tzinfo=dt.UTC),
    "done_at": None,
    "labels": ["x", "Ä"],
}


def test_a_row_dumps_as_the_schema_dumps() -> None:
    encoder = RowEncoder(Thing)
    assert encoder.one(THING) == Thing(**THING).model_dump_json().encode()
    assert json.loads(encoder.one(THING))["seen_at"] == "2026-11-27T05:50:01.250000Z"


def test_a_page_is_a_json_array_of_rows_and_extra_keys_stay_out() -> None:
    encoder = RowEncoder(Thing)
    second = {**THING, "id": 8, "note": "n", "done_at": THING["seen_at"], "sort_key": "x"}
    page = json.loads(encoder.many([THING, second]))
    assert [item["id"] for item in page] == [7, 8]
    assert set(page[1]) == set(Thing.model_fields)
    assert page[1]["done_at"] == "2026-11-27T05:50:01.250000Z"
    assert encoder.many([]) == b"[]"


def test_the_task_encoder_has_the_task_schemas_fields() -> None:
    assert RowEncoder(TaskRead).fields == tuple(TaskRead.model_fields)


def test_json_response_carries_the_bytes_and_the_media_type() -> None:
    response = json_response(b'{"a":1}', status_code=201, headers={"ETag": '"3"'})
    assert response.body == b'{"a":1}'
    assert response.status_code == 201
    assert response.headers["content-type"] == JSON_MEDIA_TYPE
    assert response.headers["etag"] == '"3"'


@pytest.mark.parametrize(
    ("stored", "expected"),
    [(None, []), ("[]", []), ('["b","a"]', ["b", "a"]), (["b", "a"], ["b", "a"])],
)
def test_string_list_reads_both_engines_results(stored: object, expected: list[str]) -> None:
    assert StringList().process_result_value(stored, None) == expected  # type: ignore[arg-type]


async def test_aggregated_strings_keeps_the_order_and_gives_an_empty_list(app: FastAPI) -> None:
    from tests.factories import make_user
    from tests.tools.tasks.factories import make_tasks

    async with app.state.db.sessionmaker() as session:
        user = await make_user(session)
        tagged, bare = await make_tasks(
            session, user, [{"tags": ["zebra", "Apple", "mango"]}, {"tags": []}]
        )
        tags = aggregated_strings(
            dialect_name(session),
            TaskTag.name,
            order_by=TaskTag.position,
            where=TaskTag.task_id == Task.id,
            parent=Task,
        )
        rows = (await session.execute(select(Task.id, tags).order_by(Task.id))).all()
    assert [tuple(row) for row in rows] == [(tagged.id, ["zebra", "Apple", "mango"]), (bare.id, [])]
