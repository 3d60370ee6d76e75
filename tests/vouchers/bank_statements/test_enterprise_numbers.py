"""A credit without a usable reference is booked by the payer's enterprise number and its amount only when exactly one
open contribution of the employers it names still owes exactly that amount (DOMAIN.md, "Reconciliation"); else it
waits for a person, who sees those contributions as suggestions. A reference cut in two by the bank's 140-character
lines is still read. And an import sends a fixed number of SQL statements, whatever its number of lines."""

from __future__ import annotations

from sqlalchemy import event, select

from portal.clock import utcnow
from portal.permissions import Role
from tests.support.factories import make_user
from tests.vouchers.bank_statements.conftest import Entry, Tx, camt
from vouchers.banking import domain
from vouchers.banking.models import BankLine
from vouchers.banking.services import statements as statement_services
from vouchers.banking.services import suggestions as suggestion_services
from vouchers.employers.models import Declaration, Employer

REF, OTHER = "010806817183", "000000009797"


def _import(db_session, admin, entries: list[Entry], statement_id: str = "STMT-E") -> list[BankLine]:
    result = statement_services.import_statement(db_session, admin, camt(entries, statement_id=statement_id),
                                                 file_name="s.xml", now=utcnow())
    db_session.flush()
    return result.statements[0].new_lines


def _employer_of(db_session, contribution) -> Employer:
    return db_session.get(Employer, db_session.get(Declaration, contribution.declaration_id).employer_id)


# --- the pure rules ----------------------------------------------------------------------------------------------


def test_every_enterprise_number_a_line_names_is_found_once_in_order():
    texts = ["SD Worx", "BE 0403.170.701", "for client KBO 0403 170 701 and 0202.239.951, IBAN BE68539007547034"]
    assert domain.find_enterprise_numbers(texts) == ["0403170701", "0202239951"]
    assert domain.find_enterprise_number(texts) == "0403170701"
    assert domain.find_enterprise_numbers(["no number", None, "BE68539007547034"]) == []


def test_one_fit_only():
    assert domain.single_fit(180000, [(1, 180000), (2, 90000)]) == 1
    assert domain.single_fit(180000, [(1, 180000), (2, 180000)]) is None  # two fit: a person chooses
    assert domain.single_fit(180000, [(1, 179999)]) is None
    assert domain.single_fit(0, [(1, 0)]) is None


def test_a_reference_cut_in_two_by_the_bank_is_read_as_one():
    found = domain.find_structured_reference([], ["Bijdrage +++010/", "8068/17183+++ ontslag"])
    assert found.references == (REF,)
    # Each line alone is read first: two whole references on two lines stay two.
    found = domain.find_structured_reference([], [f"+++{REF[:3]}/{REF[3:7]}/{REF[7:]}+++", f"ref {OTHER}"])
    assert found.references == (REF, OTHER)


# --- at import ---------------------------------------------------------------------------------------------------


def test_the_only_open_contribution_that_fits_is_booked(db_session, admin, declare):
    contribution = declare()
    employer = _employer_of(db_session, contribution)
    (line,) = _import(db_session, admin, [Entry("1800.00", acct_svcr_ref="E-1", txs=[Tx(
        ustrd=f"Bijdrage KBO {employer.enterprise_number[:4]}.{employer.enterprise_number[4:7]}."
              f"{employer.enterprise_number[7:]}", debtor=employer.company_name)])])
    db_session.refresh(contribution)
    assert (line.status, line.match_method, line.contribution_id) == ("matched", "enterprise", contribution.id)
    assert contribution.status == "paid"


def test_a_secretariat_paying_for_a_client_names_both_and_the_client_is_booked(db_session, admin, declare):
    contribution = declare()
    client = _employer_of(db_session, contribution)
    (line,) = _import(db_session, admin, [Entry("1800.00", acct_svcr_ref="E-2", txs=[Tx(
        debtor="SD Worx", debtor_id="BE0403170701", ustrd=f"{client.company_name} {client.enterprise_number}")])])
    assert line.enterprise_number == "0403170701"  # the payer's own, shown as before
    assert (line.match_method, line.contribution_id) == ("enterprise", contribution.id)


def test_two_that_fit_wait_for_a_person_who_sees_them_both(db_session, admin, declare):
    user = make_user(db_session, Role.EMPLOYER, language="en")
    first, second = declare(user), declare(user)
    employer = _employer_of(db_session, first)
    (line,) = _import(db_session, admin, [Entry("1800.00", acct_svcr_ref="E-3", txs=[Tx(
        ustrd=f"ondernemingsnr {employer.enterprise_number}")])])
    assert (line.status, line.match_method) == ("unmatched", None)
    suggested = [s.contribution_id for s in suggestion_services.suggestions_for(db_session, line)][:2]
    assert sorted(suggested) == sorted([first.id, second.id])


def test_another_amount_or_a_number_nobody_has_waits(db_session, admin, declare):
    contribution = declare()
    employer = _employer_of(db_session, contribution)
    lines = _import(db_session, admin, [
        Entry("1750.00", acct_svcr_ref="E-4", txs=[Tx(ustrd=f"BE {employer.enterprise_number}")]),
        Entry("1800.00", acct_svcr_ref="E-5", txs=[Tx(ustrd="BE 0403.170.701")]),  # valid, but no employer's
    ])
    assert [line.status for line in lines] == ["unmatched", "unmatched"]


def test_references_are_booked_first_and_the_number_takes_what_is_left(db_session, admin, declare):
    """Two open contributions of the same employer: one paid by its reference later in the statement, so the
    number-only credit before it fits the other alone."""
    user = make_user(db_session, Role.EMPLOYER, language="en")
    first, second = declare(user), declare(user)
    employer = _employer_of(db_session, first)
    by_number, by_reference = _import(db_session, admin, [
        Entry("1800.00", acct_svcr_ref="E-6", txs=[Tx(ustrd=f"KBO {employer.enterprise_number}")]),
        Entry("1800.00", acct_svcr_ref="E-7", txs=[Tx(reference=second.structured_reference)]),
    ])
    assert (by_reference.match_method, by_reference.contribution_id) == ("reference", second.id)
    assert (by_number.match_method, by_number.contribution_id) == ("enterprise", first.id)
    # The rest of a partial payment, by number: it fits the partly paid contribution alone.
    third = declare(user)
    _partial, rest = _import(db_session, admin, [
        Entry("1000.00", acct_svcr_ref="E-8", txs=[Tx(reference=third.structured_reference)]),
        Entry("800.00", acct_svcr_ref="E-9", txs=[Tx(ustrd=f"saldo KBO {employer.enterprise_number}")]),
    ], statement_id="STMT-E2")
    db_session.refresh(third)
    assert (rest.match_method, rest.contribution_id, third.status) == ("enterprise", third.id, "paid")


def test_an_import_sends_as_many_statements_for_forty_lines_as_for_ten(db_session, admin, declare):
    def statements_for(count: int, prefix: str) -> int:
        contributions = [declare() for _ in range(count)]
        entries = [Entry("1800.00", acct_svcr_ref=f"{prefix}-{i}", txs=[Tx(reference=c.structured_reference)])
                   for i, c in enumerate(contributions)]
        entries += [Entry("900.00", acct_svcr_ref=f"{prefix}-P{i}", txs=[Tx(ustrd=f"KBO {_employer_of(db_session, c).enterprise_number}")])
                    for i, c in enumerate(declare() for _ in range(count))]
        sent: list[str] = []
        connection = db_session.connection()

        def count_statement(*args: object) -> None:
            sent.append(str(args[2]))

        event.listen(connection, "before_cursor_execute", count_statement)
        try:
            lines = _import(db_session, admin, entries, statement_id=f"STMT-{prefix}")
        finally:
            event.remove(connection, "before_cursor_execute", count_statement)
        assert sum(1 for line in lines if line.status == "matched") == count
        return len([s for s in sent if not s.startswith(("SAVEPOINT", "RELEASE"))])

    assert statements_for(40, "B") == statements_for(10, "A")
    assert db_session.scalar(select(BankLine.id).where(BankLine.status == "unmatched").limit(1)) is not None
