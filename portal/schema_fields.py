"""Field helpers shared by the API schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

# Ids are 32-bit integers in the database; anything larger is a clean 422, never an overflow.
MAX_ID = 2**31 - 1


def Id(**kwargs: Any) -> fields.Integer:  # noqa: N802 - reads like a field class
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def Count(maximum: int = 10_000, **kwargs: Any) -> fields.Integer:  # noqa: N802
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=maximum), **kwargs)


def Cents(**kwargs: Any) -> fields.Integer:  # noqa: N802
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=10**11), **kwargs)


class ListQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


#: The security requirement of every API route that needs a bearer token (OpenAPI).
BEARER = [{"bearerAuth": []}]
