"""Scheduled jobs of the employers' side: the 45-day contribution deadline and the Stripe repair."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import Session
from stdnum import iban

from portal.auth.models import User
from portal.errors import N_
from portal.i18n import long_date, money
from portal.notify import notify_user
from portal.payments import gateway_for
from portal.scheduler import scheduled
from vouchers.employers import domain
from vouchers.employers.services import contributions, deadlines, payment_repair

REMINDER_SUBJECT = N_("Reminder: contribution of %(owed)s due on %(day)s")
REMINDER_BODY = N_(
    "Hello,\n\nThe contribution for the dismissal of %(worker)s (declaration %(number)s, %(company)s) is due on "
    "%(day)s. Still to pay: %(owed)s.\n\nPay it in the portal by card or Bancontact: %(link)s\nor by bank transfer "
    "to %(iban)s with the structured reference %(reference)s.\n\nIf you have just paid, thank you: you can ignore "
    "this message.\n")
OVERDUE_SUBJECT = N_("Overdue: the contribution for declaration %(number)s is not paid")
OVERDUE_BODY = N_(
    "Hello,\n\nThe contribution for the dismissal of %(worker)s (declaration %(number)s, %(company)s) was due on "
    "%(day)s and is not fully paid. Still to pay: %(owed)s.\n\nPlease pay it as soon as possible: missing it can "
    "lead to a sanction. Pay in the portal by card or Bancontact: %(link)s\nor by bank transfer to %(iban)s with "
    "the structured reference %(reference)s.\n")


def _link(declaration_id: int) -> str:
    path = current_app.url_map.bind("localhost").build("employers.declaration", {"declaration_id": declaration_id})
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _tell(session: Session, notice: deadlines.Notice, people: list[User], *, key: str, subject: str,
          body: str) -> int:
    """Queue one notice per person, in their language (dates and money too). Returns how many were queued."""
    contribution, declaration = notice.contribution, notice.declaration
    owed = contribution.amount_cents - contributions.payment_sums(session, contribution.id).net_cents
    queued = 0
    for user in people:
        with force_locale(user.language):
            queued += notify_user(
                session, user, key=key, subject=subject, body=body, number=declaration.id,
                worker=f"{declaration.worker_first_name} {declaration.worker_last_name}",
                company=notice.employer.company_name, day=long_date(contribution.due_on), owed=money(owed),
                link=_link(declaration.id), iban=iban.format(current_app.config["FUND_IBAN"]),
                reference=domain.format_structured_reference(contribution.structured_reference))
    return queued


@scheduled("employer_deadlines", trigger="cron", hour=7, minute=30,
           description="Remind employers 7 days before a contribution is due; flag it overdue after, once.")
def employer_deadlines(session: Session, *, today: date, now: datetime) -> str:
    """Each contribution gets at most one reminder and one overdue notice (flag columns and outbox keys)."""
    people: dict[int, list[User]] = {}

    def people_of(notice: deadlines.Notice) -> list[User]:
        if notice.employer.id not in people:
            people[notice.employer.id] = deadlines.people_to_tell(session, notice.employer.id)
        return people[notice.employer.id]

    reminded = deadlines.remind_due_soon(session, today=today, now=now)
    for notice in reminded:
        _tell(session, notice, people_of(notice), key=f"contribution-reminder-{notice.contribution.id}",
              subject=REMINDER_SUBJECT, body=REMINDER_BODY)
    overdue = deadlines.flag_overdue(session, today=today, now=now)
    for notice in overdue:
        _tell(session, notice, people_of(notice), key=f"contribution-overdue-{notice.contribution.id}",
              subject=OVERDUE_SUBJECT, body=OVERDUE_BODY)
    return f"{len(reminded)} reminded, {len(overdue)} flagged overdue"


@scheduled("stripe_repair", period="hour", trigger="interval", hours=1,
           description="Re-read card payments still waiting for Stripe after an hour, to heal missed webhooks.")
def stripe_repair(session: Session, *, today: date, now: datetime) -> str:
    outcome = payment_repair.repair_stale_payments(session, gateway_for(current_app), today=today, now=now)
    return f"{outcome.checked} checked, {outcome.changed} changed, {outcome.unreachable} unreachable"
