"""API schemas for accounts."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class TokenRequestSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class TokenSchema(Schema):
    token = fields.String(required=True)
    expires_at = fields.DateTime(required=True, format="iso")


class MeSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    role = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    language = fields.String()
    confirmed = fields.Boolean(attribute="is_confirmed")
    provider_id = fields.Integer(allow_none=True)
    employer_id = fields.Integer(allow_none=True)


class ApiErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class ApiErrorSchema(Schema):
    """Every error of the API: {"error": {code, message, fields}}."""

    error = fields.Nested(ApiErrorBodySchema, required=True)
