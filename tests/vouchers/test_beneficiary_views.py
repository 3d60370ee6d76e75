"""The beneficiary's pages: eligibility checker, the request in steps, the dashboard, privacy."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import User
from portal.permissions import Role
from tests.support.factories import PASSWORD, make_user
from tests.support.web import csrf_token, login, post_form
from vouchers.requests.models import Beneficiary, VoucherRequest

EN = {"Accept-Language": "en"}


def test_public_checker_explains_in_plain_words(client, today):
    response = post_form(client, "/eligibility", {
        "force_majeure": "yes", "contract_end_on": (today - timedelta(days=300)).isoformat()}, headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "cannot get a voucher now" in page
    assert "That day has passed" in page


def test_public_checker_says_yes_and_gives_the_last_day(client, today):
    response = post_form(client, "/eligibility", {
        "force_majeure": "yes", "contract_end_on": (today - timedelta(days=3)).isoformat()}, headers=EN)
    # A "yes" goes on to the account (step 2 of the short path, issue 16), which says it and keeps the answers.
    assert response.status_code == 302 and response.headers["Location"].endswith("/register")
    page = client.get("/register", headers=EN).get_data(as_text=True)
    assert "you can ask for a voucher" in page and "at the latest" in page


def test_checker_in_dutch(client, today):
    response = post_form(client, "/eligibility", {
        "force_majeure": "yes", "contract_end_on": (today - timedelta(days=300)).isoformat()},
        headers={"Accept-Language": "nl"})
    page = response.get_data(as_text=True)
    assert '<html lang="nl">' in page
    assert "That day has passed" not in page


def _walk_wizard(client, provider, today):
    r1 = post_form(client, "/request/step/1", {"force_majeure": "yes",
                                               "contract_end_on": (today - timedelta(days=20)).isoformat()})
    assert r1.status_code == 302 and r1.headers["Location"].endswith("/request/step/2")
    r2 = post_form(client, "/request/step/2", {"street": "Rue Haute", "number": "5", "postcode": "1000",
                                               "municipality": "Bruxelles", "country": "BE", "insurer_code": "300"})
    assert r2.status_code == 302, r2.get_data(as_text=True)
    r3 = post_form(client, "/request/step/3", {"provider_id": str(provider.id), "initiative": "coordinator"})
    assert r3.status_code == 302
    return client.get("/request/step/4", headers=EN)


def test_the_request_in_steps_keeps_a_draft_and_submits(client, db_session, beneficiary, provider, today):
    login(client, beneficiary.email)
    review = _walk_wizard(client, provider, today)
    assert review.status_code == 200 and provider.name in review.get_data(as_text=True)
    # Without ticking the confirmation nothing is sent and the page explains why.
    refused = post_form(client, "/request/submit", {}, token_from="/request/step/4", headers=EN)
    assert refused.status_code == 422 and "tick the box" in refused.get_data(as_text=True)
    sent = post_form(client, "/request/submit", {"truthful": "y"}, token_from="/request/step/4")
    assert sent.status_code == 302
    request = db_session.scalar(select(VoucherRequest).where(VoucherRequest.status == "submitted"))
    assert request is not None and request.route == "A" and request.provider_id == provider.id
    detail = client.get(sent.headers["Location"], headers=EN).get_data(as_text=True)
    assert "45 days" in client.get("/my", headers=EN).get_data(as_text=True) or "decides by" in detail


def test_draft_survives_logging_out(client, db_session, beneficiary, provider, today):
    login(client, beneficiary.email)
    post_form(client, "/request/step/1", {"force_majeure": "yes",
                                          "contract_end_on": (today - timedelta(days=20)).isoformat()})
    client.post("/logout", data={"csrf_token": csrf_token(client, "/my")})
    login(client, beneficiary.email)
    response = client.get("/request")  # the situation is answered: on to the request on one page (issue 16)
    assert response.headers["Location"].endswith("/request/send")
    page = client.get("/request/step/1").get_data(as_text=True)
    assert (today - timedelta(days=20)).isoformat() in page


def test_wizard_errors_keep_what_was_typed(client, beneficiary, provider, today):
    login(client, beneficiary.email)
    post_form(client, "/request/step/1", {"force_majeure": "yes",
                                          "contract_end_on": (today - timedelta(days=20)).isoformat()})
    response = post_form(client, "/request/step/2", {"street": "Rue Haute", "number": "", "postcode": "1000",
                                                     "municipality": "Bruxelles", "country": "BE",
                                                     "insurer_code": "300"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Rue Haute"' in page and 'aria-invalid="true"' in page


def test_ineligible_answers_are_explained_and_block_the_next_step(client, beneficiary, today):
    login(client, beneficiary.email)
    response = post_form(client, "/request/step/1", {"force_majeure": "yes",
                                                     "contract_end_on": (today - timedelta(days=400)).isoformat()},
                         headers=EN)
    assert response.status_code == 422
    assert "That day has passed" in response.get_data(as_text=True)
    assert client.get("/request/step/2").status_code == 302


def test_skipping_steps_is_not_possible(client, beneficiary):
    login(client, beneficiary.email)
    assert client.get("/request/step/3").headers["Location"].endswith("/request/step/1")
    assert client.get("/request/step/9").status_code == 404


def test_other_roles_cannot_use_the_wizard(client, db_session):
    admin = make_user(db_session, Role.EMPLOYER)
    login(client, admin.email)
    assert client.get("/request/step/1").status_code == 403
    anonymous = client.application.test_client()
    assert anonymous.get("/my").status_code == 302


def test_dashboard_shows_the_voucher_balance(client, db_session, beneficiary, admin, provider, today):
    from portal.clock import utcnow
    from vouchers.requests.services.requests import (
        RequestData,
        decide_voucher_request,
        submit_voucher_request,
    )

    data = RequestData(provider_id=provider.id, insurer_code=100, initiative="coordinator", force_majeure=True,
                       contract_end_on=today - timedelta(days=5),
                       address={"street": "Rue", "number": "1", "postcode": "1000", "municipality": "Bruxelles"})
    request = submit_voucher_request(db_session, beneficiary, data, today=today, now=utcnow())
    decide_voucher_request(db_session, admin, request.id, "approve", None, today=today, now=utcnow())
    login(client, beneficiary.email)
    page = client.get("/my", headers=EN).get_data(as_text=True)
    assert "TNW-" in page and "€1,800.00" in page
    voucher_link = client.get("/my").get_data(as_text=True).split('href="/vouchers/')[1].split('"')[0]
    voucher_page = client.get(f"/vouchers/{voucher_link}", headers=EN).get_data(as_text=True)
    assert "€1,800.00" in voucher_page and "first interview" in voucher_page
    stranger = make_user(db_session, Role.BENEFICIARY)
    other = client.application.test_client()
    login(other, stranger.email)
    assert other.get(f"/vouchers/{voucher_link}").status_code == 404
    assert other.get(f"/requests/{request.id}").status_code == 404


def test_withdraw_from_the_page(client, db_session, beneficiary, provider, today):
    login(client, beneficiary.email)
    _walk_wizard(client, provider, today)
    post_form(client, "/request/submit", {"truthful": "y"}, token_from="/request/step/4")
    request = db_session.scalar(select(VoucherRequest).where(VoucherRequest.status == "submitted"))
    page = client.get(f"/requests/{request.id}", headers=EN)
    assert page.status_code == 200
    assert f"Request {request.id}" in page.get_data(as_text=True) and "Withdraw my request" in page.get_data(as_text=True)
    response = post_form(client, f"/requests/{request.id}/withdraw", {"reason": "found a job"},
                         token_from=f"/requests/{request.id}")
    assert response.status_code == 302
    db_session.refresh(request)
    assert request.status == "withdrawn"


def test_data_export_and_account_closing(client, db_session, beneficiary, provider, today):
    from portal.notifications.models import Notification
    from portal.notifications.services import notify, page

    notify(db_session, [beneficiary], "request_waitlisted", link=page("vouchers.dashboard"))
    login(client, beneficiary.email)
    export = client.get("/account/data.json")
    assert export.status_code == 200
    data = json.loads(export.get_data(as_text=True))
    profile = db_session.scalar(select(Beneficiary).where(Beneficiary.user_id == beneficiary.id))
    assert data["account"]["niss"] == profile.niss and data["account"]["email"] == beneficiary.email
    wrong = post_form(client, "/account/close", {"password": "not my password"}, headers=EN)
    assert wrong.status_code == 422
    closed = post_form(client, "/account/close", {"password": PASSWORD})
    assert closed.status_code == 302
    user = db_session.get(User, beneficiary.id)
    db_session.refresh(user)
    db_session.refresh(profile)
    assert user.anonymised_at is not None and profile.niss is None and "anonymised" in user.email
    assert db_session.scalars(select(Notification).where(Notification.user_id == beneficiary.id)).all() == []
    assert client.get("/my").status_code == 302  # logged out
    assert login(client.application.test_client(), beneficiary.email).status_code == 422
