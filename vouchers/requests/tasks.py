"""Scheduled jobs of the vouchers package: the 45-day clock, expiry, the waiting list."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.errors import N_
from portal.fund_settings import RulesBook
from portal.notifications.services import fund_admins, notify, page
from portal.scheduler import scheduled
from vouchers.banking.models import BankLine
from vouchers.requests.models import Voucher, VoucherRequest
from vouchers.requests.services.notices import tell_expiring
from vouchers.requests.services.requests import clock_for, serve_waiting_list
from vouchers.requests.services.vouchers import expire_vouchers, voucher_figures

#: How long before its last day a beneficiary is told that the voucher ends (DOMAIN.md).
EXPIRY_NOTICE_DAYS = 30


@scheduled("decision_deadlines", trigger="cron", hour=7, minute=0,
           description=N_("Tell the fund each morning of requests from day 35, overdue ones and bank lines to match."))
def decision_deadlines(session: Session, *, today: date, now: datetime) -> str:
    book = RulesBook(session)
    due_soon = overdue = 0
    for request in session.scalars(select(VoucherRequest).where(VoucherRequest.status == "submitted")):
        clock = clock_for(request, today, book.on(request.submitted_on or today))
        if clock is None:
            continue
        if clock.state == "overdue":
            overdue += 1
        elif clock.state == "due_soon":
            due_soon += 1
    waiting_lines = session.scalar(select(func.count()).select_from(BankLine)
                                   .where(BankLine.status == "unmatched")) or 0
    if due_soon or overdue or waiting_lines:
        notify(session, fund_admins(session), "decisions_due", key=f"decision-digest-{today.isoformat()}",
               link=page("decisions.queue"), soon=due_soon, late=overdue, waiting_lines=waiting_lines)
    return f"{due_soon} due soon, {overdue} overdue, {waiting_lines} bank lines waiting"


@scheduled("voucher_expiry_notices", trigger="cron", hour=8, minute=0,
           description=N_("Tell beneficiaries 30 days before their voucher ends, while value is left on it."))
def expiry_notices(session: Session, *, today: date, now: datetime) -> str:
    horizon = today + timedelta(days=EXPIRY_NOTICE_DAYS)
    told = 0
    for voucher in session.scalars(select(Voucher).where(Voucher.status.in_(("approved", "in_progress")),
                                                         Voucher.valid_until_on <= horizon,
                                                         Voucher.valid_until_on >= today)):
        balance = voucher_figures(session, voucher).balance_cents
        if balance <= 0:
            continue
        told += tell_expiring(session, voucher, balance_cents=balance)
    return f"{told} told"


@scheduled("expire_vouchers", trigger="cron", hour=0, minute=30,
           description=N_("Expire vouchers after their last valid day and release their value."))
def expire(session: Session, *, today: date, now: datetime) -> str:
    expired = expire_vouchers(session, today=today, now=now)  # each beneficiary is told
    return f"{len(expired)} expired"


@scheduled("serve_waiting_list", period="hour", trigger="interval", hours=1,
           description=N_("Approve waitlisted route-B requests, oldest first, while the fund can cover them."))
def waiting_list(session: Session, *, today: date, now: datetime) -> str:
    """Each voucher issued tells its beneficiary and provider (``issue_voucher``)."""
    return f"{len(serve_waiting_list(session, None, today=today, now=now))} served"
