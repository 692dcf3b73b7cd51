"""Log configuration: one line per event, text or JSON, with the request id."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from backroom.core.config import Settings

# Attributes every LogRecord has; anything else was passed through `extra=`.
# (Uvicorn adds `color_message`, the message with terminal colour codes.)
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update(
            {key: value for key, value in record.__dict__.items() if key not in _STANDARD}
        )
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [{request_id}]" if request_id else line


# Uvicorn logs through these two (`uvicorn.error` propagates to `uvicorn`). Its access
# log is off (the app writes its own): uvicorn writes it whenever `uvicorn.access` has
# a handler, so only `backroom serve`'s configuration names that one.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.access")
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def _formatter(settings: Settings) -> logging.Formatter:
    if settings.LOG_FORMAT == "json":
        return JSONFormatter()
    return TextFormatter(_TEXT_FORMAT)


def configure_logging(settings: Settings) -> None:
    """Backroom's loggers and uvicorn's, one format, on stderr.

    Uvicorn's own lines (start, stop, a malformed request) take the same format, so
    that with `LOG_FORMAT=json` a log shipper reads every line as JSON.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_formatter(settings))
    root = logging.getLogger("backroom")
    root.setLevel(settings.LOG_LEVEL.upper())
    for name in ("backroom", "uvicorn"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False


def uvicorn_log_config(settings: Settings) -> dict[str, Any]:
    """`uvicorn.run(log_config=...)`: the same format in every process uvicorn starts.

    The app configures its loggers when it is created, but with several workers the
    supervising process logs too and never creates the app; and warnings of other
    libraries reach the root logger, which only `backroom serve` may take over.
    """
    json_format = settings.LOG_FORMAT == "json"
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JSONFormatter"}
        if json_format
        else {"()": f"{__name__}.TextFormatter", "fmt": _TEXT_FORMAT}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "backroom",
        "stream": "ext://sys.stderr",
    }
    level = settings.LOG_LEVEL.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"backroom": formatter},
        "handlers": {"stderr": handler},
        "loggers": {
            name: {"handlers": ["stderr"], "level": level, "propagate": False}
            for name in UVICORN_LOGGERS
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }


def log_line(settings: Settings, message: str) -> str:
    """One message as the configured format writes it, for what a command prints itself."""
    if settings.LOG_FORMAT != "json":
        return message
    record = logging.makeLogRecord({"name": "backroom.serve", "levelname": "INFO", "msg": message})
    return JSONFormatter().format(record)
