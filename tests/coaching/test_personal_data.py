"""A person's data, from every package (portal/privacy.py with the voucher side's and the provider side's shares):
the export holds all of it, and closing the account leaves nothing that names the person in any table."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import String, Text, func, or_, select

from portal import audit
from portal.auth import recovery, two_step
from portal.auth.models import ApiToken, RecoveryCode, User
from portal.clock import utcnow
from portal.db import db
from portal.mail import OutboxMessage, deliver
from portal.notifications.models import Notification, NotificationOptOut
from portal.permissions import Role
from tests.support.factories import PASSWORD, TOTP_SECRET, make_employer, make_user
from tests.support.identity import prove_niss
from tests.support.web import bearer, login, post_form

EN = {"Accept-Language": "en"}
FIRST, LAST = "Zéphyrine", "Quaghebeur"
STREET = "Rue des Zéphyrs Oubliés"
SESSION_NOTE = "Spoke about her sleep troubles and her fear of going back"
GROUP_NOTE = "The group practised interviews"
DISPUTE_REASON = "I was at the hospital that morning"
ESCALATION = "Zéphyrine Quaghebeur signed the attendance sheet herself."
DECISION = "The sheet signed by Quaghebeur settles it."


@pytest.fixture
def world(app, client, db_session, provider, provider_admin, fund_admin, offer, coach, slot, today):
    """A beneficiary whose NISS is proven and declared by an employer, with a voucher, an individual session (noted,
    disputed, escalated, decided, claimed), a group session, notices and e-mails, an API token, two-step sign-in
    with recovery codes, a notice turned off, and their file read by the fund."""
    from coaching.calendar.services.sessions import (
        SessionPlan,
        log_session,
        schedule_session,
    )
    from coaching.claims.services import submit_claim
    from coaching.disputes.models import SessionDispute
    from coaching.disputes.services import (
        decide_dispute,
        dispute_session,
        escalate_dispute,
    )
    from coaching.providers.services.offers import accept_voucher
    from vouchers.employers.models import Declaration
    from vouchers.requests.models import Voucher
    from vouchers.requests.services.requests import (
        RequestData,
        decide_voucher_request,
        submit_voucher_request,
    )

    person = make_user(db_session, Role.BENEFICIARY, language="en")
    person.first_name, person.last_name = FIRST, LAST
    beneficiary = prove_niss(db_session, person)
    employer = make_employer(db_session)
    clerk = make_user(db_session, Role.EMPLOYER, employer_id=employer.id)
    issued_on = today - timedelta(days=40)
    db_session.add(Declaration(employer_id=employer.id, declared_by_id=clerk.id, worker_first_name=FIRST,
                               worker_last_name=LAST, worker_niss=beneficiary.niss,
                               contract_end_on=issued_on - timedelta(days=5), declared_on=issued_on - timedelta(days=4),
                               declaration_due_on=issued_on + timedelta(days=20)))
    data = RequestData(provider_id=provider.id, insurer_code=100, initiative="coordinator", force_majeure=True,
                       contract_end_on=issued_on - timedelta(days=5),
                       address={"street": STREET, "number": "7", "postcode": "1000", "municipality": "Bruxelles"})
    request = submit_voucher_request(db_session, person, data, today=issued_on, now=utcnow())
    decide_voucher_request(db_session, fund_admin, request.id, "approve", None, today=issued_on, now=utcnow())
    voucher = db_session.scalar(select(Voucher).where(Voucher.request_id == request.id))
    accept_voucher(db_session, provider_admin, voucher.id, offer.id, now=utcnow())
    individual = schedule_session(db_session, provider_admin, SessionPlan(
        coach_id=coach.id, kind="individual", voucher_ids=[voucher.id], starts_at=slot(4), duration_minutes=90),
        now=utcnow())
    log_session(db_session, provider_admin, individual.id, {voucher.id: "attended"}, 90, SESSION_NOTE, now=utcnow())
    group = schedule_session(db_session, provider_admin, SessionPlan(
        coach_id=coach.id, kind="collective", voucher_ids=[voucher.id], starts_at=slot(4), duration_minutes=210),
        now=utcnow())
    log_session(db_session, provider_admin, group.id, {voucher.id: "attended"}, 210, GROUP_NOTE, now=utcnow())
    dispute_session(db_session, person, individual.id, DISPUTE_REASON, now=utcnow())
    dispute = db_session.scalar(select(SessionDispute).order_by(SessionDispute.id.desc()))
    escalate_dispute(db_session, provider_admin, dispute.id, ESCALATION, now=utcnow())
    decide_dispute(db_session, fund_admin, dispute.id, decision="dismiss", note=DECISION, now=utcnow())
    claim = submit_claim(db_session, provider_admin, voucher.id, [individual.id], now=utcnow())
    db_session.add(NotificationOptOut(user_id=person.id, kind="session_reminder"))
    db_session.commit()

    # The fund reads the request on its page (a read of the person's file, logged), and the claim.
    fund = app.test_client()
    login(fund, fund_admin.email)
    assert fund.get(f"/admin/requests/{request.id}").status_code == 200
    audit.record_read(db_session, actor=fund_admin, object_type="claim", object_id=claim.id, now=utcnow())
    # An API token, then two-step sign-in with its recovery codes.
    bearer(app.test_client(), person.email)
    two_step.turn_on(db_session, person, TOTP_SECRET, now=utcnow())
    recovery.replace_codes(db_session, person, now=utcnow())
    # The e-mails the notices queued are sent: the outbox keeps their words (a provider's names the person).
    with app.test_request_context():
        deliver(db_session, app.extensions["portal_mail_transport"], app.config["MAIL_SENDER"])
    voucher.status = "completed"  # the course is over: nothing open stops the account from closing
    db_session.commit()
    return {"person": person, "email": person.email, "niss": beneficiary.niss, "request": request, "voucher": voucher,
            "individual": individual, "group": group, "dispute": dispute, "claim": claim, "employer": employer,
            "fund_admin": fund_admin, "provider_admin": provider_admin}


def _export(client, world) -> dict:
    login(client, world["email"])
    response = client.get("/account/data.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="my-data.json"'
    return json.loads(response.get_data(as_text=True))


def test_the_export_holds_everything_the_portal_holds_about_the_person(client, db_session, world):
    data = _export(client, world)
    raw = json.dumps(data)
    account = data["account"]
    assert (account["email"], account["first_name"], account["last_name"]) == (world["email"], FIRST, LAST)
    assert account["niss"] == world["niss"] and account["niss_proven_at"]
    assert account["two_step"]["on_since"] and account["two_step"]["recovery_codes_left"] == 10
    assert TOTP_SECRET not in raw and "$argon2" not in raw  # never a secret or a hash
    [request] = data["voucher_requests"]
    assert request["id"] == world["request"].id and request["street"] == STREET
    [voucher] = data["vouchers"]
    assert voucher["code"] == world["voucher"].code
    assert {u["coaching_session_id"] for u in data["voucher_use"]} >= {world["individual"].id, world["group"].id}
    [declared] = data["declared_dismissals"]
    assert declared["employer"] == world["employer"].company_name and declared["worker_last_name"] == LAST

    sessions = {s["session_id"]: s for s in data["coaching_sessions"]}
    individual, group = sessions[world["individual"].id], sessions[world["group"].id]
    assert individual["coach_note"] == SESSION_NOTE and individual["dispute_reason"] == DISPUTE_REASON
    assert individual["coach"] == "Inès Dubois" and individual["confirmation"] == "confirmed"
    assert group["kind"] == "collective" and group["coach_note"] is None  # the group's note is not about them
    [dispute] = data["disputes"]
    assert (dispute["status"], dispute["escalation_note"], dispute["resolution_note"]) == (
        "dismissed", ESCALATION, DECISION)
    [claim] = data["claims"]
    assert claim["claim_id"] == world["claim"].id and claim["amount_cents"] == world["claim"].amount_cents

    kinds = {n["kind"] for n in data["notifications"]}
    assert {"request_approved", "session_logged", "dispute_decided"} <= kinds
    assert data["notification_settings"] == {"turned_off": ["session_reminder"]}
    assert data["emails"] and all(e["to"] == world["email"] for e in data["emails"])
    assert any(e["sent_at"] and e["subject"] for e in data["emails"])
    assert data["sign_in"]["api_tokens"] and "token_hash" not in raw

    history = {(h["object"], h["object_id"], h["action"], h["to"]) for h in data["history"]}
    request_id, dispute_id = world["request"].id, world["dispute"].id
    assert {("voucher_request", request_id, "status_changed", "approved"), ("voucher", voucher["id"], "issued",
            "approved"), ("coaching_session", world["individual"].id, "logged", "logged"),
            ("session_dispute", dispute_id, "escalated", "escalated"), ("claim", claim["claim_id"], "submitted",
            "submitted"), ("user", world["person"].id, "recovery_codes_made", None)} <= history
    assert any(h["action"] == "disputed" and h["reason"] == DISPUTE_REASON for h in data["history"])
    reads = {(r["object"], r["object_id"], r["reader_role"], r["reader_name"]) for r in data["file_reads"]}
    fund = world["fund_admin"].display_name
    assert ("voucher_request", world["request"].id, "fund_admin", fund) in reads
    assert ("claim", world["claim"].id, "fund_admin", fund) in reads
    assert all(h["action"] != "viewed" for h in data["history"])


def test_a_typed_niss_exports_nothing_an_employer_declared(client, db_session):
    from vouchers.employers.models import Declaration
    from vouchers.requests.models import Beneficiary

    person = make_user(db_session, language="en")
    niss = db_session.scalar(select(Beneficiary.niss).where(Beneficiary.user_id == person.id))
    employer = make_employer(db_session)
    clerk = make_user(db_session, Role.EMPLOYER, employer_id=employer.id)
    day = utcnow().date() - timedelta(days=10)
    db_session.add(Declaration(employer_id=employer.id, declared_by_id=clerk.id, worker_first_name="A",
                               worker_last_name="B", worker_niss=niss, contract_end_on=day, declared_on=day,
                               declaration_due_on=day + timedelta(days=30)))
    login(client, person.email)
    data = client.get("/account/data.json").get_json()
    assert data["account"]["niss"] == niss and data["declared_dismissals"] == []
    assert employer.company_name not in json.dumps(data)


def _text_columns():
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text):
                yield table, column


def _where_found(db_session, needles: list[str]) -> set[tuple[str, str, str]]:
    found = set()
    for table, column in _text_columns():
        for needle in needles:
            if db_session.scalar(select(func.count()).select_from(table).where(
                    func.lower(column).contains(needle.lower(), autoescape=True))):
                found.add((table.name, column.name, needle))
    return found


def test_closing_leaves_nothing_that_names_the_person_in_any_table(client, db_session, world):
    person_id, email, niss = world["person"].id, world["email"], world["niss"]
    needles = [FIRST, LAST, email, niss, STREET, SESSION_NOTE, DISPUTE_REASON]
    before = _where_found(db_session, needles)
    # Sound: before closing, each of them is found, in the tables that hold it.
    assert {("users", "email", email), ("beneficiaries", "niss", niss), ("voucher_requests", "street", STREET),
            ("coaching_sessions", "note", SESSION_NOTE), ("session_seats", "dispute_reason", DISPUTE_REASON),
            ("audit_log", "reason", DISPUTE_REASON), ("session_disputes", "escalation_note", FIRST),
            ("outbox_messages", "recipient", email), ("notifications", "params", LAST)} <= before

    login(client, email)
    wrong = post_form(client, "/account/close", {"password": "not my password"}, headers=EN)
    assert wrong.status_code == 422
    closed = post_form(client, "/account/close", {"password": PASSWORD}, headers=EN)
    assert closed.status_code == 302

    # Only the employer's own filing keeps the worker's identity: its contributions rest on it.
    left = _where_found(db_session, needles)
    assert {(table, column) for table, column, _needle in left} <= {
        ("dismissal_declarations", "worker_first_name"), ("dismissal_declarations", "worker_last_name"),
        ("dismissal_declarations", "worker_niss")}, sorted(left)

    # Table by table: what went, and what stays without the person.
    db_session.expire_all()
    user = db_session.get(User, person_id)
    assert user.anonymised_at and not user.active and user.email.endswith("@anonymised.invalid")
    assert (user.first_name, user.last_name, user.last_login_at) == ("", "", None)
    assert (user.totp_secret, user.totp_enabled_at, user.totp_last_step) == (None, None, None)
    assert db_session.scalar(select(func.count()).select_from(RecoveryCode)
                             .where(RecoveryCode.user_id == person_id)) == 0
    assert db_session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == person_id)) == 0
    assert db_session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == person_id)) == 0
    assert db_session.scalar(select(func.count()).select_from(NotificationOptOut)
                             .where(NotificationOptOut.user_id == person_id)) == 0
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage).where(or_(
        OutboxMessage.user_id == person_id, OutboxMessage.recipient == email))) == 0
    # What the provider was told about the voucher stays, without the name.
    assigned = db_session.scalars(select(Notification).where(Notification.kind == "voucher_assigned",
                                                             Notification.object_id == world["voucher"].id)).all()
    assert assigned and all(json.loads(n.params)["beneficiary"] == "—" for n in assigned)
    dispute = world["dispute"]
    db_session.refresh(dispute)
    assert dispute.escalation_note == "— signed the attendance sheet herself."
    assert dispute.resolution_note == "The sheet signed by — settles it." and dispute.status == "dismissed"
    group = world["group"]
    db_session.refresh(group)
    assert group.note == GROUP_NOTE  # the group's record
    # The money records stay whole.
    claim = world["claim"]
    db_session.refresh(claim)
    assert claim.amount_cents > 0 and db_session.get(type(world["voucher"]), world["voucher"].id).code
    # And the account opens nothing any more.
    assert client.get("/my").status_code == 302
    assert post_form(client.application.test_client(), "/login", {"email": email, "password": PASSWORD}
                     ).status_code == 422
