"""Keyset pagination cursors for the API's lists: opaque to clients, stable under inserts."""

from __future__ import annotations

import base64
import json
from typing import Any

from portal.errors import ValidationFailed


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, size: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as exc:
        raise ValidationFailed("The cursor is not valid.", fields={"cursor": ["Use next_cursor as it was given."]}) from exc
    if not isinstance(values, list) or len(values) != size:
        raise ValidationFailed("The cursor is not valid.", fields={"cursor": ["Use next_cursor as it was given."]})
    return values
