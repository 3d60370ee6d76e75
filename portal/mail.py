"""Outgoing e-mail through an outbox table.

A message is queued in the same transaction as the change that causes it, so a
rolled-back change sends nothing. Delivery happens after the commit (right away
in the request, and again by the scheduler for anything that failed); a row is
marked sent once, so nobody gets the same message twice.
"""

from __future__ import annotations

import smtplib
import sys
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol

from sqlalchemy import Index, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.clock import utcnow
from portal.db import UTCDateTime, db

MAX_ATTEMPTS = 8


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_pending", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # The same message as HTML, sent beside the plain text (notifications have one).
    html_body: Mapped[str | None] = mapped_column(Text)
    # A notification's e-mail is written when it is sent, in the recipient's language (see RENDERERS).
    notification_id: Mapped[int | None]
    # The user it concerns, so the portal can list their notifications.
    user_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A notice sent by a scheduled job carries a key, so it is queued once however often the job runs.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class ConsoleTransport:
    def send(self, message: EmailMessage) -> None:
        print(f"--- e-mail to {message['To']}: {message['Subject']}\n{message.get_content()}---", file=sys.stderr)


class SMTPTransport:
    def __init__(self, config: dict[str, Any]):
        self.host = config["MAIL_SERVER"]
        self.port = config["MAIL_PORT"]
        self.username = config.get("MAIL_USERNAME")
        self.password = config.get("MAIL_PASSWORD")
        self.use_tls = config.get("MAIL_USE_TLS", False)

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            if self.use_tls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def transport_for(config: dict[str, Any]) -> Transport:
    return SMTPTransport(config) if config.get("MAIL_BACKEND") == "smtp" else ConsoleTransport()


#: Fills in, just before sending, a message queued with only a ``notification_id`` (set by portal.notifications).
RENDERERS: list[Callable[[Session, OutboxMessage], None]] = []


def queue_mail(session: Session, *, to: str, subject: str, body: str, user_id: int | None = None,
               dedupe_key: str | None = None, html_body: str | None = None, notification_id: int | None = None) -> OutboxMessage | None:
    """Queue a message in the current transaction. With a ``dedupe_key`` already used, nothing is queued."""
    if dedupe_key is not None and session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None:
        return None
    message = OutboxMessage(recipient=to, subject=subject, body=body, html_body=html_body, user_id=user_id,
                            dedupe_key=dedupe_key, notification_id=notification_id)
    session.add(message)
    session.flush()
    session.info.setdefault("queued_mail_ids", []).append(message.id)
    return message


def deliver(session: Session, transport: Transport, sender: str, ids: list[int] | None = None, *, now: datetime | None = None) -> int:
    """Send pending messages (all, or the given ids). Commits after each, returns how many were sent.

    Each message is first claimed with a conditional UPDATE on ``sent_at IS
    NULL``, so two deliverers never both send it.
    """
    query = select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    sent = 0
    for message_id in session.scalars(query.order_by(OutboxMessage.id)).all():
        claimed_at = now or utcnow()
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
            .values(sent_at=claimed_at, attempts=OutboxMessage.attempts + 1)
        ).rowcount
        session.commit()
        if not claimed:
            continue
        row = session.get(OutboxMessage, message_id)
        assert row is not None
        if row.notification_id is not None and not row.subject:
            for render in RENDERERS:
                render(session, row)
            session.commit()  # the outbox keeps the words that were sent
        email = EmailMessage()
        email["From"] = sender
        email["To"] = row.recipient
        email["Subject"] = row.subject
        email.set_content(row.body)
        if row.html_body:
            email.add_alternative(row.html_body, subtype="html")
        try:
            transport.send(email)
            sent += 1
        except (OSError, smtplib.SMTPException) as exc:
            row.sent_at = None
            row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            session.commit()
    return sent


def deliver_queued(app: Any) -> None:
    """Deliver what this request queued; failures stay in the outbox for the scheduler."""
    ids = db.session.info.pop("queued_mail_ids", None)
    if not ids:
        return
    try:
        deliver(db.session, app.extensions["portal_mail_transport"], app.config["MAIL_SENDER"], ids)
    except Exception:  # the change is committed; the scheduler retries the e-mail
        app.logger.exception("e-mail delivery deferred to the scheduler")
        db.session.rollback()


def commit() -> None:
    """The one commit of a request, then the e-mails it queued."""
    from flask import current_app

    db.session.commit()
    deliver_queued(current_app)
