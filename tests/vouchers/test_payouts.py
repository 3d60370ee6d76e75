"""Payout batches: approved claims -> one pain.001.001.03 file that validates, paid once, never twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import func, select

from coaching.calendar.models import CoachingSession
from coaching.claims.models import Claim
from coaching.providers.models import Coach, Offer, Provider
from portal.clock import BRUSSELS, utcnow
from portal.errors import Conflict, Forbidden, ValidationFailed
from portal.permissions import Role
from tests.support.factories import make_provider, make_user, unique
from tests.support.shared_data import BANKING
from tests.support.web import bearer, login, post_form
from vouchers.banking.services import payouts
from vouchers.ledger.models import LedgerEntry
from vouchers.ledger.services import entries as ledger
from vouchers.requests.models import Voucher

XSD = BANKING / "xsd" / "pain.001.001.03.xsd"
NS = {"p": payouts.PAIN_NAMESPACE}
DEBTOR = {"debtor_iban": "BE71 0961 2345 6769", "debtor_name": "Fonds Retour au Travail", "debtor_bic": "GKCCBEBB"}


# --- building approved claims through the services, as the course really goes -------------------


@dataclass
class Course:
    """One provider with its staff and coach; each ``run`` adds a voucher taken through a session to a claim."""

    db: Any
    fund: Any
    today: date
    provider: Provider
    staff: Any
    coach: Coach
    offer: Offer
    slots: int = 0
    vouchers: list[Voucher] = field(default_factory=list)

    def next_start(self) -> datetime:
        self.slots += 1
        day = self.today + timedelta(days=1 + self.slots // 3)
        local = datetime.combine(day, time(9, 0), tzinfo=BRUSSELS) + timedelta(hours=3 * (self.slots % 3))
        return local.astimezone(timezone.utc)

    def voucher(self) -> tuple[Voucher, Any]:
        from coaching.providers.services.offers import accept_voucher
        from vouchers.requests.services.requests import (
            RequestData,
            decide_voucher_request,
            submit_voucher_request,
        )

        person = make_user(self.db, Role.BENEFICIARY, language="en")
        data = RequestData(provider_id=self.provider.id, insurer_code=100, initiative="coordinator",
                           force_majeure=True, contract_end_on=self.today - timedelta(days=5),
                           address={"street": "Rue", "number": "1", "postcode": "1000", "municipality": "Bruxelles"})
        request = submit_voucher_request(self.db, person, data, today=self.today, now=utcnow())
        decide_voucher_request(self.db, self.fund, request.id, "approve", None, today=self.today, now=utcnow())
        voucher = self.db.scalar(select(Voucher).where(Voucher.request_id == request.id))
        accept_voucher(self.db, self.staff, voucher.id, self.offer.id, now=utcnow())
        self.vouchers.append(voucher)
        return voucher, person

    def session(self, voucher: Voucher, person: Any, *, minutes: int = 60, answer: str = "confirm") -> CoachingSession:
        from coaching.calendar.services.sessions import (
            SessionPlan,
            confirm_session,
            log_session,
            schedule_session,
        )
        from coaching.disputes.services import dispute_session

        booked = schedule_session(self.db, self.staff, SessionPlan(coach_id=self.coach.id, kind="individual",
                                                                   voucher_ids=[voucher.id],
                                                                   starts_at=self.next_start(),
                                                                   duration_minutes=minutes), now=utcnow())
        held = max(utcnow(), booked.ends_at)  # a session is logged once it took place
        log_session(self.db, self.staff, booked.id, {voucher.id: "attended"}, minutes, "Neutral note.", now=held)
        if answer == "confirm":
            confirm_session(self.db, person, booked.id, now=held)
        elif answer == "dispute":
            dispute_session(self.db, person, booked.id, "I was not there that day", now=held)
        return booked

    def claim(self, *, minutes: int = 60, approve: bool = True, sessions: int = 1) -> Claim:
        from coaching.claims.services import approve_claim, submit_claim

        voucher, person = self.voucher()
        booked = [self.session(voucher, person, minutes=minutes) for _ in range(sessions)]
        claim = submit_claim(self.db, self.staff, voucher.id, [b.id for b in booked], now=utcnow())
        if approve:
            approve_claim(self.db, self.fund, claim.id, today=self.today, now=utcnow())
        return claim


def start_course(db_session, fund, today, **provider_fields: Any) -> Course:
    from coaching.providers.services.offers import add_coach, create_offer

    provider = make_provider(db_session, **provider_fields)
    staff = make_user(db_session, Role.PROVIDER_ADMIN, provider_id=provider.id, language="en")
    offer = create_offer(db_session, staff, name="12 h", individual_hours=12, collective_sessions=0,
                         individual_unit_cents=None, collective_unit_cents=None, today=today)
    coach, _user = add_coach(db_session, staff, name="Inès Dubois", email=f"{unique('coach')}@example.be")
    ledger.record_funding(db_session, amount_cents=10 * 180_000, booked_on=today, memo="test budget")
    return Course(db_session, fund, today, provider, staff, coach, offer)


@pytest.fixture
def course(db_session, admin, today) -> Course:
    return start_course(db_session, admin, today)


def xsd_schema() -> etree.XMLSchema:
    assert XSD.exists(), f"the shared pain.001 schema is missing: {XSD}"
    return etree.XMLSchema(etree.parse(str(XSD)))


def parse_valid(xml: str | bytes) -> etree._Element:
    document = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    schema = xsd_schema()
    assert schema.validate(document), schema.error_log
    return document


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


# --- the file -------------------------------------------------------------------------------


def test_the_file_validates_and_pays_each_claim_to_its_provider(db_session, admin, today, course):
    other = start_course(db_session, admin, today)
    claims = [course.claim(), course.claim(minutes=90), other.claim(sessions=2)]
    course.claim(approve=False)  # submitted only: not paid yet
    batch = payouts.create_payout_batch(db_session, admin, today=today, now=utcnow(), xsd_path=str(XSD), **DEBTOR)

    assert batch.claim_count == 3 and batch.status == "created"
    assert batch.total_cents == sum(c.amount_cents for c in claims) == 15000 + 22500 + 30000
    document = parse_valid(batch.xml)
    header = document.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header.findtext("p:MsgId", namespaces=NS) == batch.message_id
    assert header.findtext("p:NbOfTxs", namespaces=NS) == "3"
    assert cents(header.findtext("p:CtrlSum", namespaces=NS)) == batch.total_cents
    info = document.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert info.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == "BE71096123456769"
    assert info.findtext("p:ReqdExctnDt", namespaces=NS) == today.isoformat()
    transfers = info.findall("p:CdtTrfTxInf", NS)
    assert sum(cents(t.findtext("p:Amt/p:InstdAmt", namespaces=NS)) for t in transfers) == batch.total_cents
    by_claim = {t.findtext("p:RmtInf/p:Ustrd", namespaces=NS): t for t in transfers}
    assert set(by_claim) == {f"TNW claim {c.id}" for c in claims}
    for claim in claims:
        transfer = by_claim[f"TNW claim {claim.id}"]
        provider = db_session.get(Provider, claim.provider_id)
        assert transfer.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == provider.iban
        assert cents(transfer.findtext("p:Amt/p:InstdAmt", namespaces=NS)) == claim.amount_cents
        assert transfer.find("p:Amt/p:InstdAmt", NS).get("Ccy") == "EUR"
        assert transfer.findtext("p:PmtId/p:EndToEndId", namespaces=NS) == f"TNW-CLAIM-{claim.id}"
        assert transfer.find("p:RmtInf/p:Strd", NS) is None  # free text or a reference, never both
        assert claim.payout_batch_id == batch.id


def test_a_broken_file_is_refused_by_the_schema_check():
    good = payouts.build_pain001(payouts.DebtorAccount("BE71096123456769", "Fund", "GKCCBEBB"),
                                 [payouts.Transfer(7, "Provider", "BE71096123456769", 12345)],
                                 message_id="TNW-TEST-1", execution_on=date(2026, 12, 1), now=utcnow())
    payouts.validate_pain001(good, XSD)
    broken = good.replace(b"<MsgId>TNW-TEST-1</MsgId>", b"")
    with pytest.raises(payouts.PayoutFileInvalid):
        payouts.validate_pain001(broken, XSD)


def test_nothing_approved_is_a_conflict(db_session, admin, today, course):
    course.claim(approve=False)
    with pytest.raises(Conflict) as refused:
        payouts.create_payout_batch(db_session, admin, today=today, now=utcnow(), **DEBTOR)
    assert refused.value.code == "nothing_to_pay"


def test_a_claim_joins_one_batch_only(db_session, admin, today, course):
    first_claim = course.claim()
    first = payouts.create_payout_batch(db_session, admin, today=today, now=utcnow(), **DEBTOR)
    with pytest.raises(Conflict):
        payouts.create_payout_batch(db_session, admin, today=today, now=utcnow(), **DEBTOR)
    second_claim = course.claim()
    second = payouts.create_payout_batch(db_session, admin, today=today, now=utcnow(), **DEBTOR)
    assert (first_claim.payout_batch_id, second_claim.payout_batch_id) == (first.id, second.id)
    assert second.claim_count == 1 and second.message_id != first.message_id


def test_a_provider_without_a_valid_iban_stops_the_batch(db_session, admin, today):
    broken = start_course(db_session, admin, today)
    broken.claim()
    broken.provider.iban = "BE00 0000 0000 0000"
    with pytest.raises(Conflict) as refused:
        payouts.create_payout_batch(db_session, admin, today=today, now=utcnow(), **DEBTOR)
    assert refused.value.code == "provider_iban_invalid"


def test_the_fund_account_must_be_valid(db_session, admin, today, course):
    course.claim()
    with pytest.raises(ValidationFailed) as refused:
        payouts.create_payout_batch(db_session, admin, today=today, now=utcnow(), debtor_iban="BE68 5390 0754 7034",
                                    debtor_name="", debtor_bic="NOTABIC")
    assert set(refused.value.fields) == {"debtor_iban", "debtor_name", "debtor_bic"}


def test_only_the_fund_makes_batches(db_session, today, course):
    with pytest.raises(Forbidden):
        payouts.create_payout_batch(db_session, course.staff, today=today, now=utcnow(), **DEBTOR)


# --- paid once, never twice -----------------------------------------------------------------


def _ledger_sum(db_session, **where: Any) -> int:
    query = select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
    for name, value in where.items():
        query = query.where(getattr(LedgerEntry, name) == value)
    return int(db_session.scalar(query))


def test_a_batch_is_paid_once_and_moves_the_money_once(db_session, admin, today, course):
    claims = [course.claim(), course.claim(minutes=120)]
    before = ledger.fund_position(db_session)
    batch = payouts.create_payout_batch(db_session, admin, today=today, now=utcnow(), **DEBTOR)
    assert ledger.fund_position(db_session) == before  # a file is not a payment
    payouts.mark_batch_paid(db_session, admin, batch.id, today=today, now=utcnow())

    after = ledger.fund_position(db_session)
    assert after.cash_cents == before.cash_cents - batch.total_cents
    assert after.payable_cents == before.payable_cents - batch.total_cents == 0
    assert after.available_cents == before.available_cents
    assert batch.status == "paid" and batch.paid_on == today
    for claim in claims:
        assert (claim.status, claim.paid_on) == ("paid", today)
        assert _ledger_sum(db_session, claim_id=claim.id, account="cash") == -claim.amount_cents
        assert _ledger_sum(db_session, claim_id=claim.id, account="payable") == 0
    with pytest.raises(Conflict) as again:
        payouts.mark_batch_paid(db_session, admin, batch.id, today=today, now=utcnow())
    assert again.value.code == "already_paid"
    assert ledger.fund_position(db_session) == after
    assert db_session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "claim_paid")) == 4


def test_a_claim_paid_elsewhere_is_never_paid_again(db_session, admin, today, course):
    claim = course.claim()
    batch = payouts.create_payout_batch(db_session, admin, today=today, now=utcnow(), **DEBTOR)
    claim.status = "paid"  # as if paid by another route in the meantime
    db_session.flush()
    with pytest.raises(Conflict) as refused:
        payouts.mark_batch_paid(db_session, admin, batch.id, today=today, now=utcnow())
    assert refused.value.code == "claims_not_payable"
    assert _ledger_sum(db_session, kind="claim_paid") == 0


# --- the API --------------------------------------------------------------------------------


def test_api_creates_downloads_and_pays_a_batch(client, db_session, admin, admin_headers, course):
    claims = [course.claim(), course.claim()]
    created = client.post("/api/v1/admin/payout-batches", headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["claim_count"] == 2 and body["total_cents"] == sum(c.amount_cents for c in claims)
    assert body["download_url"] == f"/api/v1/admin/payout-batches/{body['id']}/pain.001.xml"
    download = client.get(body["download_url"], headers=admin_headers)
    assert download.status_code == 200 and download.mimetype == "application/xml"
    document = parse_valid(download.data)
    assert cents(document.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS)) == body["total_cents"]

    again = client.post("/api/v1/admin/payout-batches", headers=admin_headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "nothing_to_pay"
    paid = client.post(f"/api/v1/admin/payout-batches/{body['id']}/mark-paid", headers=admin_headers)
    assert paid.status_code == 200 and paid.get_json()["status"] == "paid"
    twice = client.post(f"/api/v1/admin/payout-batches/{body['id']}/mark-paid", headers=admin_headers)
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "already_paid"
    listed = client.get("/api/v1/admin/payout-batches", headers=admin_headers).get_json()
    assert [b["id"] for b in listed["items"]] == [body["id"]] and listed["next_cursor"] is None
    assert client.get("/api/v1/admin/payout-batches/999999", headers=admin_headers).status_code == 404


def test_api_payouts_are_for_the_fund_only(client, db_session, course):
    course.claim()
    staff_headers = bearer(client, course.staff.email)
    assert client.post("/api/v1/admin/payout-batches", headers=staff_headers).status_code == 403
    assert client.post("/api/v1/admin/payout-batches").status_code == 401
    assert client.get("/api/v1/admin/payout-batches/1/pain.001.xml").status_code == 401


def test_runtime_validation_uses_the_configured_schema(app, client, admin_headers, course, monkeypatch):
    course.claim()
    monkeypatch.setitem(app.config, "PAIN001_XSD_PATH", str(XSD))
    calls = []
    original = payouts.validate_pain001
    monkeypatch.setattr(payouts, "validate_pain001", lambda xml, path: calls.append(path) or original(xml, path))
    assert client.post("/api/v1/admin/payout-batches", headers=admin_headers).status_code == 201
    assert calls == [str(XSD)]


# --- the pages ------------------------------------------------------------------------------


def test_pages_create_download_and_mark_a_batch_paid(client, db_session, admin, course):
    claim = course.claim()
    assert login(client, admin.email).status_code == 302
    page = client.get("/admin/fund/payouts")
    assert page.status_code == 200 and "1 approved claim" in page.get_data(as_text=True)
    created = post_form(client, "/admin/fund/payouts", {})
    assert created.status_code == 302
    batch_url = created.headers["Location"]
    batch_id = int(batch_url.rstrip("/").split("/")[-1])
    detail = client.get(batch_url).get_data(as_text=True)
    assert f"/admin/fund/payouts/{batch_id}/pain.001.xml" in detail and f"Claim {claim.id}" in detail
    download = client.get(f"/admin/fund/payouts/{batch_id}/pain.001.xml")
    assert download.mimetype == "application/xml"
    parse_valid(download.data)
    unconfirmed = post_form(client, f"/admin/fund/payouts/{batch_id}/mark-paid", {}, token_from=batch_url)
    assert unconfirmed.status_code == 422 and "Tick the box to confirm." in unconfirmed.get_data(as_text=True)
    paid = post_form(client, f"/admin/fund/payouts/{batch_id}/mark-paid", {"confirm": "y"}, token_from=batch_url)
    assert paid.status_code == 302
    db_session.refresh(claim)
    assert claim.status == "paid"
    again = post_form(client, f"/admin/fund/payouts/{batch_id}/mark-paid", {"confirm": "y"}, token_from=batch_url,
                      follow_redirects=True)
    assert "already marked as paid" in again.get_data(as_text=True)
    nothing = post_form(client, "/admin/fund/payouts", {}, token_from="/admin/fund/payouts")
    assert nothing.status_code == 409 and "No approved claim is waiting" in nothing.get_data(as_text=True)


def test_the_page_names_the_provider_whose_iban_is_wrong(client, db_session, admin, today):
    broken = start_course(db_session, admin, today, name="No Iban Coaching SRL")
    claim = broken.claim()
    broken.provider.iban = ""
    assert login(client, admin.email).status_code == 302
    refused = post_form(client, "/admin/fund/payouts", {})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "Some providers have no valid IBAN" in text and f"claim {claim.id}: provider" in text
    assert "No Iban Coaching SRL" in text
    db_session.refresh(claim)
    assert claim.payout_batch_id is None
