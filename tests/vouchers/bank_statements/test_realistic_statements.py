"""Four days of realistic statements (``tests.support.realistic_statements``, about 300 credit lines), imported as
the bank sends them: no line is booked to the wrong contribution, at least 98 % of the lines a careful bookkeeper
would book without a person are booked automatically, a replay (the same files, a renamed statement) books nothing
twice, and after the person's work on the queue every contribution and the reconciliation agree to the cent."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
from lxml import etree
from sqlalchemy import func, select

from portal.clock import utcnow
from tests.support.realistic_statements import (
    Expected,
    StatementGenerator,
    plan_employers,
)
from tests.support.realistic_world import build_world
from tests.vouchers.bank_statements.conftest import CAMT_XSD
from vouchers.banking.models import BankLine
from vouchers.banking.services import lines as line_services
from vouchers.banking.services import statements as statement_services
from vouchers.employers import domain as employer_domain
from vouchers.employers.models import Contribution, ContributionPayment
from vouchers.ledger.domain import Period
from vouchers.ledger.services.consistency import check_ledger
from vouchers.ledger.services.reconciliation import reconcile

SEED = 20_261_208
AUTOMATIC_GOAL = 0.98


@pytest.fixture
def world(db_session, today):
    employers = plan_employers(SEED, 170)
    owed = build_world(db_session, employers, today=today, now=utcnow())
    generator = StatementGenerator(SEED, employers, owed, start=today - timedelta(days=10))
    return owed, [generator.next_day(credits) for credits in (70, 80, 75, 80)]


def _key(line: BankLine) -> tuple[str | None, int, bool]:
    """A line as the generator names it: its entry's bank reference, its payment, and whether it is pending."""
    return line.entry_reference, line.tx_index, line.ignore_reason == "not_booked"


def _booked(line: BankLine) -> list[tuple[int, int]]:
    return sorted((a.contribution_id, a.amount_cents) for a in line.allocations)


def _payments(db_session) -> tuple[int, int]:
    count, total = db_session.execute(select(func.count(), func.coalesce(func.sum(ContributionPayment.amount_cents),
                                                                         0))).one()
    return int(count), int(total)


def test_the_generated_files_follow_the_schema_and_come_again_from_the_seed(today):
    schema = etree.XMLSchema(etree.parse(str(CAMT_XSD)))
    employers = plan_employers(SEED, 40)
    owed = [_owed(i, e.key) for i, e in enumerate(employers * 2, start=1)]
    first = StatementGenerator(SEED, employers, owed, start=today)
    again = StatementGenerator(SEED, plan_employers(SEED, 40), owed, start=today)
    other = StatementGenerator(SEED + 1, employers, owed, start=today)
    for _ in range(3):
        day, same, different = first.next_day(40), again.next_day(40), other.next_day(40)
        assert schema.validate(etree.fromstring(day.xml).getroottree()), schema.error_log
        assert same.xml == day.xml and same.expected == day.expected
        assert different.xml != day.xml
        assert {e.variant for e in day.expected} >= {"reference", "debit"}


def _owed(number: int, employer_key: int):
    from tests.support.realistic_statements import Owed

    return Owed(number, employer_key, employer_domain.reference_for(number), 180_000)


def test_realistic_statements_are_matched_right_and_reconcile_to_the_cent(db_session, admin, world, today):
    owed, days = world
    expected: dict[tuple[str, int, bool], Expected] = {}
    for day in days:
        for item in day.expected:
            expected[(item.bank_reference, item.tx_index, item.variant == "pending")] = item
        result = statement_services.import_statement(db_session, admin, day.xml, file_name=f"{day.statement.statement_id}.xml",
                                                     now=utcnow())
        assert not result.duplicate
    variants = {item.variant for item in expected.values()}
    assert variants >= {"reference", "enterprise_number", "reversal", "return", "debit", "stranger", "pending",
                        "batch_unsplit", "wrong_digits", "iban_only"}

    lines = {_key(line): line for line in db_session.scalars(select(BankLine))}
    assert set(lines) == set(expected)  # every new line is labelled, and the repeated entries added none

    # The replay: the same files again, and a statement sent again under another name, book nothing.
    before = _payments(db_session)
    for day in days:
        assert statement_services.import_statement(db_session, admin, day.xml, file_name="again.xml",
                                                   now=utcnow()).duplicate
    renamed = days[-1].xml.replace(days[-1].statement.statement_id.encode(), b"STMT-RESENT")
    resent = statement_services.import_statement(db_session, admin, renamed, file_name="resent.xml", now=utcnow())
    assert not resent.duplicate and resent.statements[0].new_lines == []
    assert _payments(db_session) == before
    assert db_session.scalar(select(func.count()).select_from(BankLine)) == len(lines)

    # No wrong match, and the goal for the lines the rules let the portal book alone.
    automatic = [key for key, item in expected.items() if item.automatic]
    booked_alone = {key: line for key, line in lines.items()
                    if line.status == "matched" and line.match_method != "manual"}
    wrong = {key: (_booked(line), sorted(expected[key].allocations)) for key, line in booked_alone.items()
             if _booked(line) != sorted(expected[key].allocations)}
    right = [key for key in automatic if key in booked_alone and key not in wrong]
    rate = len(right) / len(automatic)
    assert wrong == {}
    assert len(automatic) >= 250
    assert rate >= AUTOMATIC_GOAL, [expected[key].variant for key in automatic if key not in booked_alone]

    # The person's work: the queue holds the lines the rules leave to a person, and any the portal missed.
    queue = {_key(line): line for line in db_session.scalars(select(BankLine).where(BankLine.status == "unmatched"))}
    assert {key for key, item in expected.items() if item.action in ("match", "dismiss")} <= set(queue)
    for key, line in sorted(queue.items(), key=lambda item: item[1].id):
        item = expected[key]
        if item.action == "dismiss":
            line_services.dismiss_line(db_session, admin, line.id, reason="No contribution: a stranger's money",
                                       now=utcnow())
        else:
            line_services.match_line(db_session, admin, line.id, now=utcnow(), reason="read in the payment's text",
                                     allocations=[{"contribution_id": cid, "amount_cents": abs(cents)}
                                                  for cid, cents in item.allocations])
    db_session.flush()
    assert db_session.scalar(select(func.count()).select_from(BankLine).where(BankLine.status == "unmatched")) == 0

    # Every contribution holds, to the cent, what its lines paid it, and its status says so.
    paid: dict[int, int] = defaultdict(int)
    for item in expected.values():
        for cid, cents in item.allocations:
            paid[cid] += cents
    held = dict(db_session.execute(select(ContributionPayment.contribution_id, func.sum(ContributionPayment.amount_cents))
                                   .group_by(ContributionPayment.contribution_id)).tuples().all())
    assert {cid: int(cents) for cid, cents in held.items() if cents} == {cid: c for cid, c in paid.items() if c}
    statuses = dict(db_session.execute(select(Contribution.id, Contribution.status)).tuples().all())
    for c in owed:
        net = paid.get(c.id, 0)
        want = "due" if net <= 0 else "partially_paid" if net < c.amount_cents else "paid" if net == c.amount_cents \
            else "overpaid"
        assert statuses[c.id] == want, (c.id, net)

    # The reconciliation of the period says the same, and the ledger agrees with the records.
    figures = reconcile(db_session, admin, Period(today - timedelta(days=60), today + timedelta(days=120)), today=today)
    assert figures.contributions.received_cents == sum(paid.values())
    assert figures.contributions.expected.count == len(owed)
    assert figures.unmatched.count == figures.unmatched.cents == 0
    assert figures.cash.received.cents - figures.cash.refunds.cents == sum(paid.values())
    assert check_ledger(db_session) == []
