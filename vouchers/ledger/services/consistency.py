"""The ledger consistency check: the sums of the money ledger agree with the records they stand for.

- Committed, per voucher: its value, less its approved and paid claims, less what was
  released; an expired or withdrawn voucher keeps committed only its claims waiting for a decision;
  none is negative.
- Payable, per claim: an approved claim's amount while it is not paid, else nothing.
- Cash out, per claim: a paid claim's amount, once; nothing for the others.
- Payout batches: their totals and counts are those of their transfers, whose states their claims and
  refunds share (``banking.services.payout_checks``).
- Closed months (``closings``): each stored month's totals are those of its entries, per account and kind.
- Money in, per contribution (``consistency_money_in``): what it was paid (its payments) = its cash
  ledger entries = its bank allocations + its card payments, and its state is the one its money gives;
  per bank line, its allocations are its amount when it is matched, nothing otherwise.

Each check is a grouped query (a year of data is a few million rows), and each mismatch is
one plain line, so the CLI, the nightly job and a test can all show it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import click
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from coaching.claims.models import Claim
from vouchers.ledger.models import LedgerEntry, LedgerPeriodClosing
from vouchers.ledger.services.closings import closing_problems, recompute_closings
from vouchers.ledger.services.consistency_money_in import money_in_problems
from vouchers.requests.models import Voucher

CLOSED_VOUCHERS = ("expired", "withdrawn")


def _voucher_problems(session: Session) -> list[str]:
    committed = (
        select(LedgerEntry.voucher_id.label("voucher_id"),
               func.sum(LedgerEntry.amount_cents).label("committed"),
               func.sum(case((LedgerEntry.kind == "voucher_released", -LedgerEntry.amount_cents), else_=0))
               .label("released"))
        .where(LedgerEntry.account == "committed", LedgerEntry.voucher_id.is_not(None))
        .group_by(LedgerEntry.voucher_id).subquery())
    claimed = (
        select(Claim.voucher_id.label("voucher_id"),
               func.sum(case((Claim.status.in_(("approved", "paid")), Claim.amount_cents), else_=0)).label("claimed"),
               func.sum(case((Claim.status == "submitted", Claim.amount_cents), else_=0)).label("pending"))
        .group_by(Claim.voucher_id).subquery())
    rows = session.execute(
        select(Voucher.id, Voucher.code, Voucher.status, Voucher.value_cents,
               func.coalesce(committed.c.committed, 0), func.coalesce(committed.c.released, 0),
               func.coalesce(claimed.c.claimed, 0), func.coalesce(claimed.c.pending, 0))
        .outerjoin(committed, committed.c.voucher_id == Voucher.id)
        .outerjoin(claimed, claimed.c.voucher_id == Voucher.id)
        .order_by(Voucher.id))
    problems = []
    for voucher_id, code, status, value, actual, released, claims, pending in rows:
        actual, released, claims, pending = int(actual), int(released), int(claims), int(pending)
        # A closed voucher keeps committed only what claims still waiting for a decision ask for.
        expected = pending if status in CLOSED_VOUCHERS else value - claims - released
        where = f"voucher {voucher_id} ({code}, {status})"
        if actual != expected:
            problems.append(f"{where}: committed {actual} cents, expected {expected} "
                            f"(value {value} - approved/paid claims {claims} - released {released})")
        if actual < 0:
            problems.append(f"{where}: committed is negative ({actual} cents)")
        if claims > value:
            problems.append(f"{where}: approved/paid claims {claims} cents exceed its value {value}")
    orphans = session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.account == "committed",
                                                                      LedgerEntry.voucher_id.is_(None)))
    if orphans:
        problems.append(f"{orphans} committed ledger entries belong to no voucher")
    return problems


def _claim_problems(session: Session) -> list[str]:
    """Per claim: payable = amount while approved, cash out = amount once paid, and the
    commitment released at approval; nothing for submitted or rejected claims."""
    def total(account: str, kind: str | None = None) -> Any:
        condition = LedgerEntry.account == account
        if kind is not None:
            condition = condition & (LedgerEntry.kind == kind)
        return func.sum(case((condition, LedgerEntry.amount_cents), else_=0))

    sums = (
        select(LedgerEntry.claim_id.label("claim_id"), total("payable").label("payable"),
               total("cash").label("cash"), total("committed", "claim_approved").label("released"))
        .where(LedgerEntry.claim_id.is_not(None)).group_by(LedgerEntry.claim_id).subquery())
    rows = session.execute(
        select(Claim.id, Claim.status, Claim.amount_cents, func.coalesce(sums.c.payable, 0),
               func.coalesce(sums.c.cash, 0), func.coalesce(sums.c.released, 0))
        .outerjoin(sums, sums.c.claim_id == Claim.id)
        .where((sums.c.claim_id.is_not(None)) | Claim.status.in_(("approved", "paid")))
        .order_by(Claim.id))
    problems = []
    for claim_id, status, amount, payable, cash, released in rows:
        payable, cash, released = int(payable), int(cash), int(released)
        approved_or_paid = status in ("approved", "paid")
        wanted = {"payable": amount if status == "approved" else 0,
                  "cash out": amount if status == "paid" else 0,
                  "commitment released": amount if approved_or_paid else 0}
        found = {"payable": payable, "cash out": -cash, "commitment released": -released}
        for name, expected in wanted.items():
            if found[name] != expected:
                problems.append(f"claim {claim_id} ({status}, {amount} cents): {name} {found[name]} cents, "
                                f"expected {expected}")
    known = select(Claim.id).where(Claim.id == LedgerEntry.claim_id).exists()  # an anti-join: linear at any size
    orphans = session.scalars(select(LedgerEntry.claim_id).where(LedgerEntry.claim_id.is_not(None), ~known)
                              .distinct().order_by(LedgerEntry.claim_id)).all()
    problems.extend(f"ledger entries name claim {claim_id}, which does not exist" for claim_id in orphans)
    return problems


def _total_problems(session: Session) -> list[str]:
    """The fund-wide figures the balance page shows, against the claims themselves."""
    payable = int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
                                 .where(LedgerEntry.account == "payable")) or 0)
    approved = int(session.scalar(select(func.coalesce(func.sum(Claim.amount_cents), 0))
                                  .where(Claim.status == "approved")) or 0)
    cash_out = -int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
                                   .where(LedgerEntry.account == "cash", LedgerEntry.kind == "claim_paid")) or 0)
    paid = int(session.scalar(select(func.coalesce(func.sum(Claim.amount_cents), 0))
                              .where(Claim.status == "paid")) or 0)
    problems = []
    if payable != approved:
        problems.append(f"total payable {payable} cents, but approved unpaid claims sum to {approved}")
    if cash_out != paid:
        problems.append(f"total cash paid out to providers {cash_out} cents, but paid claims sum to {paid}")
    return problems


def _batch_problems(session: Session) -> list[str]:
    """Payout batches, their transfers, the claims they pay and refunds agree (``banking.services.payout_checks``)."""
    from vouchers.banking.services.payout_checks import payout_problems

    return payout_problems(session)


def check_ledger(session: Session) -> list[str]:
    """Every disagreement between the ledger's sums and the records; empty when all agree."""
    return (money_in_problems(session) + _voucher_problems(session) + _claim_problems(session)
            + _total_problems(session) + _batch_problems(session) + closing_problems(session))


def register_consistency_command(app: Any) -> None:
    """``flask --app portal check-ledger``: prints each mismatch and exits with 1 if there is any;
    ``flask --app portal recompute-ledger-closings [--month YYYY-MM]``: closes months again from their entries."""

    @app.cli.command("check-ledger")
    def check_ledger_command() -> None:
        """Prove that the ledger's sums agree with contributions, bank lines, vouchers, claims and payout batches."""
        from portal.db import db

        problems = check_ledger(db.session)
        for line in problems:
            click.echo(line)
        if problems:
            click.echo(f"{len(problems)} mismatches.", err=True)
            raise SystemExit(1)
        click.echo("The ledger agrees with the records.")

    @app.cli.command("recompute-ledger-closings")
    @click.option("--month", "months", multiple=True, metavar="YYYY-MM",
                  help="A closed month to compute again (repeatable); every closed month when none is given.")
    def recompute_closings_command(months: tuple[str, ...]) -> None:
        """Compute the ledger's closed months again from their entries: what to do when check-ledger names one."""
        from portal.clock import today_in_brussels
        from portal.db import db

        try:
            chosen = [date.fromisoformat(f"{month}-01") for month in months]
        except ValueError as error:
            raise click.BadParameter("give each month as YYYY-MM", param_hint="--month") from error
        if not chosen:
            chosen = list(db.session.scalars(select(LedgerPeriodClosing.month_on)))
        closed = recompute_closings(db.session, chosen, today=today_in_brussels())
        db.session.commit()
        click.echo(f"Months closed again: {closed}.")
