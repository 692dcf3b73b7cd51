"""Setting values as operators write them: `15m`, `48h`, `2MiB`, `a, b`, `info`, `10/minute`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Annotated

from limits import parse as parse_rate
from pydantic import AfterValidator, BeforeValidator
from pydantic_settings import NoDecode

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZE = re.compile(r"^\s*(\d+)\s*(B|KiB|MiB|GiB)?\s*$")
_BYTES = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}
DURATION_HINT = "must be a duration such as 900, 2s, 15m, 48h or 30d"
SIZE_HINT = "must be a size such as 1048576, 512KiB or 2MiB"


def parse_seconds(value: object) -> float:
    """Seconds from `2.5`, `"900"`, `"500ms"`, `"2s"`, `"15m"`, `"48h"` or `"30d"`."""
    if isinstance(value, bool):
        raise ValueError(DURATION_HINT)
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError(DURATION_HINT)
    return float(match.group(1)) * _SECONDS[match.group(2) or "s"]


def parse_duration(value: object) -> int:
    """Whole seconds: like `parse_seconds`, refusing a fraction of a second."""
    seconds = parse_seconds(value)
    if not seconds.is_integer():
        raise ValueError(f"{DURATION_HINT} (whole seconds)")
    return int(seconds)


def _whole_units(unit: str) -> Callable[[object], int]:
    """A parser for a setting named in `unit` (`_MS`, `_MINUTES`, `_DAYS`): a plain number
    is in that unit, a number with a suffix is converted (`15s` as milliseconds is 15000)."""

    def parse(value: object) -> int:
        if isinstance(value, str):
            match = _DURATION.match(value)
            if match is not None and match.group(2) is not None:
                value = float(match.group(1)) * _SECONDS[match.group(2)] / _SECONDS[unit]
            elif match is not None:
                value = float(match.group(1))
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{DURATION_HINT} (a plain number counts in {_UNIT_NAMES[unit]})")
        if not float(value).is_integer():
            raise ValueError(f"{DURATION_HINT} (whole {_UNIT_NAMES[unit]})")
        return int(value)

    return parse


_UNIT_NAMES = {"ms": "milliseconds", "m": "minutes", "d": "days"}


def parse_size(value: object) -> int:
    """Bytes from `1048576`, `"512KiB"`, `"2MiB"` or `"1GiB"`."""
    if isinstance(value, bool):
        raise ValueError(SIZE_HINT)
    if isinstance(value, int):
        return value
    match = _SIZE.match(str(value))
    if match is None:
        raise ValueError(SIZE_HINT)
    return int(match.group(1)) * _BYTES[match.group(2) or "B"]


def _list(value: object) -> object:
    """A JSON list (`["a", "b"]`) or a comma list (`a, b`; one value is a list of one)."""
    if not isinstance(value, str):
        return value
    if value.lstrip().startswith("["):
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError("must be a comma-separated list or a JSON list") from None
    return [item.strip() for item in value.split(",") if item.strip()]


def _rate(value: str) -> str:
    try:
        parse_rate(value)
    except ValueError:
        raise ValueError("must be a rate such as 10/minute, 5/second or 100/hour") from None
    return value


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


Seconds = Annotated[int, BeforeValidator(parse_duration)]
Timeout = Annotated[float, BeforeValidator(parse_seconds)]
Bytes = Annotated[int, BeforeValidator(parse_size)]
Milliseconds = Annotated[int, BeforeValidator(_whole_units("ms"))]
Minutes = Annotated[int, BeforeValidator(_whole_units("m"))]
Days = Annotated[int, BeforeValidator(_whole_units("d"))]
# NoDecode: pydantic-settings would JSON-decode a list before any validator sees it.
StrList = Annotated[list[str], NoDecode, BeforeValidator(_list)]
Rate = Annotated[str, AfterValidator(_rate)]
Lower = BeforeValidator(_lower)
Upper = BeforeValidator(_upper)
