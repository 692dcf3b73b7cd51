"""Log configuration: text or JSON by LOG_FORMAT, one line per event."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from backroom.core.logging import JSONFormatter, TextFormatter, configure_logging
from tests.conftest import make_settings


@pytest.mark.parametrize(
    ("log_format", "formatter"), [("json", JSONFormatter), ("text", TextFormatter)]
)
def test_log_format_picks_the_formatter(
    database_url: str, data_dir: Path, log_format: str, formatter: type[logging.Formatter]
) -> None:
    configure_logging(make_settings(database_url, data_dir, LOG_FORMAT=log_format))
    [handler] = logging.getLogger("backroom").handlers
    assert type(handler.formatter) is formatter


def test_json_lines_carry_the_extra_fields_and_the_traceback_on_one_line() -> None:
    try:
        raise ValueError("boom")  # noqa: TRY301 - a real exception to format
    except ValueError as error:
        record = logging.makeLogRecord(
            {
                "name": "backroom.errors",
                "levelname": "ERROR",
                "msg": "unhandled error",
                "exc_info": (type(error), error, error.__traceback__),
                "request_id": "req-1",
            }
        )
    line = JSONFormatter().format(record)
    assert "\n" not in line
    payload = json.loads(line)
    assert payload["request_id"] == "req-1"
    assert payload["message"] == "unhandled error"
    assert "ValueError: boom" in payload["exception"]


def test_text_lines_end_with_the_request_id() -> None:
    record = logging.makeLogRecord({"msg": "GET /health 200 1.0ms", "request_id": "req-2"})
    assert TextFormatter("%(message)s").format(record) == "GET /health 200 1.0ms [req-2]"


def test_uvicorns_logger_shares_the_format_and_its_access_log_stays_off(
    database_url: str, data_dir: Path
) -> None:
    access = logging.getLogger("uvicorn.access")
    access_handlers = list(access.handlers)
    configure_logging(make_settings(database_url, data_dir, LOG_FORMAT="json"))
    [handler] = logging.getLogger("uvicorn").handlers
    assert type(handler.formatter) is JSONFormatter
    assert logging.getLogger("uvicorn").propagate is False
    # Uvicorn writes its access log whenever that logger has a handler.
    assert access.handlers == access_handlers


def test_uvicorn_colour_codes_stay_out_of_json_lines() -> None:
    record = logging.makeLogRecord(
        {"msg": "Started server process [1]", "color_message": "Started \x1b[36m1\x1b[0m"}
    )
    assert "color_message" not in json.loads(JSONFormatter().format(record))
