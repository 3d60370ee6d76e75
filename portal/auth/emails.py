"""The account e-mails, written in the recipient's language."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from portal.auth import services
from portal.auth.models import User
from portal.mail import queue_mail


def _absolute(endpoint: str, **values: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def queue_confirmation(session: Session, user: User) -> None:
    token = services.make_confirmation_token(current_app.config["SECRET_KEY"], user)
    link = _absolute("auth.confirm", token=token)
    with force_locale(user.language):
        subject = _("Confirm your e-mail address")
        body = _(
            "Hello %(name)s,\n\nPlease confirm your e-mail address for the Return to Work Fund portal by opening this link:\n%(link)s\n\nIf you did not create an account, you can ignore this message.\n",
            name=user.display_name,
            link=link,
        )
    queue_mail(session, to=user.email, subject=subject, body=body, user_id=user.id)


def queue_password_reset(session: Session, user: User) -> None:
    token = services.make_reset_token(current_app.config["SECRET_KEY"], user)
    link = _absolute("auth.reset_password", token=token)
    minutes = current_app.config["RESET_TOKEN_MINUTES"]
    with force_locale(user.language):
        subject = _("Choose a new password")
        body = _(
            "Hello %(name)s,\n\nTo choose a new password, open this link within %(minutes)s minutes:\n%(link)s\n\nIf you did not ask for this, you can ignore this message: your password stays the same.\n",
            name=user.display_name,
            link=link,
            minutes=minutes,
        )
    queue_mail(session, to=user.email, subject=subject, body=body, user_id=user.id)
