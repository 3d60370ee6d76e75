"""Jobs of the employers' side: the 45-day contribution deadline, the Stripe repair, and the background import of a
large CSV file of declarations."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from sqlalchemy.orm import Session
from stdnum import iban

from portal.auth.models import User
from portal.background import background_task
from portal.errors import N_
from portal.notifications.services import notify, page
from portal.payments import gateway_for
from portal.scheduler import scheduled
from vouchers.employers import domain
from vouchers.employers.services import (
    background_imports,
    contributions,
    deadlines,
    payment_repair,
)


def _tell(session: Session, notice: deadlines.Notice, people: list[User], kind: str, *, key: str) -> int:
    """One notice per person (the employer's users and its agents), in their language."""
    contribution, declaration = notice.contribution, notice.declaration
    owed = contribution.amount_cents - contributions.payment_sums(session, contribution.id).net_cents
    return notify(session, people, kind, key=key,
                  link=page("employers.declaration", declaration_id=declaration.id),
                  object_type="dismissal_declaration", object_id=declaration.id, number=declaration.id,
                  worker=f"{declaration.worker_first_name} {declaration.worker_last_name}",
                  company=notice.employer.company_name, due_on=contribution.due_on, owed_cents=owed,
                  iban=iban.format(current_app.config["FUND_IBAN"]),
                  reference=domain.format_structured_reference(contribution.structured_reference))


@scheduled("employer_deadlines", trigger="cron", hour=7, minute=30,
           description=N_("Remind employers 7 days before a contribution is due; flag it overdue after, once."))
def employer_deadlines(session: Session, *, today: date, now: datetime) -> str:
    """Each contribution gets at most one reminder and one overdue notice (flag columns and outbox keys)."""
    people: dict[int, list[User]] = {}

    def people_of(notice: deadlines.Notice) -> list[User]:
        if notice.employer.id not in people:
            people[notice.employer.id] = deadlines.people_to_tell(session, notice.employer.id)
        return people[notice.employer.id]

    reminded = deadlines.remind_due_soon(session, today=today, now=now)
    for notice in reminded:
        _tell(session, notice, people_of(notice), "contribution_due_soon",
              key=f"contribution-reminder-{notice.contribution.id}")
    overdue = deadlines.flag_overdue(session, today=today, now=now)
    for notice in overdue:
        _tell(session, notice, people_of(notice), "contribution_overdue",
              key=f"contribution-overdue-{notice.contribution.id}")
    return f"{len(reminded)} reminded, {len(overdue)} flagged overdue"


@scheduled("stripe_repair", period="hour", trigger="interval", hours=1,
           description=N_("Re-read card payments still waiting for Stripe after an hour, to heal missed webhooks."))
def stripe_repair(session: Session, *, today: date, now: datetime) -> str:
    outcome = payment_repair.repair_stale_payments(session, gateway_for(current_app), today=today, now=now)
    return f"{outcome.checked} checked, {outcome.changed} changed, {outcome.unreachable} unreachable"


@background_task(background_imports.TASK)
def import_declarations(session: Session, *, now: datetime, import_id: int) -> None:
    """Read a large CSV file of declarations (``background_imports.run_import``)."""
    background_imports.run_import(session, now=now, import_id=import_id)


@scheduled("declaration_imports_stalled", period="minute", trigger="interval", minutes=15,
           description=N_("Mark failed the CSV imports whose background process stopped halfway."))
def fail_stalled_imports(session: Session, *, today: date, now: datetime) -> str:
    return f"{background_imports.fail_stalled_imports(session, now=now)} stalled imports marked failed"
