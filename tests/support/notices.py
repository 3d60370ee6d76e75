"""Reading what the portal told people, as they would read it."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.notifications.models import Notification
from portal.notifications.services import Rendered, render


def told(session: Session, user: User, kind: str | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(session.scalars(query.order_by(Notification.id)))


def words(app: Flask, session: Session, notice: Notification) -> Rendered:
    """The notice in its recipient's language, as shown and e-mailed."""
    user = session.get(User, notice.user_id)
    assert user is not None
    with app.app_context():
        return render(notice, user.language)
