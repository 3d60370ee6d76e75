"""Self-registration of a beneficiary (vouchers/requests/services/registration.py): the account is made at once, so
the person signs in and submits a request straight away; the fund decides it only once the e-mailed link has
confirmed the address. A known address gets an e-mail instead, and the API's answer does not tell the two apart. A
typed number never turns its owner away, and registering is rate-limited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.auth.models import User
from portal.permissions import Role
from tests.support.factories import PASSWORD, make_user, new_niss, unique
from tests.support.identity import prove_niss
from tests.support.web import bearer, login, post_form
from tests.vouchers.coordinator_support import mails_to
from vouchers.requests.models import Beneficiary, VoucherRequest

EN = {"Accept-Language": "en"}
CONFIRM = re.compile(r"https?://[^\s/]+(/confirm/\S+)")
AWAITING = "waiting for the person to confirm their e-mail"


def _body(**overrides: str) -> dict[str, str]:
    body = {"email": f"{unique('person')}@example.be", "password": PASSWORD, "first_name": "Léa",
            "last_name": "Peeters", "niss": new_niss(), "language": "en"}
    body.update(overrides)
    return body


def _niss_of(db_session, user) -> str:
    return db_session.scalar(select(Beneficiary.niss).where(Beneficiary.user_id == user.id))


def _confirm_path(db_session, address: str) -> str:
    for mail in reversed(mails_to(db_session, address)):
        if match := CONFIRM.search(mail.body):
            return match.group(1)
    raise AssertionError(f"no confirmation link was e-mailed to {address}")


def _accounts(db_session, address: str) -> int:
    return db_session.scalar(select(func.count(User.id)).where(User.email == address))


def _registered(client, db_session, **overrides: str) -> tuple[dict[str, str], User]:
    body = _body(**overrides)
    response = client.post("/api/v1/beneficiaries", json=body)
    assert response.status_code == 201, response.get_json()
    return body, db_session.scalar(User.by_email(body["email"]))


# --- the answer, the account, the e-mail ----------------------------------------------------------------------


def test_the_api_answers_the_same_whether_or_not_the_address_or_the_number_is_known(client, db_session):
    known = make_user(db_session, Role.BENEFICIARY, language="en")  # the reminder is in their language
    proven = make_user(db_session, Role.BENEFICIARY)
    prove_niss(db_session, proven)
    known_name = db_session.scalar(select(User.first_name).where(User.id == known.id))
    cases = {
        "nothing known": _body(),
        "address known": _body(email=known.email),
        "address known, other case": _body(email=known.email.upper()),
        "number typed by another account": _body(niss=_niss_of(db_session, known)),
        "number proven by another account": _body(niss=_niss_of(db_session, proven)),
    }
    answers = {}
    for name, body in cases.items():
        response = client.post("/api/v1/beneficiaries", json=body)
        answer = response.get_json()
        assert answer.pop("email") == body["email"].lower()
        answers[name] = (response.status_code, answer, sorted(response.headers.keys()))
    assert len({repr(answer) for answer in answers.values()}) == 1, answers
    status, answer, _ = answers["nothing known"]
    assert status == 201 and answer["status"] == "registered" and "id" not in answer
    # The known address: nothing made or changed, and told by e-mail that it has an account.
    assert _accounts(db_session, known.email) == 1
    assert db_session.scalar(select(User.first_name).where(User.id == known.id)) == known_name
    reminder = mails_to(db_session, known.email)
    assert len(reminder) == 2 and all("already has one" in m.body and "/password/forgot" in m.body
                                      and "/confirm/" not in m.body for m in reminder)
    # The others: an account each, unconfirmed, with the typed number, and the link in their language.
    for name in ("nothing known", "number typed by another account", "number proven by another account"):
        user = db_session.scalar(User.by_email(cases[name]["email"]))
        assert user.role == Role.BENEFICIARY and user.confirmed_at is None and user.language == "en"
        beneficiary = db_session.scalar(select(Beneficiary).where(Beneficiary.user_id == user.id))
        assert beneficiary.niss == cases[name]["niss"] and beneficiary.niss_proven_at is None  # typed: proves nothing
        mail = mails_to(db_session, user.email)[-1]
        assert mail.subject == "Confirm your e-mail address" and _confirm_path(db_session, user.email)


def test_the_openapi_document_says_why_the_answer_is_always_the_same(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/beneficiaries"]["post"]
    assert set(operation["responses"]) >= {"201", "422", "429"}
    assert "same whether or not the address already had an account" in operation["responses"]["201"]["description"]
    decision = client.get("/api/v1/openapi.json").get_json()["paths"][
        "/api/v1/admin/voucher-requests/{request_id}/decision"]["post"]
    assert "email_not_confirmed" in decision["responses"]["409"]["description"]


def test_the_confirmation_link_is_written_in_the_language_chosen(client, db_session):
    _, user = _registered(client, db_session, language="nl")
    mail = mails_to(db_session, user.email)[-1]
    assert "/confirm/" in mail.body and "Confirm your e-mail address" not in mail.subject
    assert user.language == "nl"


def test_a_typed_number_never_turns_its_owner_away(client, db_session):
    """Someone registered first with this person's number: the person registers too (and may prove it later)."""
    niss = new_niss()
    _registered(client, db_session, niss=niss)
    _registered(client, db_session, niss=niss)
    assert len(db_session.scalars(select(Beneficiary).where(Beneficiary.niss == niss)).all()) == 2


def test_the_forms_mistakes_are_told_at_once_and_all_together(client, db_session):
    address = f"{unique('person')}@example.be"
    refused = client.post("/api/v1/beneficiaries", json=_body(email=address, niss="12345678901", password=address,
                                                              first_name=" "))
    assert refused.status_code == 422
    fields = refused.get_json()["error"]["fields"]
    assert {"niss", "password", "first_name"} <= set(fields), fields
    # A password too short for the body's schema does not hide the number's check digits.
    refused = client.post("/api/v1/beneficiaries", json=_body(email=address, niss="12345678901", password="short"))
    assert refused.status_code == 422 and {"niss", "password"} <= set(refused.get_json()["error"]["fields"])
    page = post_form(client, "/register", {**_body(niss="12345678901", email=address, password="short"),
                                           "password_repeat": "short"}, headers=EN)
    text = page.get_data(as_text=True)
    assert page.status_code == 422 and "This national register or BIS number is not valid." in text
    assert 'id="password-error"' in text and f'value="{address}"' in text
    assert _accounts(db_session, address) == 0 and mails_to(db_session, address) == []


# --- signing in at once, and the request that waits for the confirmed address ---------------------------------


def test_the_new_account_signs_in_at_once_and_submits_a_request(client, db_session, request_body):
    body, _ = _registered(client, db_session)
    headers = bearer(client.application.test_client(), body["email"])  # the password given at registration
    created = client.post("/api/v1/voucher-requests", headers=headers, json=request_body())
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["status"] == "submitted"


def test_the_page_logs_the_new_person_in_and_goes_on_to_the_request(app, db_session):
    browser = app.test_client()
    body = _body()
    sent = post_form(browser, "/register", {**body, "password_repeat": PASSWORD}, headers=EN)
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/request")
    step = browser.get("/request/step/1", headers=EN)
    assert step.status_code == 200 and "Step 1 of 4" in step.get_data(as_text=True)
    user = db_session.scalar(User.by_email(body["email"]))
    assert user.confirmed_at is None and user.last_login_at is not None


def test_a_known_address_on_the_page_is_not_logged_in_and_is_asked_to_check_the_mail(app, db_session):
    known = make_user(db_session, Role.BENEFICIARY, language="en")  # the reminder is in their language
    browser = app.test_client()
    sent = post_form(browser, "/register", {**_body(email=known.email), "password_repeat": PASSWORD}, headers=EN)
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/register/sent")
    page = browser.get("/register/sent", headers=EN).get_data(as_text=True)
    assert "Check your e-mail" in page and known.email in page
    assert browser.get("/my").status_code == 302  # not logged in
    assert "already has one" in mails_to(db_session, known.email)[-1].body


@pytest.mark.parametrize(("decision", "route_b", "outcome"), [
    ({"decision": "approve"}, False, "approved"),
    ({"decision": "approve"}, True, "waitlisted"),  # route B, and the fund has no money for it
    ({"decision": "reject", "reason": "Not eligible"}, False, "rejected"),
    ({"decision": "request_info", "reason": "Send the physician's decision"}, False, "info_requested"),
])
def test_the_fund_decides_only_once_the_address_is_confirmed(client, db_session, request_body, admin_headers, today,
                                                             decision, route_b, outcome):
    body, user = _registered(client, db_session)
    facts = {"force_majeure": False, "contract_end_on": None, "benefits_scheme": "employee",
             "incapacity_start_on": (today - timedelta(days=800)).isoformat()} if route_b else {}
    created = client.post("/api/v1/voucher-requests", headers=bearer(client, body["email"]),
                          json=request_body(**facts))
    assert created.status_code == 201, created.get_json()
    url = f"/api/v1/admin/voucher-requests/{created.get_json()['id']}/decision"
    refused = client.post(url, headers=admin_headers, json=decision)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "email_not_confirmed"
    assert db_session.get(VoucherRequest, created.get_json()["id"]).status == "submitted"
    assert client.get(_confirm_path(db_session, user.email)).status_code == 302
    assert db_session.get(User, user.id).confirmed_at is not None
    decided = client.post(url, headers=admin_headers, json=decision)
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["status"] == outcome


def test_the_fund_sees_who_it_waits_for_in_the_queue_and_on_the_request(app, client, db_session, request_body,
                                                                        admin):
    body, user = _registered(client, db_session, last_name=unique("Waiting"))
    created = client.post("/api/v1/voucher-requests", headers=bearer(client, body["email"]), json=request_body())
    request_id = created.get_json()["id"]
    fund = app.test_client()
    login(fund, admin.email)
    queue = fund.get("/admin/requests?status=submitted", headers=EN).get_data(as_text=True)
    row = queue.split(f"#{request_id}<", 1)[1].split("</tr>", 1)[0]
    assert AWAITING in row
    page = fund.get(f"/admin/requests/{request_id}", headers=EN).get_data(as_text=True)
    assert 'id="awaiting-email-confirmation"' in page and "Record the decision" not in page
    sent = post_form(fund, f"/admin/requests/{request_id}/decision", {"decision": "approve"},
                     token_from="/admin/requests", headers=EN, follow_redirects=True)
    assert "has not confirmed their e-mail address yet" in sent.get_data(as_text=True)
    assert db_session.get(VoucherRequest, request_id).status == "submitted"

    client.get(_confirm_path(db_session, user.email))  # the person follows the link: the request is ready
    queue = fund.get("/admin/requests?status=submitted", headers=EN).get_data(as_text=True)
    assert AWAITING not in queue.split(f"#{request_id}<", 1)[1].split("</tr>", 1)[0]
    page = fund.get(f"/admin/requests/{request_id}", headers=EN).get_data(as_text=True)
    assert 'id="awaiting-email-confirmation"' not in page and "Record the decision" in page


# --- asking the person to confirm, and sending the link again ------------------------------------------------


def test_the_beneficiarys_pages_ask_to_confirm_and_send_the_link_again_a_few_times(app, client, db_session,
                                                                                  request_body):
    body, user = _registered(client, db_session)
    created = client.post("/api/v1/voucher-requests", headers=bearer(client, body["email"]), json=request_body())
    request_page = f"/requests/{created.get_json()['id']}"
    browser = app.test_client()
    login(browser, body["email"])
    for path in ("/my", request_page):
        page = browser.get(path, headers=EN).get_data(as_text=True)
        assert 'id="confirm-email"' in page and "Send the link again" in page and body["email"] in page, path
    before = len(mails_to(db_session, user.email))
    answers = [post_form(browser, "/my/confirmation-email", {"next": request_page}, token_from="/my",
                         headers=EN) for _ in range(4)]
    assert [a.status_code for a in answers] == [302, 302, 302, 429]  # CONFIRMATION_RESEND_LIMIT: 3 per hour
    assert answers[0].headers["Location"].endswith(request_page)
    assert len(mails_to(db_session, user.email)) == before + 3
    assert browser.get(_confirm_path(db_session, user.email)).status_code == 302
    for path in ("/my", request_page):
        assert 'id="confirm-email"' not in browser.get(path, headers=EN).get_data(as_text=True), path


def test_the_api_sends_the_link_again_and_says_when_there_is_nothing_to_confirm(client, db_session,
                                                                               beneficiary_headers):
    body, user = _registered(client, db_session)
    headers = bearer(client, body["email"])
    before = len(mails_to(db_session, user.email))
    again = client.post("/api/v1/beneficiary/confirmation-email", headers=headers)
    assert again.status_code == 202 and again.get_json()["status"] == "check_your_mailbox"
    assert len(mails_to(db_session, user.email)) == before + 1
    done = client.post("/api/v1/beneficiary/confirmation-email", headers=beneficiary_headers)
    assert done.status_code == 409 and done.get_json()["error"]["code"] == "already_confirmed"


def test_the_generic_resend_is_limited_too(app, db_session):
    """Registering with someone else's address makes an unconfirmed account: its "send again" must not flood
    that mailbox."""
    person = make_user(db_session, Role.BENEFICIARY, confirmed=False)
    browser = app.test_client()
    login(browser, person.email)
    statuses = [post_form(browser, "/confirm/resend", {}, token_from="/my", headers=EN).status_code
                for _ in range(4)]
    assert statuses == [302, 302, 302, 429]


# --- accounts made otherwise are confirmed -------------------------------------------------------------------


def test_accounts_made_by_create_user_are_confirmed(app, db_session):
    address = f"{unique('cli')}@example.be"
    made = app.test_cli_runner().invoke(args=["create-user", "--role", "beneficiary", "--email", address,
                                              "--password", "long enough password", "--niss", new_niss()])
    assert made.exit_code == 0, made.output
    user = db_session.scalar(User.by_email(address))
    assert user is not None and user.confirmed_at is not None


# --- limits ----------------------------------------------------------------------------------------------------


def test_registrations_are_limited_per_address_written_to_and_per_sender(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRATION_LIMIT_PER_IP", "10 per hour")
    address = f"{unique('target')}@example.be"
    statuses = [client.post("/api/v1/beneficiaries", json=_body(email=address)).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]  # an address is not flooded with messages
    assert len(mails_to(db_session, address)) == 3  # its link, then twice "you already have an account"
    more = [client.post("/api/v1/beneficiaries", json=_body()).status_code for _ in range(8)]
    assert more == [201] * 7 + [429]  # ten registrations an hour from one address, whatever they say


def test_the_page_counts_registrations_that_log_the_person_in(app, db_session):
    """The page logs a new person in: that registration wrote an e-mail, and counts like the others."""
    address = f"{unique('target')}@example.be"
    statuses = []
    for _ in range(4):
        browser = app.test_client()
        statuses.append(post_form(browser, "/register", {**_body(email=address), "password_repeat": PASSWORD},
                                  headers=EN).status_code)
    assert statuses == [302, 302, 302, 429]


def test_a_form_sent_back_for_its_mistakes_uses_up_nothing(client, db_session):
    """It sends no e-mail, so someone who mistypes their number a dozen times can still register."""
    mistakes = [client.post("/api/v1/beneficiaries", json=_body(niss="12345678901")).status_code for _ in range(12)]
    assert mistakes == [422] * 12
    assert client.post("/api/v1/beneficiaries", json=_body()).status_code == 201
