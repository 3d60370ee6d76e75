"""Keyset pagination cursors for the API's lists: opaque to clients, stable under inserts."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from typing import Any, TypeVar

from portal.errors import ValidationFailed
from portal.schema_fields import MAX_ID

# The database's integer columns in cursors are 32-bit ids: a larger number is a 422, never an overflow.
MIN_INT, MAX_INT = -MAX_ID - 1, MAX_ID

T = TypeVar("T")


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def _invalid() -> ValidationFailed:
    return ValidationFailed("The cursor is not valid.", fields={"cursor": ["Use next_cursor as it was given."]})


def _in_range(value: Any) -> bool:
    """Numbers a cursor may hold: within the database's integer range (and finite)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return True
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return MIN_INT <= value <= MAX_INT


def decode_cursor(cursor: str | None, size: int) -> list[Any] | None:
    """The ``size`` values of a cursor made by ``encode_cursor``; a forged or damaged one is a 422,
    and so is any number in it outside the database's integer range."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as exc:
        raise _invalid() from exc
    if not isinstance(values, list) or len(values) != size or not all(_in_range(v) for v in values):
        raise _invalid()
    return values


def decode_id_cursor(cursor: str | None) -> int | None:
    """The one id of a cursor made by ``encode_cursor([id])``: an integer from 1 to ``MAX_ID``, else a 422."""
    values = decode_cursor(cursor, 1)
    if values is None:
        return None
    value = values[0]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise _invalid()
    return value


def id_page(rows: Sequence[T], limit: int) -> tuple[list[T], str | None]:
    """A page of a list read with ``limit + 1`` rows in id order, and the cursor of the next page (``None`` on the
    last): the extra row only tells that there is more."""
    page = list(rows[:limit])
    return page, encode_cursor([page[-1].id]) if len(rows) > limit else None  # type: ignore[attr-defined]
