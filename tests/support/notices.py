"""Reading what the portal told people, as they would read it."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.mail import OutboxMessage
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


def told_exactly(app: Flask, session: Session, kind: str, recipients: list[User]) -> list[Rendered]:
    """Every notice of ``kind`` went to exactly ``recipients``, once each (a person named twice: twice), in the portal
    and queued by e-mail, and
    reads in each recipient's own language with every parameter filled in and a page to open. Returns the words,
    in the order of ``recipients``.

    tests/portal/test_notice_kinds.py checks that every kind of the catalogue is pinned by a call of this."""
    notices = list(session.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)))
    assert sorted(notice.user_id for notice in notices) == sorted(user.id for user in recipients), kind
    by_user: dict[int, list[Notification]] = {}
    for notice in notices:
        by_user.setdefault(notice.user_id, []).append(notice)
    shown = []
    for user in recipients:  # a person named twice had two notices (about two things), in the order they came
        notice = by_user[user.id].pop(0)
        rendered = words(app, session, notice)
        assert "%(" not in rendered.title + rendered.body, rendered
        assert rendered.link.startswith("/"), rendered
        if user.language != "en":
            with app.app_context():
                english = render(notice, "en")
            assert rendered.title != english.title, f"{kind} is not translated into {user.language}"
        mails = session.scalars(select(OutboxMessage).where(OutboxMessage.notification_id == notice.id)).all()
        assert [mail.recipient for mail in mails] == [user.email], f"{kind}: one e-mail to {user.email}"
        shown.append(rendered)
    return shown
