from __future__ import annotations

from marshmallow import Schema, fields

from portal.schema_fields import ListQuerySchema


class NotificationQuerySchema(ListQuerySchema):
    unread = fields.Boolean(load_default=False, metadata={"description": "Only the notifications not read yet."})


class NotificationSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "One of the notification kinds of API.md."})
    title = fields.String(required=True)
    body = fields.String(required=True)
    link = fields.String(required=True, metadata={"description": "The path of the page where the person acts."})
    object_type = fields.String(allow_none=True)
    object_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(format="iso", required=True)
    read_at = fields.DateTime(format="iso", allow_none=True)


class NotificationPageSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
    unread_count = fields.Integer(required=True, metadata={"description": "How many are not read yet, in all."})
