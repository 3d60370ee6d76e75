"""API schemas for accounts."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from portal.auth import recovery


class TokenRequestSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)
    otp = fields.String(load_default=None, allow_none=True, load_only=True,
                        validate=validate.Regexp(rf"^(?:[0-9]{{6,8}}|{recovery.PATTERN})$"),
                        metadata={"description": "For accounts with two-step sign-in (every fund administrator): "
                                                 "the code their authenticator app shows now (TOTP, 30 s, 6 digits), "
                                                 "or one of their recovery codes (`xxxx-xxxx-xxxx`). Each works once. "
                                                 "Without a valid one the answer is 401 `otp_required`."})


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
    """``code``, ``message`` and ``fields`` are always there; some errors add detail, e.g.
    ``reasons`` (eligibility), ``from_status``/``to_status`` (an illegal transition) or ``lines`` (a CSV import)."""

    class Meta:
        unknown = INCLUDE

    code = fields.String(required=True)
    message = fields.String(required=True)
    reasons = fields.List(fields.Dict(), metadata={"description": "Eligibility: every failed condition, {code, message}."})
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True)


class ApiErrorSchema(Schema):
    """Every error of the API: {"error": {code, message, fields}}."""

    error = fields.Nested(ApiErrorBodySchema, required=True)
