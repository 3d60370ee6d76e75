"""Demo data: what the portal tells the demo's people, so that each of them finds notifications (and e-mails in the
outbox) that the story explains. Everything goes through what tells people in real life:

- the morning jobs of the scheduler, run for today: the fund's digest of decisions due soon and overdue (the demo's
  queue has requests from day 35 on), the employer's reminder and overdue notice for its contributions (declared
  41 and 60 days ago), and the warning of a quality label that runs out in 45 days (the last demo provider's);
- a beneficiary of the demo provider disputes a session the coach logged last week: the provider's administrators
  are told (and the beneficiary was told of the booking and the log).

The beneficiary's own notices come from their story (``portal.demo._seed_journeys``). Safe to run again: the jobs
tell once per key, and the dispute is made once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.clock import BRUSSELS

DISPUTE_REASON = "Je n'étais pas là ce jour-là : j'avais prévenu ma coach par téléphone la veille."


def seed_notices(session: Session, *, provider_admin: User, main: User, today: date, now: datetime) -> None:
    from coaching.providers.tasks import label_warnings
    from vouchers.employers.tasks import employer_deadlines
    from vouchers.requests.tasks import decision_deadlines

    _label_expiring_soon(session, today=today)
    decision_deadlines(session, today=today, now=now)
    employer_deadlines(session, today=today, now=now)
    label_warnings(session, today=today, now=now)
    _disputed_session(session, provider_admin, main, today=today, now=now)
    session.flush()


def _label_expiring_soon(session: Session, *, today: date) -> None:
    """The last listed provider's quality label runs out in 45 days (the demo seeds labels for two years): the fund
    has a renewal to chase."""
    from coaching.providers.models import Provider

    last = session.scalar(select(Provider).where(Provider.delisted_at.is_(None)).order_by(Provider.id.desc()).limit(1))
    if last is not None and last.label_valid_until_on is not None and last.label_valid_until_on > today + timedelta(days=365):
        last.label_valid_until_on = today + timedelta(days=45)
        session.flush()


def _disputed_session(session: Session, provider_admin: User, main: User, *, today: date, now: datetime) -> None:
    """Another beneficiary of the demo provider, whose first interview last week was logged and is disputed."""
    from coaching.calendar.services.sessions import (
        SessionPlan,
        log_session,
        schedule_session,
    )
    from coaching.disputes.models import SessionDispute
    from coaching.disputes.services import dispute_session
    from coaching.providers.models import Coach, Offer
    from coaching.providers.services.offers import accept_voucher
    from vouchers.requests.models import Beneficiary, Voucher

    provider_id = provider_admin.provider_id
    if session.scalar(select(SessionDispute.id).where(SessionDispute.provider_id == provider_id).limit(1)):
        return
    found = session.execute(
        select(Voucher, User).join(Beneficiary, Beneficiary.id == Voucher.beneficiary_id)
        .join(User, User.id == Beneficiary.user_id)
        .where(Voucher.provider_id == provider_id, Voucher.status == "approved", User.id != main.id)
        .order_by(Voucher.id).limit(1)).first()
    offer = session.scalar(select(Offer).where(Offer.provider_id == provider_id).order_by(Offer.id).limit(1))
    coach = session.scalar(select(Coach).where(Coach.provider_id == provider_id).order_by(Coach.id).limit(1))
    if found is None or offer is None or coach is None:
        return
    voucher, person = found
    # Issued a month ago, as the demo's main voucher, so that last week's session falls within its validity.
    voucher.valid_from_on = today - timedelta(days=30)
    voucher.valid_until_on = voucher.valid_from_on + timedelta(days=182)
    session.flush()
    accept_voucher(session, provider_admin, voucher.id, offer.id, now=now)
    day = today - timedelta(days=6)
    while day.weekday() >= 5:  # a working day of last week
        day -= timedelta(days=1)
    booked = schedule_session(session, provider_admin, SessionPlan(
        coach_id=coach.id, kind="individual", voucher_ids=[voucher.id], duration_minutes=60,
        starts_at=datetime.combine(day, time(15, 30), tzinfo=BRUSSELS), location="Rue de Fer 25, 5000 Namur",
        theme="Premier entretien"), now=now)
    log_session(session, provider_admin, booked.id, {voucher.id: "attended"}, 60,
                "Premier entretien : attentes et disponibilités.", now=now)
    dispute_session(session, person, booked.id, DISPUTE_REASON, now=now)
