"""Which card payment the declaration page offers, and the demo's test payment.

- A demo as the README runs it (no Stripe key, ALLOW_FAKE_PAYMENTS, neither debug nor testing): a "test card"
  button, paid through the services a real card takes: the contribution is paid, one ledger entry, the employer told.
- Production without keys: no card button, and no test payment (404).
- With a publishable key: the Stripe.js page, as before; no test payment.
And a late declaration's page says each warning once.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.clock import utcnow
from portal.errors import NotFound
from portal.payments import FakeGateway, StripeGateway, UnconfiguredGateway
from tests.support.factories import new_niss
from tests.support.notices import told_exactly
from tests.support.web import login, post_form
from vouchers.employers.services import declarations as declaration_services
from vouchers.employers.services.demo_payments import (
    card_payment_mode,
    pay_with_test_card,
)

TEST_BUTTON = re.compile(r'<form method="post" action="(/employer/declarations/\d+/pay/test)"')


def _run_as(app, monkeypatch, *, testing=False, debug=False, allow_fake=False, secret="", publishable=""):
    """The test app as another portal would run (restored afterwards); its gateway chosen again from the settings."""
    monkeypatch.setitem(app.config, "TESTING", testing)
    monkeypatch.setitem(app.config, "DEBUG", debug)
    monkeypatch.setitem(app.config, "ALLOW_FAKE_PAYMENTS", allow_fake)
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", secret)
    monkeypatch.setitem(app.config, "STRIPE_PUBLISHABLE_KEY", publishable)
    monkeypatch.setitem(app.extensions, "payment_gateway", None)


@pytest.fixture
def demo(app, monkeypatch):
    """As the README's demo runs: `ALLOW_FAKE_PAYMENTS=1 flask run`, no Stripe key."""
    _run_as(app, monkeypatch, allow_fake=True)
    return app


def _declare(client, today, **overrides) -> str:
    data = {"worker_first_name": "Amélie", "worker_last_name": "Peeters", "worker_niss": new_niss(),
            "contract_end_on": (today - timedelta(days=10)).isoformat(), "physician_decision_on": ""}
    data.update(overrides)
    response = post_form(client, "/employer/declare", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def _ledger_entries(db_session, contribution_id: int) -> list[tuple[str, int]]:
    from vouchers.ledger.models import LedgerEntry

    return [(e.kind, e.amount_cents) for e in db_session.scalars(
        select(LedgerEntry).where(LedgerEntry.contribution_id == contribution_id).order_by(LedgerEntry.id))]


@pytest.mark.parametrize("gateway,publishable,expected", [
    (FakeGateway(), "", "test"),                                   # a demo or development run
    (FakeGateway(), "pk_test_x", "stripe"),                         # a publishable key: Stripe.js, as before
    (StripeGateway("sk_test_x"), "pk_test_x", "stripe"),
    (StripeGateway("sk_test_x"), "", None),                         # Stripe.js could not load without it
    (UnconfiguredGateway(), "", None),                              # production without a key
    (UnconfiguredGateway(), "pk_live_x", None),                     # a publishable key alone takes no money
])
def test_card_payment_mode(gateway, publishable, expected):
    assert card_payment_mode(gateway, publishable) == expected


def test_the_demo_clerk_pays_with_a_test_card_through_the_real_payment_services(app, client, db_session, demo,
                                                                               employer_user, today):
    login(client, employer_user.email)
    location = _declare(client, today)
    page = client.get(location).get_data(as_text=True)
    action = TEST_BUTTON.search(page)
    assert action, "the demo shows a card button"
    assert "Pay €1,800.00 with a test card" in page and "No card details are asked" in page
    assert "js.stripe.com" not in page and "pay.js" not in page
    assert "Card payment is not available" not in page
    assert isinstance(app.extensions["payment_gateway"], FakeGateway)

    paid = post_form(client, action.group(1), {}, token_from=location)
    assert paid.status_code == 302 and paid.headers["Location"].endswith("/payment-return")
    final = client.get(paid.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "Thank you: the contribution is paid." in final
    assert '<span class="badge badge--ok">Paid</span>' in final
    assert not TEST_BUTTON.search(final), "nothing left to pay"

    declaration = declaration_services.get_declaration(db_session, employer_user, int(location.rsplit("/", 1)[1]))
    contribution = declaration.contribution
    db_session.refresh(contribution)
    assert contribution.status == "paid" and contribution.payment_intent_id.startswith("pi_fake")
    assert _ledger_entries(db_session, contribution.id) == [("contribution_paid", 180_000)]
    (notice,) = told_exactly(app, db_session, "contribution_received", [employer_user])
    assert notice.link == location

    # Paying again takes nothing more: the card button is gone, and a replayed form is refused in words.
    again = post_form(client, action.group(1), {}, token_from=location, follow_redirects=True)
    assert "This contribution is already paid." in again.get_data(as_text=True)
    assert _ledger_entries(db_session, contribution.id) == [("contribution_paid", 180_000)]


def test_the_test_payment_page_of_the_demo_has_no_stripe_js(client, demo, employer_user, today):
    login(client, employer_user.email)
    location = _declare(client, today)
    page = client.get(location + "/pay")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert TEST_BUTTON.search(html) and "js.stripe.com" not in html and "pay.js" not in html


@pytest.mark.parametrize("setting", [{"testing": True}, {"debug": True}])
def test_development_and_test_runs_pay_with_the_test_card_too(app, client, monkeypatch, employer_user, today, setting):
    _run_as(app, monkeypatch, **setting)
    login(client, employer_user.email)
    assert TEST_BUTTON.search(client.get(_declare(client, today)).get_data(as_text=True))


PAY_NOW = 'name="pay_now" value="test"'


def test_the_demo_clerk_declares_and_pays_in_one_go(app, client, db_session, demo, employer_user, today):
    login(client, employer_user.email)
    assert PAY_NOW in client.get("/employer/declare").get_data(as_text=True)
    location = _declare(client, today, pay_now="test")
    page = client.get(location).get_data(as_text=True)
    assert "The dismissal is declared and the contribution is paid. Thank you." in page
    assert not TEST_BUTTON.search(page), "nothing left to pay"
    contribution = declaration_services.get_declaration(
        db_session, employer_user, int(location.rsplit("/", 1)[1])).contribution
    db_session.refresh(contribution)
    assert contribution.status == "paid"
    assert _ledger_entries(db_session, contribution.id) == [("contribution_paid", 180_000)]
    told_exactly(app, db_session, "contribution_received", [employer_user])


def test_without_test_payments_the_form_only_declares(app, client, db_session, monkeypatch, employer_user, today):
    _run_as(app, monkeypatch)  # production without keys
    login(client, employer_user.email)
    assert PAY_NOW not in client.get("/employer/declare").get_data(as_text=True)
    location = _declare(client, today, pay_now="test")  # a forged button pays nothing
    contribution = declaration_services.get_declaration(
        db_session, employer_user, int(location.rsplit("/", 1)[1])).contribution
    assert contribution.status != "paid" and _ledger_entries(db_session, contribution.id) == []


def test_production_without_keys_shows_no_card_button_and_takes_no_test_payment(app, client, db_session, monkeypatch,
                                                                              employer_user, today):
    _run_as(app, monkeypatch)  # neither debug, testing nor ALLOW_FAKE_PAYMENTS, no key
    login(client, employer_user.email)
    location = _declare(client, today)
    page = client.get(location).get_data(as_text=True)
    assert not TEST_BUTTON.search(page) and f'href="{location}/pay"' not in page
    assert "Card payment is not available right now. Please pay by bank transfer." in page
    assert re.search(r"\+\+\+\d{3}/\d{4}/\d{5}\+\+\+", page), "the transfer is still offered"
    assert post_form(client, location + "/pay/test", {}, token_from=location).status_code == 404
    assert isinstance(app.extensions["payment_gateway"], UnconfiguredGateway)
    contribution_id = declaration_services.get_declaration(
        db_session, employer_user, int(location.rsplit("/", 1)[1])).contribution.id
    assert _ledger_entries(db_session, contribution_id) == []


def test_with_stripe_keys_the_page_leads_to_stripe_js_and_takes_no_test_payment(app, client, monkeypatch,
                                                                                employer_user, today):
    _run_as(app, monkeypatch, secret="sk_test_x", publishable="pk_test_123")
    monkeypatch.setitem(app.config, "STRIPE_JS_URL", "http://127.0.0.1:9/js.stripe.com/v3/")
    login(client, employer_user.email)
    location = _declare(client, today)
    page = client.get(location).get_data(as_text=True)
    assert f'href="{location}/pay"' in page and not TEST_BUTTON.search(page)
    assert "Pay by card or Bancontact" in page
    assert post_form(client, location + "/pay/test", {}, token_from=location).status_code == 404
    assert isinstance(app.extensions["payment_gateway"], StripeGateway)  # and it was never called


def test_a_fake_gateway_with_a_publishable_key_keeps_the_stripe_js_page(app, client, monkeypatch, gateway,
                                                                        employer_user, today):
    monkeypatch.setitem(app.config, "STRIPE_PUBLISHABLE_KEY", "pk_test_123")
    login(client, employer_user.email)
    location = _declare(client, today)
    html = client.get(location + "/pay").get_data(as_text=True)
    assert 'data-publishable-key="pk_test_123"' in html and "/static/js/pay.js" in html
    assert not TEST_BUTTON.search(html)
    assert post_form(client, location + "/pay/test", {}, token_from=location).status_code == 404


def test_the_test_payment_service_refuses_any_other_gateway(db_session, employer_user, today):
    data = declaration_services.DeclarationData(worker_first_name="A", worker_last_name="B", worker_niss=new_niss(),
                                                contract_end_on=today - timedelta(days=3))
    declaration = declaration_services.declare_dismissal(db_session, employer_user, data, today=today,
                                                         now=utcnow()).declaration
    for gateway in (UnconfiguredGateway(), StripeGateway("sk_test_x")):
        with pytest.raises(NotFound):
            pay_with_test_card(db_session, employer_user, declaration.id, gateway, today=today, now=utcnow())
    assert declaration.contribution.status == "due" and declaration.contribution.payment_intent_id is None


def test_someone_elses_declaration_takes_no_test_payment(client, demo, employer_user, other_employer_user, today):
    login(client, employer_user.email)
    location = _declare(client, today)
    other = client.application.test_client()
    login(other, other_employer_user.email)
    assert post_form(other, location + "/pay/test", {}, token_from="/employer/").status_code == 404


# --- a warning is said once ------------------------------------------------------------------------------------------

ALERT = re.compile(r'<div class="alert alert--(?:success|warning|error|info)"[^>]*>(.*?)</div>', re.DOTALL)


def test_a_late_declaration_says_each_warning_once(client, db_session, employer_user, today):
    login(client, employer_user.email)
    end = today - timedelta(days=60)
    location = _declare(client, today, contract_end_on=end.isoformat(),
                        physician_decision_on=(end - timedelta(days=3)).isoformat())
    for shown in (client.get(location, follow_redirects=True),  # just declared: with the success message
                  client.get(location)):                         # read again later
        page = shown.get_data(as_text=True)
        alerts = [" ".join(text.split()) for text in ALERT.findall(page)]
        assert len(alerts) == len(set(alerts)), alerts
        late = [a for a in alerts if "This declaration is late" in a]
        assert len(late) == 1 and page.count("This declaration is late") == 1
        assert page.count("21-day appeal period") == 1
        assert "This contribution is overdue" not in page  # the late warning already says so
        # The passed deadline is said by the late warning alone, not again by the success message.
        due_day = re.search(r"it was due by ([^,]+, \d{4})", late[0]).group(1)
        assert [a for a in alerts if due_day in a] == late
    first = client.get(_declare(client, today, contract_end_on=end.isoformat()), follow_redirects=True)
    assert "The dismissal is declared." in first.get_data(as_text=True)


def test_an_on_time_declaration_says_when_to_pay_once(client, employer_user, today):
    login(client, employer_user.email)
    page = client.get(_declare(client, today), follow_redirects=True).get_data(as_text=True)
    alerts = [" ".join(text.split()) for text in ALERT.findall(page)]
    assert [a for a in alerts if "The dismissal is declared. The contribution is due by" in a] == alerts[:1]
    assert not any("late" in a or "overdue" in a for a in alerts)
