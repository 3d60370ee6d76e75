from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint

from portal.clock import utcnow
from portal.db import db
from portal.mail import commit
from portal.notifications import services
from portal.notifications.models import Notification
from portal.notifications.schemas import (
    NotificationPageSchema,
    NotificationQuerySchema,
    NotificationSchema,
)
from portal.pagination import decode_id_cursor, id_page
from portal.permissions import api_access
from portal.schema_fields import BEARER

blp = Blueprint("notifications_api", __name__, description="Each person's notifications (also sent by e-mail)")


@blp.route("/notifications", methods=["GET"])
@api_access()
@blp.arguments(NotificationQuerySchema, location="query")
@blp.response(200, NotificationPageSchema)
@blp.doc(security=BEARER)
def list_notifications(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The caller's notifications, newest first; `unread=true` for the unread ones only."""
    limit = query["limit"]
    rows = services.notifications_of(db.session, current_user.id, unread_only=query["unread"], limit=limit + 1,
                                     before_id=decode_id_cursor(query["cursor"]))
    page, next_cursor = id_page(rows, limit)
    return {"items": [_shown(notice) for notice in page], "next_cursor": next_cursor,
            "unread_count": services.unread_count(db.session, current_user.id)}


@blp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@api_access()
@blp.response(200, NotificationSchema)
@blp.alt_response(404, description="No such notification, or not the caller's.")
@blp.doc(security=BEARER)
def mark_read(notification_id: int):  # type: ignore[no-untyped-def]
    """Mark one notification read (again: no change, the first time it was read is kept)."""
    notice = services.mark_read(db.session, current_user.id, notification_id, now=utcnow())
    if notice is None:
        abort(404)
    commit()
    return _shown(notice)


def _shown(notice: Notification) -> dict[str, Any]:
    """In the language of the caller's account (their e-mail language)."""
    words = services.render(notice, current_user.language)
    return {"id": notice.id, "kind": notice.kind, "title": words.title, "body": words.body, "link": words.link,
            "object_type": notice.object_type, "object_id": notice.object_id, "created_at": notice.created_at,
            "read_at": notice.read_at}
