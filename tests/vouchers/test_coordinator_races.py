"""Two coordinators filing for the same member at the same moment leave exactly one waiting request (issue 17).

Until the member accepts, a filed request knows them only by the NISS their coordinator typed (``member_niss``);
the database keeps one open request per such NISS, so the check-then-insert of two filings cannot both succeed.
The race test commits for real on separate connections, then cleans up.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.clock import today_in_brussels, utcnow
from portal.errors import Conflict
from portal.permissions import Role
from tests.support.committed import wipe_all
from tests.support.factories import make_provider, make_user, new_niss
from vouchers.coordinators.services import filing
from vouchers.requests.models import MemberInvitation, VoucherRequest
from vouchers.requests.services.requests import RequestData


def _data(provider_id: int, today: date) -> RequestData:
    return RequestData(provider_id=provider_id, insurer_code=300, initiative="coordinator", force_majeure=True,
                       contract_end_on=today - timedelta(days=20),
                       address={"street": "Rue", "number": "1", "postcode": "1000", "municipality": "Bruxelles"})


def _member(niss: str, email: str) -> filing.Member:
    return filing.Member(niss=niss, first_name="Marie", last_name="Dupont", email=email, language="nl")


def test_the_database_keeps_one_waiting_request_per_invited_niss(db_session):
    coordinator = make_user(db_session, Role.COORDINATOR)
    niss = new_niss()

    def invited(status: str) -> VoucherRequest:
        invitation = MemberInvitation(coordinator_id=coordinator.id, niss=niss, email="m@example.be")
        db_session.add(invitation)
        db_session.flush()
        request = VoucherRequest(invitation_id=invitation.id, coordinator_id=coordinator.id, consent_on=date.today(),
                                 member_niss=niss, status=status)
        db_session.add(request)
        return request

    invited("rejected")  # a closed request blocks nothing
    invited("submitted")
    db_session.flush()
    invited("info_requested")
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.flush()


def test_a_joined_member_s_request_no_longer_holds_the_typed_niss(client, db_session, request_body, today):
    from tests.support.web import bearer
    from tests.vouchers.coordinator_support import file, filing_body, join_link

    coordinator = make_user(db_session, Role.COORDINATOR, language="en")
    body = filing_body(request_body, today)
    request_id = file(client, bearer(client, coordinator.email), body)["id"]
    assert db_session.get(VoucherRequest, request_id).member_niss == body["beneficiary"]["niss"]
    from tests.support.factories import PASSWORD
    from tests.support.web import post_form

    identity = body["beneficiary"]
    joined = post_form(client, join_link(db_session, identity["email"]), {
        "first_name": "Marie", "last_name": "Dupont", "password": PASSWORD, "password_repeat": PASSWORD,
        "language": "en"})
    assert joined.status_code == 302
    db_session.expire_all()
    request = db_session.get(VoucherRequest, request_id)
    assert request.beneficiary_id is not None and request.member_niss is None


def test_two_coordinators_filing_for_one_member_at_once_leave_one_request(app, monkeypatch):
    from portal.db import db

    today = today_in_brussels()
    with app.app_context():
        engine = db.engine
    with Session(engine) as setup:
        provider = make_provider(setup)
        coordinators = [make_user(setup, Role.COORDINATOR) for _ in range(2)]
        setup.commit()
        ids = {"provider": provider.id, "coordinators": [c.id for c in coordinators]}
    niss = new_niss()

    # On PostgreSQL both pass the check for an open request before either writes: only the database can then
    # refuse the second. SQLite serialises whole transactions (BEGIN IMMEDIATE), so there the two simply queue.
    barrier = threading.Barrier(2) if engine.dialect.name == "postgresql" else None
    checked = filing.refuse_open_items

    def check_then_wait(session: Session, typed: str) -> None:
        checked(session, typed)
        if barrier is not None:
            barrier.wait(timeout=10)

    monkeypatch.setattr(filing, "refuse_open_items", check_then_wait)
    outcomes: list[str] = []
    lock = threading.Lock()

    def file_as(index: int) -> None:
        from portal.auth.models import User

        with Session(engine) as session:
            coordinator = session.get(User, ids["coordinators"][index])
            try:
                filing.file_for_member(session, coordinator, _member(niss, f"member{index}@example.be"),
                                       _data(ids["provider"], today), consent_on=today, today=today, now=utcnow())
                session.commit()
                result = "filed"
            except Conflict as error:
                session.rollback()
                result = f"conflict:{error.code}"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=file_as, args=(index,)) for index in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes) == ["conflict:open_request_exists", "filed"], outcomes
        with Session(engine) as check:
            waiting = check.scalar(select(func.count()).select_from(VoucherRequest).where(
                VoucherRequest.member_niss == niss, VoucherRequest.status.in_(filing.WAITING_STATES)))
            assert waiting == 1
    finally:
        wipe_all(engine)
