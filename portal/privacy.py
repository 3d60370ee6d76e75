"""A person's data across the whole portal: the export (GDPR right of access) and the erasure when an account
closes (right to erasure).

Each domain package registers its share (``register``: what it exports, how it erases, and which of its objects
are the person's, for the audit log); this module adds what the portal itself holds: the account and its two-step
sign-in, API tokens, notifications and their settings, e-mails in the outbox, and the audit log (what happened to
the person's file, and who else read it). The export is every part together; closing runs every part's erasure,
then the portal's own.

Erasure removes what identifies the person and what they wrote; it keeps the money records, their amounts and
dates, and the audit trail of decisions, which the fund must keep (GDPR art. 17(3)(b)): what others wrote there
about the person's file stays, with the person's name and address redacted (``redact``).

Services flush and never commit; the caller commits once.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from sqlalchemy import delete, func, or_, select, tuple_
from sqlalchemy.orm import Session

from portal import audit
from portal.auth import recovery
from portal.auth.models import ApiToken, User
from portal.auth.passwords import hash_password
from portal.auth.services import revoke_everywhere
from portal.mail import OutboxMessage
from portal.notifications.models import Notification, NotificationOptOut

#: What stands in for the person's name or address in what others were told about them.
REDACTED = "—"


@dataclass(frozen=True)
class PersonalData:
    """One package's share of what the portal holds about a person.

    - ``export(session, user)``: named sections of the export; an ``account`` section adds to the account's.
    - ``erase(session, user, now)``: remove the person's data (called before the portal erases the account).
    - ``objects(session, user)``: the person's objects as (audit object type, id): their history and who read them.
    """

    export: Callable[[Session, User], dict[str, Any]]
    erase: Callable[[Session, User, datetime], None]
    objects: Callable[[Session, User], Iterable[tuple[str, int]]]


_PARTS: dict[str, PersonalData] = {}


def register(name: str, part: PersonalData) -> None:
    """Take a package's share in (once per name: importing the module again changes nothing)."""
    _PARTS[name] = part


def plain(value: Any) -> Any:
    """A value as JSON carries it: dates and instants in ISO 8601."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def export_person(session: Session, user: User) -> dict[str, Any]:
    """Everything the portal holds about ``user``, as JSON-ready data."""
    data: dict[str, Any] = {"account": _account(session, user)}
    for part in _PARTS.values():
        for section, value in part.export(session, user).items():
            if section == "account":
                data["account"].update(value)
            else:
                data[section] = value
    objects = _objects(session, user)
    data.update(
        sign_in={"api_tokens": [{"created_at": plain(t.created_at), "expires_at": plain(t.expires_at),
                                 "revoked_at": plain(t.revoked_at)}
                                for t in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                                         .order_by(ApiToken.id))]},
        notifications=[{"kind": n.kind, "details": json.loads(n.params or "{}"), "about": n.object_type,
                        "about_id": n.object_id, "created_at": plain(n.created_at), "read_at": plain(n.read_at)}
                       for n in session.scalars(select(Notification).where(Notification.user_id == user.id)
                                                .order_by(Notification.id))],
        notification_settings={"turned_off": sorted(session.scalars(
            select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user.id)))},
        emails=[{"to": m.recipient, "subject": m.subject, "body": m.body, "queued_at": plain(m.created_at),
                 "sent_at": plain(m.sent_at)} for m in session.scalars(_outbox_of(user).order_by(OutboxMessage.id))],
        history=[_entry(e) for e in _trail(session, objects) if e.action != "viewed"],
        file_reads=[{"at": plain(e.at), "object": e.object_type, "object_id": e.object_id, **_reader(session, e)}
                    for e in _trail(session, objects) if e.action == "viewed"],
    )
    return data


def names_of(user: User) -> set[str]:
    """What identifies the person in a text: their names, whole and apart, and their e-mail address."""
    return {text.strip() for text in (f"{user.first_name} {user.last_name}", user.first_name, user.last_name,
                                      user.email) if len(text.strip()) > 1}


def redact(text: str, names: set[str]) -> str:
    """``text`` with each of ``names`` (as a whole word, in any case) replaced by ``REDACTED``."""
    for name in sorted(names, key=len, reverse=True):  # the full name before a part of it
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", REDACTED, text, flags=re.IGNORECASE)
    return text


def erase_person(session: Session, user: User, *, now: datetime) -> None:
    """Close the account: every part erases its share, then the portal removes the rest of the person's data."""
    objects = _objects(session, user)
    names = names_of(user)
    for part in _PARTS.values():
        part.erase(session, user, now)
    _redact_what_others_were_told(session, user, objects, names)
    for entry in _trail(session, objects):
        if entry.reason:  # the person's own words go; others' reasons for their decisions stay, without the name
            entry.reason = REDACTED if entry.actor_id == user.id else redact(entry.reason, names)
    session.execute(delete(OutboxMessage).where(or_(OutboxMessage.user_id == user.id,
                                                    func.lower(OutboxMessage.recipient) == user.email.lower()))
                    .execution_options(synchronize_session=False))
    session.execute(delete(Notification).where(Notification.user_id == user.id))
    session.execute(delete(NotificationOptOut).where(NotificationOptOut.user_id == user.id))
    revoke_everywhere(session, user, now=now)
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    recovery.remove_codes(session, user.id)
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = None, None, None
    user.email = f"closed-{user.id}-{secrets.token_hex(4)}@anonymised.invalid"
    user.first_name, user.last_name = "", ""
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    user.last_login_at = None
    user.anonymised_at = now
    user.active = False
    audit.record(session, actor=user, object_type="user", object_id=user.id, action="account_closed", now=now)
    session.flush()


# --- the portal's own share ------------------------------------------------------------------------------------


def _account(session: Session, user: User) -> dict[str, Any]:
    return {"email": user.email, "first_name": user.first_name, "last_name": user.last_name, "role": user.role,
            "language": user.language, "easy_words": user.plain_language, "created_at": plain(user.created_at),
            "confirmed_at": plain(user.confirmed_at), "last_login_at": plain(user.last_login_at),
            # Whether two-step sign-in is on, never its secret; the recovery codes counted, never shown.
            "two_step": {"on_since": plain(user.totp_enabled_at) if user.totp_secret else None,
                         "recovery_codes_left": recovery.codes_left(session, user.id)}}


def _objects(session: Session, user: User) -> set[tuple[str, int]]:
    found = {("user", user.id)}
    for part in _PARTS.values():
        found.update(part.objects(session, user))
    return found


def _trail(session: Session, objects: set[tuple[str, int]]) -> list[audit.AuditEntry]:
    keys = sorted(objects)
    entries: list[audit.AuditEntry] = []
    for start in range(0, len(keys), 500):
        entries.extend(session.scalars(select(audit.AuditEntry).where(
            tuple_(audit.AuditEntry.object_type, audit.AuditEntry.object_id).in_(keys[start:start + 500]))))
    return sorted(entries, key=lambda e: e.id)


def _entry(entry: audit.AuditEntry) -> dict[str, Any]:
    return {"at": plain(entry.at), "object": entry.object_type, "object_id": entry.object_id, "action": entry.action,
            "from": entry.from_state, "to": entry.to_state, "reason": entry.reason}


def _reader(session: Session, entry: audit.AuditEntry) -> dict[str, Any]:
    """Who read the file: their role and name (a reader whose own account closed since is only "unknown")."""
    reader = session.get(User, entry.actor_id) if entry.actor_id is not None else None
    if reader is None or reader.anonymised_at is not None:
        return {"reader_role": None, "reader_name": None}
    return {"reader_role": reader.role, "reader_name": reader.display_name}


def _outbox_of(user: User):  # type: ignore[no-untyped-def]
    return select(OutboxMessage).where(or_(OutboxMessage.user_id == user.id,
                                           func.lower(OutboxMessage.recipient) == user.email.lower()))


def _redact_what_others_were_told(session: Session, user: User, objects: set[tuple[str, int]],
                                  names: set[str]) -> None:
    """Notices to other people about the person's objects (a provider told of a voucher assigned to them, by
    name), and the e-mails that carried them: the person's name and address give way to ``REDACTED``."""
    notices = [n for n in _notices_about(session, objects) if n.user_id != user.id]
    for notice in notices:
        params = json.loads(notice.params or "{}")
        cleaned = {key: redact(value, names) if isinstance(value, str) else value for key, value in params.items()}
        if cleaned != params:
            notice.params = json.dumps(cleaned)
    if not notices:
        return
    ids = [n.id for n in notices]
    for start in range(0, len(ids), 500):
        for message in session.scalars(select(OutboxMessage).where(
                OutboxMessage.notification_id.in_(ids[start:start + 500]))):
            message.subject = redact(message.subject, names)
            message.body = redact(message.body, names)
            if message.html_body:
                message.html_body = redact(message.html_body, names | {escape(name) for name in names})


def _notices_about(session: Session, objects: set[tuple[str, int]]) -> list[Notification]:
    keys = sorted(objects)
    found: list[Notification] = []
    for start in range(0, len(keys), 500):
        found.extend(session.scalars(select(Notification).where(
            tuple_(Notification.object_type, Notification.object_id).in_(keys[start:start + 500]))))
    return found

