"""An answer after the confirm-by day: not a dispute any more, but a message to the provider.

DOMAIN.md, "Confirmation": the beneficiary confirms or disputes a logged session within 5 working days; after that
day the answer is silence, and a late dispute goes to the provider as a message, not as a dispute. So the session
stays as it is (pending until the nightly job confirms it by silence, or already confirmed by silence), no dispute is
opened, and nothing is taken from what the provider may claim. The provider's administrators and the session's
coach are told, with the person's words, in their language, in the portal and by e-mail
(``late_dispute_message``).

The words are the person's: they are kept in the seat's history (the audit log, as a dispute's reason is), so the
person finds them in their data export; closing the account replaces them there (``portal.privacy``) and in what
the provider was told (``forget_messages``, called from ``coaching.privacy``).

A session the person confirmed themselves, or already disputed, has its answer: a late dispute of it is refused as
before (409 ``already_answered``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.calendar.services import notices
from coaching.calendar.services import sessions as session_services
from coaching.disputes import services as dispute_services
from portal import audit
from portal.clock import BRUSSELS
from portal.db import lock_row
from portal.errors import N_, ValidationFailed
from portal.mail import OutboxMessage
from portal.notifications.models import Notification
from portal.notifications.services import notify, page, provider_admins
from portal.privacy import REDACTED

KIND = "late_dispute_message"
MAX_LENGTH = 2000


@dataclass(frozen=True)
class Answer:
    """What became of a beneficiary's disagreement: a dispute (``late`` False) or a message to the provider."""

    seat: SessionSeat
    late: bool


def answer_period_over(seat: SessionSeat, *, now: datetime) -> bool:
    """The seat is logged and its confirm-by day (Brussels) has passed without an answer from the person."""
    if seat.attendance is None:
        return False
    if seat.confirmation == "confirmed":
        return bool(seat.confirmed_by_silence)
    return (seat.confirmation == "pending" and seat.confirm_by_on is not None
            and now.astimezone(BRUSSELS).date() > seat.confirm_by_on)


def dispute_or_write(session: Session, actor: Any, session_id: int, reason: str, *, now: datetime) -> Answer:
    """The beneficiary says something is wrong: a dispute in time, a message to the provider after the day."""
    seat = session_services.beneficiary_seat(session, actor, session_id)  # 404 when not theirs
    lock_row(session, seat)
    if not answer_period_over(seat, now=now):
        return Answer(dispute_services.dispute_session(session, actor, session_id, reason, now=now), late=False)
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed(N_("Say what is wrong."), fields={"reason": [N_("Say what is wrong.")]})
    booked = session.get(CoachingSession, seat.session_id)
    assert booked is not None
    # One paragraph, without blank lines: the words are found again, whole, to take them out of the e-mail later.
    text = "\n".join(line.rstrip() for line in text.splitlines() if line.strip())[:MAX_LENGTH]
    audit.record(session, actor=actor, object_type="session_seat", object_id=seat.id, action="late_message",
                 reason=text, now=now)
    notify(session, [*provider_admins(session, booked.provider_id), notices.coach_user(session, booked)], KIND,
           link=page("calendar.session_detail", session_id=booked.id), object_type="session_seat", object_id=seat.id,
           beneficiary=actor.display_name, starts_at=booked.starts_at, confirm_by_on=seat.confirm_by_on, message=text)
    session.flush()
    return Answer(seat, late=True)


def forget_messages(session: Session, seat_ids: list[int]) -> None:
    """The person's account closes: their late messages leave what the provider was told (the notice and its
    e-mail); the rest of the notice stays, with the person's name taken out by ``portal.privacy``."""
    for start in range(0, len(seat_ids), 500):
        for notice in session.scalars(select(Notification).where(
                Notification.kind == KIND, Notification.object_type == "session_seat",
                Notification.object_id.in_(seat_ids[start:start + 500]))):
            params = json.loads(notice.params or "{}")
            message = params.get("message")
            if not isinstance(message, str) or message == REDACTED:
                continue
            params["message"] = REDACTED
            notice.params = json.dumps(params)
            for mail in session.scalars(select(OutboxMessage).where(OutboxMessage.notification_id == notice.id)):
                mail.body = (mail.body or "").replace(message, REDACTED)
                if mail.html_body:  # the HTML e-mail shows them escaped
                    mail.html_body = mail.html_body.replace(str(escape(message)), REDACTED)
    session.flush()
