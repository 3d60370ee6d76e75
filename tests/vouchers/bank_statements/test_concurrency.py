"""Two administrators acting on the same bank line at the same moment: the line's row lock lets one
through; the other gets a conflict (or, for the very same match, nothing changes). The money is
recorded once. This test commits for real on separate connections, then cleans up."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.clock import today_in_brussels, utcnow
from portal.errors import Conflict
from portal.permissions import Role
from tests.support.committed import wipe_all
from tests.support.factories import make_user, new_niss
from tests.vouchers.bank_statements.conftest import Entry, Tx, camt
from vouchers.banking.models import BankLine
from vouchers.banking.services import lines as line_services
from vouchers.banking.services import statements as statement_services
from vouchers.employers.models import Contribution, ContributionPayment
from vouchers.ledger.models import LedgerEntry


def _setup(engine) -> dict[str, int]:
    from vouchers.employers.services.declarations import (
        DeclarationData,
        declare_dismissal,
    )

    today = today_in_brussels()
    with Session(engine) as setup:
        admins = [make_user(setup, Role.FUND_ADMIN) for _ in range(2)]
        employer = make_user(setup, Role.EMPLOYER)
        contributions = []
        for _ in range(2):
            data = DeclarationData(worker_first_name="Ana", worker_last_name="Peeters", worker_niss=new_niss(),
                                   contract_end_on=today - timedelta(days=10))
            contributions.append(declare_dismissal(setup, employer, data, today=today, now=utcnow())
                                 .declaration.contribution)
        result = statement_services.import_statement(setup, admins[0], camt([Entry("1800.00", acct_svcr_ref="RACE-1",
                                                                         txs=[Tx(ustrd="no reference")])]),
                                           file_name=None, now=utcnow())
        setup.commit()
        return {"admin0": admins[0].id, "admin1": admins[1].id, "line": result.statements[0].new_lines[0].id,
                "c0": contributions[0].id, "c1": contributions[1].id}


@pytest.mark.parametrize("same_target", [False, True], ids=["two contributions", "the same contribution"])
def test_two_matches_at_once_record_the_money_once(app, same_target):
    from portal.auth.models import User
    from portal.db import db

    with app.app_context():
        engine = db.engine
    try:
        ids = _setup(engine)
        targets = [ids["c0"], ids["c0"] if same_target else ids["c1"]]
        barrier = threading.Barrier(2) if engine.dialect.name == "postgresql" else None
        outcomes: list[str] = []
        lock = threading.Lock()

        def match(admin_key: str, contribution_id: int) -> None:
            with Session(engine) as session:
                admin = session.get(User, ids[admin_key])
                session.get(BankLine, ids["line"])  # both read the unmatched line first
                if barrier is not None:
                    barrier.wait(timeout=10)
                try:
                    _line, changed = line_services.match_line(session, admin, ids["line"], contribution_id=contribution_id,
                                                         reason="race", now=utcnow())
                    session.commit()
                    result = "changed" if changed else "unchanged"
                except Conflict as error:
                    session.rollback()
                    result = f"conflict:{error.code}"
                with lock:
                    outcomes.append(result)

        threads = [threading.Thread(target=match, args=(f"admin{i}", targets[i])) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert len(outcomes) == 2
        expected = ["changed", "unchanged"] if same_target else ["changed", "conflict:line_already_matched"]
        assert sorted(outcomes) == expected, outcomes
        with Session(engine) as check:
            line = check.get(BankLine, ids["line"])
            assert line.status == "matched" and line.contribution_id in targets
            assert check.scalar(select(func.count()).select_from(ContributionPayment).where(
                ContributionPayment.external_id == line.external_id)) == 1
            assert check.scalar(select(func.count()).select_from(LedgerEntry).where(
                LedgerEntry.kind == "contribution_paid")) == 1
            statuses = sorted(check.scalars(select(Contribution.status).where(
                Contribution.id.in_([ids["c0"], ids["c1"]]))))
            assert statuses == ["due", "paid"]  # one contribution paid once, the other untouched
    finally:
        wipe_all(engine)
