"""The scheduler process runs a large statement's import: the job a web request stored in APScheduler's database job
store (committed with the statement) is found by a running scheduler (``portal.scheduler``'s own class, started
before the upload, as it would be) and executed. On PostgreSQL the import's progress is seen from another connection
while its transaction is still open. This test commits for real, then cleans up."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import background
from portal.clock import today_in_brussels, utcnow
from portal.permissions import Role
from portal.scheduler_loop import ProcessScheduler
from tests.support.committed import wipe_all
from tests.support.factories import make_user, new_niss
from tests.vouchers.bank_statements.conftest import Entry, Tx, camt
from vouchers.banking.models import BankStatement
from vouchers.banking.services import background_import
from vouchers.banking.services import statements as statement_services
from vouchers.employers.models import ContributionPayment


def _upload(engine) -> int:
    from vouchers.employers.services.declarations import (
        DeclarationData,
        declare_dismissal,
    )

    today = today_in_brussels()
    with Session(engine) as session:
        admin, employer = make_user(session, Role.FUND_ADMIN), make_user(session, Role.EMPLOYER)
        references = []
        for _ in range(30):
            data = DeclarationData(worker_first_name="Ana", worker_last_name="Peeters", worker_niss=new_niss(),
                                   contract_end_on=today - timedelta(days=10))
            references.append(declare_dismissal(session, employer, data, today=today, now=utcnow())
                              .declaration.contribution.structured_reference)
        session.commit()
        entries = [Entry("1800.00", acct_svcr_ref=f"RUN-{i}", txs=[Tx(reference=r)]) for i, r in enumerate(references)]
        entries += [Entry("10.00", acct_svcr_ref=f"RUN-X{i}", txs=[Tx(ustrd="gift")]) for i in range(200)]
        result = background_import.receive_upload(session, admin, camt(entries), file_name="big.xml", now=utcnow())
        assert result.importing
        session.commit()  # the statement and its job, together
        return result.statements[0].statement.id


def test_a_running_scheduler_finds_the_stored_job_and_runs_it(app, monkeypatch):
    from portal.db import db

    with app.app_context():
        engine = db.engine
    monkeypatch.setattr(statement_services, "BOOK_BATCH", 10)
    seen: list[int] = []
    if engine.dialect.name == "postgresql":
        real = background_import._Progress.__call__

        def watched(self, lines_done):  # read from elsewhere, while the import's transaction is open
            real(self, lines_done)
            with engine.connect() as other:
                seen.append(other.scalar(select(BankStatement.lines_done).where(BankStatement.id == self.statement_id)))

        monkeypatch.setattr(background_import._Progress, "__call__", watched)
    background.bind(app)
    scheduler = ProcessScheduler(timezone="UTC", jobstores={background.JOB_STORE: background.job_store(engine)})
    runner = threading.Thread(target=scheduler.start, daemon=True)
    runner.start()
    try:
        statement_id = _upload(engine)
        deadline = time.monotonic() + 60
        with Session(engine) as session:
            while time.monotonic() < deadline:  # APScheduler takes the job out of the store once handed to a thread
                status = session.scalar(select(BankStatement.status).where(BankStatement.id == statement_id))
                waiting = session.scalar(select(func.count()).select_from(background.jobs_table))
                session.rollback()
                if status != "importing" and not waiting:
                    break
                time.sleep(0.2)
            statement = session.get(BankStatement, statement_id)
            assert (statement.status, statement.lines_done, statement.lines_total) == ("imported", 230, 230)
            assert session.scalar(select(func.count()).select_from(ContributionPayment)) == 30
            assert session.scalar(select(func.count()).select_from(background.jobs_table)) == 0
        if engine.dialect.name == "postgresql":
            # 200 strangers' lines are done at once (nothing to book), then the 30 matched ones, ten at a time.
            assert seen == [210, 220, 230]
        else:  # one writer at a time: the progress shows when the import ends
            assert seen == []
    finally:
        scheduler.shutdown(wait=True)
        runner.join(timeout=10)
        wipe_all(engine)
