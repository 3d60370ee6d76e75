"""Use cases of the employers' side, called directly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.clock import utcnow
from portal.errors import Conflict, NotFound, ValidationFailed
from portal.fund_settings import set_rule
from portal.permissions import Permission, Role, can
from tests.support.factories import make_user, new_niss
from vouchers.employers.models import Contribution, ContributionPayment, Declaration
from vouchers.employers.services import contributions
from vouchers.employers.services import declarations as declaration_services
from vouchers.employers.services import payments as payment_services
from vouchers.ledger.models import LedgerEntry


def _data(today, **overrides):
    values = {"worker_first_name": "Jan", "worker_last_name": "Janssens", "worker_niss": new_niss(),
              "contract_end_on": today - timedelta(days=5)}
    values.update(overrides)
    return declaration_services.DeclarationData(**values)


def test_declaring_creates_the_contribution_from_the_settings(db_session, employer_user, today):
    set_rule(db_session, "contribution_cents", 190_000, valid_from_on=today - timedelta(days=30))
    result = declaration_services.declare_dismissal(db_session, employer_user, _data(today), today=today, now=utcnow())
    contribution = result.declaration.contribution
    assert contribution.amount_cents == 190_000
    assert contribution.due_on == result.declaration.contract_end_on + timedelta(days=45)
    assert contribution.status == "due" and len(contribution.structured_reference) == 12


def test_the_rule_in_force_on_the_contract_end_applies(db_session, employer_user, today):
    set_rule(db_session, "contribution_cents", 200_000, valid_from_on=today - timedelta(days=2))
    older = declaration_services.declare_dismissal(db_session, employer_user, _data(today, contract_end_on=today - timedelta(
        days=10)), today=today, now=utcnow())
    newer = declaration_services.declare_dismissal(db_session, employer_user, _data(today, contract_end_on=today), today=today,
                                       now=utcnow())
    assert older.declaration.contribution.amount_cents == 180_000
    assert newer.declaration.contribution.amount_cents == 200_000


def test_the_database_refuses_a_duplicate_declaration(db_session, employer_user, today):
    result = declaration_services.declare_dismissal(db_session, employer_user, _data(today), today=today, now=utcnow())
    d = result.declaration
    copy = Declaration(employer_id=d.employer_id, declared_by_id=employer_user.id, worker_first_name="x",
                       worker_last_name="y", worker_niss=d.worker_niss, contract_end_on=d.contract_end_on,
                       declared_on=today, declaration_due_on=today, status="declared")
    with pytest.raises(IntegrityError):
        with db_session.begin_nested():
            db_session.add(copy)
            db_session.flush()
    with pytest.raises(Conflict):
        declaration_services.declare_dismissal(db_session, employer_user, _data(today, worker_niss=d.worker_niss,
                                                                    contract_end_on=d.contract_end_on),
                                   today=today, now=utcnow())


def test_another_employer_may_declare_the_same_worker(db_session, employer_user, other_employer_user, today):
    data = _data(today)
    declaration_services.declare_dismissal(db_session, employer_user, data, today=today, now=utcnow())
    declaration_services.declare_dismissal(db_session, other_employer_user, data, today=today, now=utcnow())


def test_validation_lists_every_problem(db_session, employer_user, today):
    with pytest.raises(ValidationFailed) as caught:
        declaration_services.declare_dismissal(db_session, employer_user, declaration_services.DeclarationData(
            worker_niss="1", contract_end_on=None, agent_email="nope"), today=today, now=utcnow())
    assert set(caught.value.fields) == {"worker_first_name", "worker_last_name", "worker_niss", "contract_end_on",
                                        "agent_email"}


def test_ownership_and_roles(db_session, employer_user, other_employer_user, today):
    declaration = declaration_services.declare_dismissal(db_session, employer_user, _data(today), today=today,
                                             now=utcnow()).declaration
    assert can(employer_user, Permission.DISMISSAL_VIEW_OWN, declaration)
    assert can(employer_user, Permission.CONTRIBUTION_PAY, declaration.contribution)
    assert not can(other_employer_user, Permission.DISMISSAL_VIEW_OWN, declaration)
    with pytest.raises(NotFound):
        declaration_services.get_declaration(db_session, other_employer_user, declaration.id)
    admin = make_user(db_session, Role.FUND_ADMIN)  # the fund reads them through reconciliation, not these pages
    with pytest.raises(NotFound):
        declaration_services.get_declaration(db_session, admin, declaration.id)
    beneficiary = make_user(db_session, Role.BENEFICIARY)
    with pytest.raises(NotFound):
        declaration_services.declare_dismissal(db_session, beneficiary, _data(today), today=today, now=utcnow())


def test_an_agent_link_is_made_once(db_session, employer_user):
    agent = make_user(db_session, Role.EMPLOYER, employer_id=None)
    declaration_services.add_agent(db_session, agent_user_id=agent.id, employer_id=employer_user.employer_id)
    with pytest.raises(Conflict):
        declaration_services.add_agent(db_session, agent_user_id=agent.id, employer_id=employer_user.employer_id)
    assert declaration_services.employer_ids_for(db_session, agent) == [employer_user.employer_id]
    assert declaration_services.resolve_employer_id(db_session, agent, None) == employer_user.employer_id


def test_bank_transfers_partial_then_overpaid_each_counted_once(db_session, employer_user, today):
    contribution = declaration_services.declare_dismissal(db_session, employer_user, _data(today), today=today,
                                              now=utcnow()).declaration.contribution
    now = utcnow()
    assert payment_services.record_bank_payment(db_session, contribution.id, amount_cents=100_000, external_id="camt-1",
                                        booked_on=today, now=now)
    assert contribution.status == "partially_paid"
    assert not payment_services.record_bank_payment(db_session, contribution.id, amount_cents=100_000, external_id="camt-1",
                                            booked_on=today, now=now)
    assert contribution.status == "partially_paid"
    payment_services.record_bank_payment(db_session, contribution.id, amount_cents=100_000, external_id="camt-2",
                                 booked_on=today, now=now)
    assert contribution.status == "overpaid"
    assert contributions.payment_sums(db_session, contribution.id).net_cents == 200_000
    entries = db_session.scalars(select(LedgerEntry).where(LedgerEntry.contribution_id == contribution.id)).all()
    assert [e.amount_cents for e in entries] == [100_000, 100_000]
    with pytest.raises(IntegrityError):  # a payment of zero is refused by the database
        with db_session.begin_nested():
            db_session.add(ContributionPayment(contribution_id=contribution.id, source="bank", amount_cents=0,
                                               external_id="zero", booked_on=today))
            db_session.flush()


def test_an_older_attempts_signals_do_not_move_the_current_one(db_session, employer_user, today, gateway):
    declaration = declaration_services.declare_dismissal(db_session, employer_user, _data(today), today=today,
                                             now=utcnow()).declaration
    first = payment_services.start_card_payment(db_session, employer_user, declaration.id, gateway, today=today, now=utcnow())
    gateway.set_status(first.id, "canceled")
    second = payment_services.start_card_payment(db_session, employer_user, declaration.id, gateway, today=today,
                                         now=utcnow())
    assert second.id != first.id
    gateway.set_status(second.id, "processing")
    payment_services.sync_payment_intent(db_session, gateway, second.id, today=today, now=utcnow())
    contribution = db_session.get(Contribution, declaration.contribution.id)
    assert contribution.status == "processing"
    payment_services.sync_payment_intent(db_session, gateway, first.id, today=today, now=utcnow())  # canceled, old
    assert contribution.status == "processing"
    # ...but an old attempt's money still counts
    gateway.succeed(first.id)
    payment_services.sync_payment_intent(db_session, gateway, first.id, today=today, now=utcnow())
    assert contribution.status == "paid"


def test_a_partial_amount_received_is_partially_paid(db_session, employer_user, today, gateway):
    declaration = declaration_services.declare_dismissal(db_session, employer_user, _data(today), today=today,
                                             now=utcnow()).declaration
    intent = payment_services.start_card_payment(db_session, employer_user, declaration.id, gateway, today=today,
                                         now=utcnow())
    gateway.succeed(intent.id, amount_received=80_000)
    payment_services.sync_payment_intent(db_session, gateway, intent.id, today=today, now=utcnow())
    assert declaration.contribution.status == "partially_paid"


def test_a_worker_finds_the_declaration_by_niss(db_session, employer_user, today):
    data = _data(today)
    declaration_services.declare_dismissal(db_session, employer_user, data, today=today, now=utcnow())
    found = declaration_services.declaration_for_worker(db_session, data.worker_niss)
    assert found is not None and found.contract_end_on == data.contract_end_on
    assert declaration_services.declaration_for_worker(db_session, new_niss()) is None
