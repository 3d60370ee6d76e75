from __future__ import annotations

from marshmallow import Schema, fields, validate

from portal.schema_fields import ListQuerySchema, QueryId


class AuditQuerySchema(ListQuerySchema):
    object_type = fields.String(load_default=None, validate=validate.Regexp(r"^[a-z_]{1,50}$"))
    object_id = QueryId(load_default=None)
    actor_id = QueryId(load_default=None, metadata={"description": "The person who acted (a user id)."})


class AuditEntrySchema(Schema):
    id = fields.Integer(required=True)
    recorded_at = fields.DateTime(format="iso", required=True, attribute="at")
    actor_id = fields.Integer(allow_none=True)
    on_behalf_of = fields.String(allow_none=True)
    object_type = fields.String(required=True)
    object_id = fields.Integer(required=True)
    action = fields.String(required=True)
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
