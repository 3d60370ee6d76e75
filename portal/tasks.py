"""Scheduled jobs of the portal itself."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from sqlalchemy.orm import Session

from portal.errors import N_
from portal.mail import deliver
from portal.scheduler import scheduled


@scheduled("deliver_outbox", period="minute", trigger="interval", minutes=2,
           description=N_("Send queued e-mails; retry those that failed."))
def deliver_outbox(session: Session, *, today: date, now: datetime) -> str:
    sent = deliver(session, current_app.extensions["portal_mail_transport"], current_app.config["MAIL_SENDER"])
    return f"{sent} sent"
