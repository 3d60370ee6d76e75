"""The consistency check of money in: contributions, their payments, the ledger and the bank lines agree.

Per contribution, four records tell how much it was paid, and all four must say the same, to the cent:

- its payments (``contribution_payments``: card payments and refunds from Stripe, bank transfers and the
  reversals that gave them back), whose sum is what it was paid;
- its cash ledger entries (``contribution_paid``, ``contribution_refunded``, and corrections of them);
- its bank allocations (what each bank line paid it, negative for a reversal) plus its card payments, plus
  the refunds the fund paid back by transfer (bank payments whose external id starts ``refund-``: a refund's
  payment, and its counter-entry when the bank returned it);
- and its state, which is the one its money gives (``employers.domain.contribution_status``; money a reversal
  took back counts as never received, as ``banking.services.matching`` books it).

Per bank line: a matched line's allocations add up to its amount (taken back, for a line that gives a credit
back); any other line has none. Each allocation is the very payment that bears its external id, and each bank
payment is a bank line's allocation or a refund.

Each check is one grouped query; each mismatch one plain line, as in ``consistency``.
"""

from __future__ import annotations

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from vouchers.banking.models import BankLine, BankLineAllocation
from vouchers.employers import domain as employer_domain
from vouchers.employers.models import Contribution, ContributionPayment
from vouchers.ledger.models import LedgerEntry

CONTRIBUTION_KINDS = ("contribution_paid", "contribution_refunded")


#: How the external id of a refund paid back by transfer begins (``banking.services.refund_money.payment_id``).
REFUND_PREFIX = "refund-"


def _positive(column):  # type: ignore[no-untyped-def]
    return func.sum(case((column > 0, column), else_=0))


def _negative(column):  # type: ignore[no-untyped-def]
    return func.sum(case((column < 0, -column), else_=0))


def _contribution_problems(session: Session) -> list[str]:
    amount = ContributionPayment.amount_cents
    refund = (ContributionPayment.source == "bank") & ContributionPayment.external_id.startswith(REFUND_PREFIX)
    payments = (
        select(ContributionPayment.contribution_id.label("contribution_id"), func.sum(amount).label("paid"),
               func.sum(case((ContributionPayment.source == "stripe", amount), else_=0)).label("card"),
               func.sum(case((refund, amount), else_=0)).label("refunds"),
               _positive(amount).label("received"), _negative(amount).label("refunded"))
        .group_by(ContributionPayment.contribution_id).subquery())
    booked = (
        select(LedgerEntry.contribution_id.label("contribution_id"), func.sum(LedgerEntry.amount_cents).label("cash"))
        .where(LedgerEntry.contribution_id.is_not(None), LedgerEntry.account == "cash")
        .group_by(LedgerEntry.contribution_id).subquery())
    allocated = (
        select(BankLineAllocation.contribution_id.label("contribution_id"),
               func.sum(BankLineAllocation.amount_cents).label("bank"),
               _negative(BankLineAllocation.amount_cents).label("taken_back"))
        .group_by(BankLineAllocation.contribution_id).subquery())
    figures = [func.coalesce(column, 0) for column in (
        payments.c.paid, payments.c.card, payments.c.refunds, payments.c.received, payments.c.refunded, booked.c.cash,
        allocated.c.bank, allocated.c.taken_back)]
    rows = session.execute(
        select(Contribution.id, Contribution.status, Contribution.amount_cents, *figures)
        .outerjoin(payments, payments.c.contribution_id == Contribution.id)
        .outerjoin(booked, booked.c.contribution_id == Contribution.id)
        .outerjoin(allocated, allocated.c.contribution_id == Contribution.id)
        .where(or_(payments.c.contribution_id.is_not(None), booked.c.contribution_id.is_not(None),
                   allocated.c.contribution_id.is_not(None), Contribution.status.not_in(("due", "processing"))))
        .order_by(Contribution.id))
    problems = []
    for contribution_id, status, due, *values in rows:
        paid, card, refunds, received, refunded, cash, bank, taken_back = (int(value) for value in values)
        where = f"contribution {contribution_id} ({status})"
        if cash != paid:
            problems.append(f"{where}: paid {paid} cents, but its cash ledger entries sum to {cash}")
        if bank + card + refunds != paid:
            by_transfer = f" + refunds by transfer {refunds}" if refunds else ""
            problems.append(f"{where}: paid {paid} cents, but its bank allocations {bank} + card payments {card}"
                            f"{by_transfer} = {bank + card + refunds}")
        # A reversal gives back money that never stayed: the state is judged as if it had not come.
        money = employer_domain.PaymentSums(received - taken_back, refunded - taken_back)
        expected = employer_domain.contribution_status(due, money, in_flight=status == "processing")
        if expected != status:
            problems.append(f"{where}: its money says {expected} (amount {due}, received {received}, refunded "
                            f"{refunded}, of which {taken_back} taken back by reversals)")
    return problems


def _ledger_side_problems(session: Session) -> list[str]:
    """Contribution entries only on the cash account, each naming a contribution that exists."""
    problems = []
    elsewhere = session.execute(
        select(LedgerEntry.account, func.count()).where(LedgerEntry.contribution_id.is_not(None),
                                                         LedgerEntry.account != "cash")
        .group_by(LedgerEntry.account).order_by(LedgerEntry.account)).all()
    problems.extend(f"{count} {account} ledger entries name a contribution: contributions are cash only"
                    for account, count in elsewhere)
    nameless = session.scalar(select(func.count()).select_from(LedgerEntry).where(
        LedgerEntry.kind.in_(CONTRIBUTION_KINDS), LedgerEntry.contribution_id.is_(None)))
    if nameless:
        problems.append(f"{nameless} contribution ledger entries name no contribution")
    orphans = session.scalars(
        select(LedgerEntry.contribution_id).where(LedgerEntry.contribution_id.is_not(None),
                                                  ~select(Contribution.id).where(
                                                      Contribution.id == LedgerEntry.contribution_id).exists())
        .distinct().order_by(LedgerEntry.contribution_id)).all()
    problems.extend(f"ledger entries name contribution {cid}, which does not exist" for cid in orphans)
    return problems


def _bank_line_problems(session: Session) -> list[str]:
    allocated = (
        select(BankLineAllocation.line_id.label("line_id"), func.sum(BankLineAllocation.amount_cents).label("total"))
        .group_by(BankLineAllocation.line_id).subquery())
    rows = session.execute(
        select(BankLine.id, BankLine.status, BankLine.amount_cents, BankLine.returns_credit,
               func.coalesce(allocated.c.total, 0))
        .outerjoin(allocated, allocated.c.line_id == BankLine.id)
        .where(or_(allocated.c.line_id.is_not(None), BankLine.status == "matched"))
        .order_by(BankLine.id))
    problems = []
    for line_id, status, amount, gives_back, total in rows:
        expected = (-amount if gives_back else amount) if status == "matched" else 0
        if int(total) != expected:
            problems.append(f"bank line {line_id} ({status}, {amount} cents): its allocations sum to {int(total)}, "
                            f"expected {expected}")
    # Each allocation is the payment of the same external id: same contribution, same cents, from the bank.
    payment = ContributionPayment
    mismatched = session.execute(
        select(BankLineAllocation.line_id, BankLineAllocation.contribution_id, BankLineAllocation.amount_cents,
               BankLineAllocation.external_id, payment.contribution_id, payment.amount_cents)
        .outerjoin(payment, payment.external_id == BankLineAllocation.external_id)
        .where(or_(payment.id.is_(None), payment.contribution_id != BankLineAllocation.contribution_id,
                   payment.amount_cents != BankLineAllocation.amount_cents, payment.source != "bank"))
        .order_by(BankLineAllocation.id))
    for line_id, cid, cents, external_id, paid_cid, paid_cents in mismatched:
        found = "no payment" if paid_cid is None else f"a payment of {paid_cents} cents to contribution {paid_cid}"
        problems.append(f"bank line {line_id}: its allocation {external_id} of {cents} cents to contribution {cid} "
                        f"has {found}")
    unexplained = session.execute(
        select(payment.id, payment.contribution_id, payment.amount_cents, payment.external_id)
        .where(payment.source == "bank", ~payment.external_id.startswith(REFUND_PREFIX),
               ~select(BankLineAllocation.id).where(BankLineAllocation.external_id == payment.external_id).exists())
        .order_by(payment.id))
    problems.extend(f"contribution {cid}: its bank payment {external_id} of {cents} cents is no bank line's "
                    f"allocation and no refund" for _id, cid, cents, external_id in unexplained)
    return problems


def _total_problems(session: Session) -> list[str]:
    """The fund-wide money in the balance page shows, against the payments themselves."""
    booked = int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
        LedgerEntry.account == "cash", LedgerEntry.kind.in_(CONTRIBUTION_KINDS))) or 0)
    paid = int(session.scalar(select(func.coalesce(func.sum(ContributionPayment.amount_cents), 0))) or 0)
    if booked != paid:
        return [f"total contributions in the cash ledger {booked} cents, but the payments sum to {paid}"]
    return []


def money_in_problems(session: Session) -> list[str]:
    """Every disagreement about money in; empty when all agree."""
    return (_contribution_problems(session) + _ledger_side_problems(session) + _bank_line_problems(session)
            + _total_problems(session))
