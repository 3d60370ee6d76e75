"""Notices to people, written in each person's language and queued once (dedupe keys)."""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.mail import queue_mail
from portal.permissions import Role


def notify_user(session: Session, user: User, *, key: str, subject: str, body: str, **params: Any) -> bool:
    """``subject``/``body`` are English msgids, translated into the user's language with ``params``."""
    with force_locale(user.language):
        queued = queue_mail(session, to=user.email, subject=_(subject, **params), body=_(body, **params),
                            user_id=user.id, dedupe_key=f"{key}:user-{user.id}")
    return queued is not None


def fund_admins(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.role == Role.FUND_ADMIN, User.active.is_(True))))


def provider_admins(session: Session, provider_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.role == Role.PROVIDER_ADMIN, User.active.is_(True),
                                                   User.provider_id == provider_id)))
