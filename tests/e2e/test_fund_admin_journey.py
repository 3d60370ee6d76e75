"""The fund administrator's day, in a browser: from the front page, log in, approve a provider's claim,
produce the SEPA payout file, import the bank statement that brings an employer's contribution, and read
the period's reconciliation down to the fund's balance. axe (WCAG 2.1 A/AA) runs on every page."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from lxml import etree
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible, enter_second_factor
from tests.support.factories import PASSWORD
from tests.vouchers.bank_statements.conftest import Entry, Tx, camt


@pytest.fixture
def fund_world(live_app: Flask) -> dict[str, Any]:
    """A claim waiting for the fund (one confirmed 2-hour session, €300) and an employer's contribution due,
    both made through the services people use, and a fund administrator."""
    from sqlalchemy import select

    from coaching.calendar.services.sessions import (
        SessionPlan,
        confirm_session,
        log_session,
        schedule_session,
    )
    from coaching.claims.services import submit_claim
    from coaching.providers.services.offers import (
        accept_voucher,
        add_coach,
        create_offer,
    )
    from portal.clock import BRUSSELS, today_in_brussels, utcnow
    from portal.db import db
    from portal.permissions import Role
    from tests.support.factories import make_provider, make_user, new_niss
    from vouchers.employers.services.declarations import (
        DeclarationData,
        declare_dismissal,
    )
    from vouchers.requests.models import Voucher
    from vouchers.requests.services.requests import (
        RequestData,
        decide_voucher_request,
        submit_voucher_request,
    )

    today = today_in_brussels()
    tag = secrets.token_hex(3)
    with live_app.app_context():
        session = db.session
        provider = make_provider(session, name=f"Horizon {tag}")
        staff = make_user(session, Role.PROVIDER_ADMIN, provider_id=provider.id, language="en")
        fund = make_user(session, Role.FUND_ADMIN, language="en")
        person = make_user(session, Role.BENEFICIARY, language="en")
        request = submit_voucher_request(session, person, RequestData(
            provider_id=provider.id, insurer_code=100, initiative="own", force_majeure=True,
            contract_end_on=today - timedelta(days=20),
            address={"street": "Rue Haute", "number": "5", "postcode": "1000", "municipality": "Bruxelles"}),
            today=today, now=utcnow())
        decide_voucher_request(session, fund, request.id, "approve", None, today=today, now=utcnow(),
                               medical_check_ok=True)
        voucher = session.scalar(select(Voucher).where(Voucher.request_id == request.id))
        offer = create_offer(session, staff, name="12 h", individual_hours=12, collective_sessions=0,
                             individual_unit_cents=None, collective_unit_cents=None, today=today)
        coach, _user = add_coach(session, staff, name="Marc Lejeune", email=f"marc-{tag}@example.be")
        accept_voucher(session, staff, voucher.id, offer.id, now=utcnow())
        starts = datetime.combine(today + timedelta(days=1), time(10, 0), tzinfo=BRUSSELS)
        booked = schedule_session(session, staff, SessionPlan(
            coach_id=coach.id, kind="individual", voucher_ids=[voucher.id], starts_at=starts, duration_minutes=120,
            location="Rue Haute 5, Bruxelles"), now=utcnow())
        held = booked.ends_at  # a session is logged once it took place
        log_session(session, staff, booked.id, {voucher.id: "attended"}, 120, None, now=held)
        confirm_session(session, person, booked.id, now=held)
        claim = submit_claim(session, staff, voucher.id, [booked.id], now=utcnow())

        clerk = make_user(session, Role.EMPLOYER, language="en")
        declared = declare_dismissal(session, clerk, DeclarationData(
            worker_first_name="Ana", worker_last_name="Peeters", worker_niss=new_niss(),
            contract_end_on=today - timedelta(days=10)), today=today, now=utcnow())
        contribution = declared.declaration.contribution
        world = {"admin": fund.email, "claim_id": claim.id, "claim_cents": claim.amount_cents,
                 "provider": provider.name, "reference": contribution.structured_reference, "today": today,
                 "tag": tag}
        session.commit()
    return world


def test_claim_payout_statement_and_reconciliation(page: Page, fund_world: dict[str, Any], tmp_path) -> None:
    assert fund_world["claim_cents"] == 30000  # 2 h at the default €150

    # Log in from the front page.
    page.goto("/")
    page.get_by_role("link", name="Log in").first.click()
    assert_accessible(page)
    page.get_by_label("E-mail address").fill(fund_world["admin"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    enter_second_factor(page, fund_world["admin"])  # fund administrators sign in with a code from their app
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)

    # 1. Approve the provider's claim, after reading its sessions.
    page.goto("/admin/fund/claims")
    assert_accessible(page)
    claim_label = f"Claim {fund_world['claim_id']}"
    page.get_by_role("link", name=claim_label, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(fund_world["provider"])
    assert_accessible(page)
    page.get_by_role("button", name=f"Approve claim {fund_world['claim_id']}").click()
    expect(page.locator("#claim-status")).to_have_text("Approved")
    assert_accessible(page)

    # 2. Bundle it into a payout batch and download the SEPA file.
    page.get_by_role("navigation", name="Fund administration menu").get_by_role("link", name="Payouts").click()
    assert_accessible(page)
    page.get_by_role("button", name="Create the payout file").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Payout batch")
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.locator("#download").click()
    saved = tmp_path / "pain001.xml"
    download_info.value.save_as(saved)
    document = etree.parse(str(saved))
    namespace = {"p": document.getroot().nsmap[None]}
    assert document.getroot().tag.endswith("Document") and "pain.001" in namespace["p"]
    end_to_end = document.xpath("//p:CdtTrfTxInf/p:PmtId/p:EndToEndId/text()", namespaces=namespace)
    amounts = document.xpath("//p:CdtTrfTxInf/p:Amt/p:InstdAmt/text()", namespaces=namespace)
    assert any(str(fund_world["claim_id"]) in ref for ref in end_to_end)
    assert "300.00" in amounts

    # 3. Import the bank statement: the employer's €1,800 with its structured reference, and a payment
    #    nobody can place.
    statement = camt([
        Entry("1800.00", booked_on=fund_world["today"].isoformat(), acct_svcr_ref=f"E2E-{fund_world['tag']}-1",
              txs=[Tx(reference=fund_world["reference"])]),
        Entry("250.00", booked_on=fund_world["today"].isoformat(), acct_svcr_ref=f"E2E-{fund_world['tag']}-2",
              txs=[Tx(ustrd="gift without reference", debtor="Somebody")]),
    ], statement_id=f"E2E-{fund_world['tag']}", sequence=None)
    statement_file = tmp_path / "statement.xml"
    statement_file.write_bytes(statement)
    page.get_by_role("navigation", name="Fund administration menu").get_by_role("link", name="Bank statements").click()
    assert_accessible(page)
    page.get_by_label("CAMT.053 file").set_input_files(str(statement_file))
    page.get_by_role("button", name="Import the statement").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"E2E-{fund_world['tag']}")
    expect(page.locator("#statement-figures")).to_contain_text("€1,800.00")
    assert_accessible(page)

    # 4. The reconciliation of this month: the unknown €250 waits, and the figures link to their rows.
    page.get_by_role("navigation", name="Fund administration menu").get_by_role("link", name="Reconciliation").click()
    expect(page.get_by_role("heading", level=1, name="Reconciliation of a period")).to_be_visible()
    assert_accessible(page)
    expect(page.locator("#unmatched")).to_contain_text("€250.00")
    expect(page.locator("#cents-fund-balance")).to_have_text(re.compile(r"€[\d,]+\.\d\d"))
    page.locator("#link-unmatched").click()
    expect(page.get_by_text("gift without reference")).to_be_visible()
    assert_accessible(page)
