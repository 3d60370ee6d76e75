"""Field helpers shared by the API schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

# Ids are 32-bit integers in the database; anything larger is a clean 422, never an overflow.
MAX_ID = 2**31 - 1


def Id(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def QueryId(**kwargs: Any) -> fields.Integer:
    """An id in a query string: text, so not strict like ``Id``, but as bounded ("3" is 3; "²" is no number)."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def id_from_text(text: str) -> int | None:
    """An id typed as text (a query string, a form field): ASCII digits from 1 to ``MAX_ID``, else None.

    Not ``str.isdigit()`` alone: "²" is a digit to it but no number to ``int()``, and ``int()`` refuses
    a number of more than 4,300 digits."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def Count(maximum: int = 10_000, **kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=maximum), **kwargs)


def Cents(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=10**11), **kwargs)


class ListQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


#: The security requirement of every API route that needs a bearer token (OpenAPI).
BEARER = [{"bearerAuth": []}]
