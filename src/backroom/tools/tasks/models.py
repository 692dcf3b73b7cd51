"""Tables of the tasks tool."""

from __future__ import annotations
