"""Telling people: one notice per recipient, written in the same transaction as the change it reports.

A notice is a row the person sees in the portal, and an e-mail queued in the outbox beside it. Both hold
the facts (the kind and its parameters), not words: the words are rendered in the person's language when
the notice is shown or the e-mail sent, where an application is at hand. So telling needs only the
database session, and a rolled-back change tells nobody.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.i18n import local_datetime, long_date, money
from portal.mail import RENDERERS, OutboxMessage, queue_mail
from portal.notifications.kinds import KINDS, Kind
from portal.notifications.models import Notification, NotificationOptOut
from portal.permissions import Role
from portal.plain.reading import reading_plain, reads_plain


class Msg(str):
    """A parameter that is itself an English msgid, translated with the rest (e.g. an outcome)."""


@dataclass(frozen=True)
class Link:
    endpoint: str
    values: dict[str, Any]


def page(endpoint: str, **values: Any) -> Link:
    """The page where the person acts."""
    return Link(endpoint, values)


def encode_params(params: dict[str, Any]) -> str:
    """Parameters as JSON that keeps what must be shown in the reader's language: dates, instants, msgids."""
    encoded: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, datetime):
            encoded[name] = {"$at": value.isoformat()}
        elif isinstance(value, date):
            encoded[name] = {"$on": value.isoformat()}
        elif isinstance(value, Msg):
            encoded[name] = {"$msg": str(value)}
        elif value is None or isinstance(value, (bool, int, str)):
            encoded[name] = value
        else:
            encoded[name] = str(value)
    return json.dumps(encoded)


def _shown(params: str) -> dict[str, Any]:
    """The parameters as the reader reads them: called inside their locale."""
    shown: dict[str, Any] = {}
    for name, value in json.loads(params or "{}").items():
        if isinstance(value, dict) and "$at" in value:
            shown[name] = local_datetime(datetime.fromisoformat(value["$at"]))
        elif isinstance(value, dict) and "$on" in value:
            shown[name] = long_date(date.fromisoformat(value["$on"]))
        elif isinstance(value, dict) and "$msg" in value:
            shown[name] = _(value["$msg"])
        elif name.endswith("_cents") and isinstance(value, int):
            shown[name] = money(value)
        else:
            shown[name] = "" if value is None else value
    return shown


def notify(session: Session, recipients: Iterable[User | None], kind_name: str, *, link: Link,
           object_type: str | None = None, object_id: int | None = None, key: str | None = None,
           **params: Any) -> int:
    """Tell each recipient once (active accounts only; a person appearing twice is told once).

    ``key`` makes a notice idempotent per person (scheduled jobs run again). Returns how many were written.
    """
    kind = KINDS[kind_name]
    seen: set[int] = set()
    written = 0
    encoded, values = encode_params(params), json.dumps(link.values)
    for user in recipients:
        if user is None or user.id in seen or not user.active or user.anonymised_at is not None:
            continue
        seen.add(user.id)
        if not kind.always and session.get(NotificationOptOut, (user.id, kind.name)) is not None:
            continue
        dedupe_key = f"{key}:user-{user.id}" if key else None
        if dedupe_key and session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)):
            continue
        notice = Notification(user_id=user.id, kind=kind.name, params=encoded, link_endpoint=link.endpoint,
                              link_values=values, object_type=object_type, object_id=object_id,
                              dedupe_key=dedupe_key)
        session.add(notice)
        session.flush()
        queue_mail(session, to=user.email, subject="", body="", user_id=user.id, dedupe_key=dedupe_key,
                   notification_id=notice.id)
        written += 1
    return written


@dataclass(frozen=True)
class Notice:
    """One ``notify`` call, for ``notify_many``; ``key`` is required (one notice per key and person)."""

    recipients: tuple[User, ...]
    kind_name: str
    link: Link
    object_type: str | None
    object_id: int | None
    params: dict[str, Any]
    key: str


def notify_many(session: Session, notices: Iterable[Notice], *, send_now: bool = False) -> int:
    """What ``notify`` does for each notice, with a fixed number of statements however many there are: a statement's
    import tells thousands of payments at once. The notices and their e-mails are inserted as batches (no ids read
    back: each e-mail finds its notice by the notice's key). The e-mails are left to the outbox job of the scheduler
    (too many to send within one request), unless ``send_now`` (a person's action telling a few): then the request
    sends them after its commit, as ``notify``'s. A key already used tells nobody again. Returns how many notices were
    written."""
    notices = list(notices)
    ids = sorted({user.id for notice in notices for user in notice.recipients})
    opted_out: set[tuple[int, str]] = set()
    for start in range(0, len(ids), 500):
        opted_out.update((user_id, kind) for user_id, kind in session.execute(
            select(NotificationOptOut.user_id, NotificationOptOut.kind)
            .where(NotificationOptOut.user_id.in_(ids[start:start + 500]))))
    rows: dict[str, dict[str, Any]] = {}
    for item in notices:
        kind = KINDS[item.kind_name]
        encoded, values = encode_params(item.params), json.dumps(item.link.values)
        for user in item.recipients:
            key = f"{item.key}:user-{user.id}"
            if key in rows or not user.active or user.anonymised_at is not None:
                continue
            if not kind.always and (user.id, kind.name) in opted_out:
                continue
            rows[key] = {"user_id": user.id, "kind": kind.name, "params": encoded, "link_endpoint": item.link.endpoint,
                         "link_values": values, "object_type": item.object_type, "object_id": item.object_id,
                         "dedupe_key": key}
    keys = sorted(rows)
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        for used in session.scalars(select(Notification.dedupe_key).where(Notification.dedupe_key.in_(chunk))):
            rows.pop(used, None)
    if not rows:
        return 0
    session.execute(insert(Notification.__table__), list(rows.values()))  # Core: no ORM work per row
    keys = sorted(rows)
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        session.execute(insert(OutboxMessage).from_select(
            ["recipient", "subject", "body", "user_id", "notification_id", "dedupe_key", "attempts"],
            select(User.email, literal(""), literal(""), Notification.user_id, Notification.id,
                   Notification.dedupe_key, literal(0))
            .join(User, User.id == Notification.user_id).where(Notification.dedupe_key.in_(chunk))))
        if send_now:
            session.info.setdefault("queued_mail_ids", []).extend(session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.dedupe_key.in_(chunk))))
    return len(rows)


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    link: str


def render(notice: Notification, language: str | None = None) -> Rendered:
    """The notice's words, in ``language`` (else the current locale). Needs the application."""
    kind = KINDS[notice.kind]
    path = current_app.url_map.bind("localhost").build(notice.link_endpoint, json.loads(notice.link_values))
    if language is None:
        shown = _shown(notice.params)
        title, body = kind.for_coordinator if kind.for_coordinator and "member" in shown else (kind.title, kind.body)
        return Rendered(_(title, **shown), _(body, **shown), path)
    with force_locale(language):
        return render(notice)


def _render_mail(session: Session, message: OutboxMessage) -> None:
    """Write a notification's e-mail in the recipient's language: plain text and HTML, with the full link."""
    notice = session.get(Notification, message.notification_id)
    user = session.get(User, message.user_id) if message.user_id else None
    if notice is None or user is None:
        return
    with force_locale(user.language), reading_plain(reads_plain(user)):
        words = render(notice)
        address = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + words.link
        open_label = _("Open the page")
        message.subject = words.title[:300]
        message.body = f"{words.body}\n\n{open_label}: {address}\n"
        # The bare template: no context processor, as there may be no request (a scheduled job).
        message.html_body = current_app.jinja_env.get_template("notifications/email.html").render(
            title=words.title, body=words.body, address=address, open_label=open_label, lang=user.language)


RENDERERS.append(_render_mail)


def notifications_of(session: Session, user_id: int, *, unread_only: bool = False, limit: int = 50,
                     before_id: int | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


#: A user's unread notices as a column beside the user (correlated to ``users``): the page header shows the count,
#: and the login loader reads it in the statement that loads the user (``portal.create_app``).
UNREAD_BESIDE_USER = (select(func.count()).select_from(Notification)
                      .where(Notification.user_id == User.id, Notification.read_at.is_(None))
                      .scalar_subquery().label("unread_notifications"))


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, user_id: int, notification_id: int, *, now: datetime) -> Notification | None:
    """The person's own notice, now read (reading it again keeps the first time). None if not theirs."""
    notice = session.get(Notification, notification_id)
    if notice is None or notice.user_id != user_id:
        return None
    if notice.read_at is None:
        notice.read_at = now
    return notice


def mark_all_read(session: Session, user_id: int, *, now: datetime) -> int:
    return session.execute(update(Notification).where(Notification.user_id == user_id,
                                                      Notification.read_at.is_(None))
                           .values(read_at=now)).rowcount


_AUDIENCE_OF_ROLE = {Role.BENEFICIARY: "beneficiary", Role.EMPLOYER: "employer", Role.PROVIDER_ADMIN: "provider",
                     Role.COACH: "provider", Role.FUND_ADMIN: "fund"}


def optional_kinds_for(role: str) -> list[Kind]:
    """The kinds a person of this role may turn off, one per label (kinds sharing a label are one switch)."""
    audience = _AUDIENCE_OF_ROLE.get(Role(role), role)
    by_label: dict[str, Kind] = {}
    for kind in KINDS.values():
        if kind.audience == audience and not kind.always:
            by_label.setdefault(kind.label, kind)
    return list(by_label.values())


def kinds_sharing_label(kind: Kind) -> list[str]:
    return [other.name for other in KINDS.values() if other.label == kind.label and other.audience == kind.audience]


def opted_out_kinds(session: Session, user_id: int) -> set[str]:
    return set(session.scalars(select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user_id)))


def keep_only(session: Session, user: User, wanted: set[str]) -> None:
    """The person's choice: of the kinds they may turn off (one switch per label), those not ``wanted`` are off.
    Kinds that are always sent cannot be turned off."""
    off = {name for kind in optional_kinds_for(user.role) if kind.name not in wanted
           for name in kinds_sharing_label(kind)}
    current = opted_out_kinds(session, user.id)
    for name in current - off:
        session.delete(session.get(NotificationOptOut, (user.id, name)))
    for name in off - current:
        session.add(NotificationOptOut(user_id=user.id, kind=name))


def fund_admins(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.role == Role.FUND_ADMIN, User.active.is_(True))))


def provider_admins(session: Session, provider_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.role == Role.PROVIDER_ADMIN, User.active.is_(True),
                                                   User.provider_id == provider_id)))
