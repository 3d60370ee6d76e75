"""Scheduled jobs of the vouchers package: the 45-day clock, expiry, the waiting list."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.errors import N_
from portal.fund_settings import RulesBook
from portal.notify import fund_admins, notify_user
from portal.scheduler import scheduled
from vouchers.requests.models import Voucher, VoucherRequest
from vouchers.requests.services.requests import clock_for, serve_waiting_list
from vouchers.requests.services.vouchers import expire_vouchers


@scheduled("decision_deadlines", trigger="cron", hour=7, minute=0,
           description="Warn the fund of requests from day 35 and overdue after day 45.")
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
    if due_soon or overdue:
        for admin in fund_admins(session):
            notify_user(session, admin, key=f"decision-digest-{today.isoformat()}",
                        subject=N_("Voucher requests: %(soon)s due soon, %(late)s overdue"),
                        body=N_("Today %(soon)s voucher requests reach day 35 or later of the 45-day limit, and %(late)s are overdue. Open the decision queue in the portal to decide them."),
                        soon=due_soon, late=overdue)
    return f"{due_soon} due soon, {overdue} overdue"


@scheduled("expire_vouchers", trigger="cron", hour=0, minute=30,
           description="Expire vouchers after their last valid day and release their value.")
def expire(session: Session, *, today: date, now: datetime) -> str:
    expired = expire_vouchers(session, today=today, now=now)
    for voucher in session.scalars(select(Voucher).where(Voucher.id.in_(expired))):
        notify_user(session, voucher.beneficiary.user, key=f"voucher-expired-{voucher.id}",
                    subject=N_("Your coaching voucher has ended"),
                    body=N_("Your coaching voucher %(code)s reached the end of its validity on %(day)s. Hours that were not used can no longer be booked."),
                    code=voucher.code, day=voucher.valid_until_on.isoformat())
    return f"{len(expired)} expired"


@scheduled("serve_waiting_list", period="hour", trigger="interval", hours=1,
           description="Approve waitlisted route-B requests, oldest first, while the fund can cover them.")
def waiting_list(session: Session, *, today: date, now: datetime) -> str:
    issued = serve_waiting_list(session, None, today=today, now=now)
    for voucher in issued:
        notify_user(session, voucher.beneficiary.user, key=f"voucher-issued-{voucher.id}",
                    subject=N_("Your coaching voucher is ready"),
                    body=N_("Good news: the fund can now pay for your coaching. Your voucher %(code)s is valid until %(day)s. Your coach will contact you."),
                    code=voucher.code, day=voucher.valid_until_on.isoformat())
    return f"{len(issued)} served"
