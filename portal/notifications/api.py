from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint

from portal.api_views import endpoint
from portal.clock import utcnow
from portal.db import db
from portal.notifications import services
from portal.notifications.models import Notification
from portal.notifications.schemas import (
    NotificationPageSchema,
    NotificationQuerySchema,
    NotificationSchema,
)
from portal.pagination import decode_id_cursor, id_page

blp = Blueprint("notifications_api", __name__, description="Each person's notifications (also sent by e-mail)")


@endpoint(blp, "/notifications", query=NotificationQuerySchema, response=(200, NotificationPageSchema))
def list_notifications(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The caller's notifications, newest first; `unread=true` for the unread ones only."""
    limit = query["limit"]
    rows = services.notifications_of(db.session, current_user.id, unread_only=query["unread"], limit=limit + 1,
                                     before_id=decode_id_cursor(query["cursor"]))
    page, next_cursor = id_page(rows, limit)
    return {"items": [_shown(notice) for notice in page], "next_cursor": next_cursor,
            "unread_count": services.unread_count(db.session, current_user.id)}


@endpoint(blp, "/notifications/<int:notification_id>/read", method="POST", response=(200, NotificationSchema),
          refusals={404: "No such notification, or not the caller's."})
def mark_read(notification_id: int):  # type: ignore[no-untyped-def]
    """Mark one notification read (again: no change, the first time it was read is kept)."""
    notice = services.mark_read(db.session, current_user.id, notification_id, now=utcnow())
    if notice is None:
        abort(404)
    return _shown(notice)


def _shown(notice: Notification) -> dict[str, Any]:
    """In the language of the caller's account (their e-mail language)."""
    words = services.render(notice, current_user.language)
    return {"id": notice.id, "kind": notice.kind, "title": words.title, "body": words.body, "link": words.link,
            "object_type": notice.object_type, "object_id": notice.object_id, "created_at": notice.created_at,
            "read_at": notice.read_at}
