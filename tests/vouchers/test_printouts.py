"""The voucher and the fund's decision as pages to print: linked from their pages, in the reader's language, only
for whoever may see them; and the voucher's figures written the reader's way."""

from __future__ import annotations

import html
from datetime import timedelta

from portal.clock import utcnow
from portal.permissions import Role
from tests.coaching.conftest import (  # noqa: F401 - fixtures: a provider with an offer, a coach, a voucher
    coach,
    fund_admin,
    make_voucher,
    offer,
    provider_admin,
    slot,
)
from tests.support.factories import make_user
from tests.support.web import login

FR = {"Accept-Language": "fr"}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\u202f", " ").replace("\xa0", " ")


def _ninety_minutes_used(db_session, make_voucher, offer, provider_admin, coach, slot):  # noqa: F811
    """A voucher on the 9 h + 3 group sessions mix, with one individual session of 1 h 30 logged."""
    from coaching.calendar.services.sessions import (
        SessionPlan,
        log_session,
        schedule_session,
    )
    from coaching.providers.services.offers import accept_voucher

    voucher, person = make_voucher(make_user(db_session, Role.BENEFICIARY, language="fr"))
    accept_voucher(db_session, provider_admin, voucher.id, offer.id, now=utcnow())
    booked = schedule_session(db_session, provider_admin, SessionPlan(
        coach_id=coach.id, kind="individual", voucher_ids=[voucher.id], starts_at=slot(), duration_minutes=90,
        mode="onsite", location="Rue Haute 5, 1000 Bruxelles", theme="Job search"), now=utcnow())
    log_session(db_session, provider_admin, booked.id, {voucher.id: "attended"}, 90, None, now=utcnow())
    return voucher, person


def test_the_voucher_page_writes_hours_with_a_decimal_comma_in_french(client, db_session, make_voucher, offer,  # noqa: F811
                                                                     provider_admin, coach, slot):  # noqa: F811
    voucher, person = _ninety_minutes_used(db_session, make_voucher, offer, provider_admin, coach, slot)
    login(client, person.email)
    page = text(client.get(f"/vouchers/{voucher.id}", headers=FR))
    assert "7,5 sur 9" in page and "7.5" not in page
    assert f'href="/vouchers/{voucher.id}/print"' in page


def test_the_voucher_to_print(client, db_session, make_voucher, offer, provider_admin, coach, slot):  # noqa: F811
    voucher, person = _ninety_minutes_used(db_session, make_voucher, offer, provider_admin, coach, slot)
    login(client, person.email)
    response = client.get(f"/vouchers/{voucher.id}/print", headers=FR)
    assert response.status_code == 200
    page = text(response)
    assert '<html lang="fr">' in page and 'id="voucher-printout"' in page
    assert voucher.code in page and person.display_name in page
    assert "1 800,00 €" in page and "225,00 €" in page  # its value, and what 1 h 30 at 150 € an hour used
    assert "9 heures individuelles + 3 séances collectives" in page
    assert 'media="print"' in page and "js/print-button.js" in page and "data-print" in page
    assert 'href="/help"' in page and 'href="/privacy"' in page  # the footer is there on screen


def test_only_the_voucher_holder_prints_it(client, db_session, make_voucher):  # noqa: F811
    voucher, _person = make_voucher()
    stranger = make_user(db_session, Role.BENEFICIARY)
    login(client, stranger.email)
    assert client.get(f"/vouchers/{voucher.id}/print").status_code == 404
    provider_side = make_user(db_session, Role.EMPLOYER)
    other = client.application.test_client()
    login(other, provider_side.email)
    assert other.get(f"/vouchers/{voucher.id}/print").status_code == 403


def test_the_approval_to_print(client, db_session, make_voucher):  # noqa: F811
    voucher, person = make_voucher(make_user(db_session, Role.BENEFICIARY, language="fr"))
    login(client, person.email)
    detail = text(client.get(f"/requests/{voucher.request_id}", headers=FR))
    assert f'href="/requests/{voucher.request_id}/decision"' in detail
    response = client.get(f"/requests/{voucher.request_id}/decision", headers=FR)
    assert response.status_code == 200
    page = text(response)
    assert 'id="decision-printout"' in page and voucher.code in page and "1 800,00 €" in page
    assert person.display_name in page


def _submitted(db_session, person, provider, today):
    from vouchers.requests.services.requests import RequestData, submit_voucher_request

    data = RequestData(provider_id=provider.id, insurer_code=100, initiative="coordinator", force_majeure=True,
                       contract_end_on=today - timedelta(days=30),
                       address={"street": "Rue", "number": "1", "postcode": "1000", "municipality": "Bruxelles"})
    return submit_voucher_request(db_session, person, data, today=today, now=utcnow())


def test_a_refusal_to_print_says_how_to_appeal(client, db_session, provider, today, beneficiary, admin):
    from vouchers.requests.services.requests import decide_voucher_request

    request = _submitted(db_session, beneficiary, provider, today)
    decide_voucher_request(db_session, admin, request.id, "reject", "Le contrat n'a pas pris fin pour force majeure.",
                           today=today, now=utcnow())
    login(client, beneficiary.email)
    page = text(client.get(f"/requests/{request.id}/decision", headers={"Accept-Language": "en"}))
    assert "Decision: not approved" in page and "Le contrat n'a pas pris fin pour force majeure." in page
    assert "You can appeal against this decision to the labour court until" in page


def test_a_request_not_decided_has_no_decision_to_print(client, db_session, provider, today, beneficiary):
    request = _submitted(db_session, beneficiary, provider, today)
    login(client, beneficiary.email)
    assert client.get(f"/requests/{request.id}/decision").status_code == 404
    assert f"/requests/{request.id}/decision" not in client.get(f"/requests/{request.id}").get_data(as_text=True)
