"""The short path to a request (issue 16), through the test client: the eligibility answers carried to the account and
into the request (never asked twice), the request on one page with the coaches near the person, every problem told at
once on the step where its field is, and the steps saying where the person is and what comes next.

The browser test (tests/e2e/test_five_screens.py) counts the screens; these pin the rules behind them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from coaching.marketplace.domain import municipality_key, region_for_postcode
from coaching.marketplace.models import ContactPoint
from portal.auth.models import User
from portal.permissions import Role
from tests.support.factories import PASSWORD, make_provider, make_user, new_niss, unique
from tests.support.web import login, post_form
from vouchers.requests.models import VoucherRequest
from vouchers.requests.services.requests import decide_voucher_request

EN = {"Accept-Language": "en"}
NL = {"Accept-Language": "nl"}


def place(db_session, provider, postcode: str, municipality: str, *, onsite=True, online=False, languages="fr"):
    db_session.add(ContactPoint(provider_id=provider.id, name=f"{provider.name} {municipality}", postcode=postcode,
                                municipality=municipality, municipality_key=municipality_key(municipality),
                                region=region_for_postcode(postcode), languages=languages, onsite=onsite,
                                online=online))
    db_session.flush()


def answers(today, **overrides) -> dict[str, str]:
    return {"force_majeure": "yes", "contract_end_on": (today - timedelta(days=20)).isoformat(), **overrides}


def account(email: str | None = None, **overrides) -> dict[str, str]:
    return {"first_name": "Lotte", "last_name": "Peeters", "niss": new_niss(),
            "email": email or f"{unique('path')}@example.be", "password": PASSWORD, "password_repeat": PASSWORD,
            "street": "Rue Haute", "number": "12", "postcode": "1000", "municipality": "Bruxelles", "country": "BE",
            **overrides}


def choice(provider, **overrides) -> dict[str, str]:
    return {"street": "Rue Haute", "number": "12", "postcode": "1000", "municipality": "Bruxelles", "country": "BE",
            "provider_id": str(provider.id), "insurer_code": "300", "initiative": "own", "truthful": "y", **overrides}


def step_of(page: str) -> int:
    found = re.search(r'class="path-steps" data-step="(\d)"', page)
    assert found, "the page shows no step of the path"
    return int(found.group(1))


def registered(client, db_session, today, headers=EN, **fields) -> User:
    assert post_form(client, "/eligibility", answers(today), headers=headers).status_code == 302
    body = account(**fields)
    sent = post_form(client, "/register", body, headers=headers)
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/request/send"), sent.get_data(as_text=True)
    return db_session.scalar(User.by_email(body["email"]))


def test_a_new_person_walks_the_path_and_is_never_asked_the_situation_twice(client, db_session, today):
    near = make_provider(db_session, name=unique("Près "))
    near.languages = "fr,de"
    place(db_session, near, "1000", "Bruxelles", onsite=True, online=True)
    far = make_provider(db_session, name=unique("Loin "))
    far.regions = "liege"
    place(db_session, far, "4000", "Liège")

    first = client.get("/eligibility", headers=EN).get_data(as_text=True)
    assert step_of(first) == 1 and "Step 1 of 4: Your situation" in first and "Next: your account" in first
    checked = post_form(client, "/eligibility", answers(today), headers=EN)
    assert checked.status_code == 302 and checked.headers["Location"].endswith("/register")

    page = client.get("/register", headers=EN).get_data(as_text=True)
    assert step_of(page) == 2 and 'id="verdict"' in page and "at the latest" in page
    assert 'name="force_majeure"' not in page and 'name="postcode"' in page  # shown, not asked; the address asked
    assert "Contract ended for medical force majeure" in page
    again = client.get("/eligibility").get_data(as_text=True)  # "change my answers": they are there to change
    assert (today - timedelta(days=20)).isoformat() in again

    body = account()
    sent = post_form(client, "/register", body, headers=EN)
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/request/send")
    user = db_session.scalar(User.by_email(body["email"]))
    assert user.confirmed_at is None  # confirmed later, by the e-mailed link
    draft = db_session.scalar(select(VoucherRequest).where(VoucherRequest.status == "draft",
                                                           VoucherRequest.beneficiary.has(user_id=user.id)))
    assert draft.force_majeure is True and draft.contract_end_on == today - timedelta(days=20)
    assert (draft.street, draft.postcode, draft.municipality) == ("Rue Haute", "1000", "Bruxelles")

    request_page = client.get("/request/send", headers=EN).get_data(as_text=True)
    assert step_of(request_page) == 3 and "Next: the fund checks your request" in request_page
    assert 'name="force_majeure"' not in request_page and 'name="contract_end_on"' not in request_page
    assert near.name in request_page and far.name not in request_page  # the providers near the postcode
    card = request_page.split(f'id="provider-{near.id}"')[1].split("</li>\n    \n")[0]
    assert "Français" in card and "Deutsch" in card and "1000 Bruxelles" in card
    assert "On site" in card and "Online" in card and f'href="/providers/{near.id}"' in card

    done = post_form(client, "/request/send", choice(near), headers=EN)
    assert done.status_code == 302, done.get_data(as_text=True)
    assert re.search(r"/requests/\d+\?sent=1$", done.headers["Location"])
    sent_page = client.get(done.headers["Location"], headers=EN).get_data(as_text=True)
    assert step_of(sent_page) == 4 and "What happens next" in sent_page and "Open the link we e-mailed" in sent_page
    db_session.refresh(draft)
    assert draft.status == "submitted" and draft.provider_id == near.id and draft.route == "A"


def test_the_request_waits_for_the_confirmed_address(client, db_session, today):
    provider = make_provider(db_session)
    user = registered(client, db_session, today)
    post_form(client, "/request/send", choice(provider))
    request = db_session.scalar(select(VoucherRequest).where(VoucherRequest.beneficiary.has(user_id=user.id)))
    admin = make_user(db_session, Role.FUND_ADMIN)
    from portal.clock import utcnow
    from portal.errors import Conflict

    with pytest.raises(Conflict) as refused:
        decide_voucher_request(db_session, admin, request.id, "reject", "no", today=today, now=utcnow())
    assert refused.value.code == "email_not_confirmed"


def test_every_problem_of_the_request_page_at_once_and_what_was_typed_kept(client, db_session, today):
    provider = make_provider(db_session)
    registered(client, db_session, today)
    start = today + timedelta(days=30)
    response = post_form(client, "/request/send", choice(
        provider, provider_id="", insurer_code="0", truthful="", street="Rue Basse",
        planned_start_on=start.isoformat(), planned_end_on=(start - timedelta(days=1)).isoformat()), headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for problem in ("Choose one of the listed coaching providers.", "Choose your mutual insurer.",
                    "Please tick the box to confirm.", "The planned end cannot be before the planned start."):
        assert problem in page, problem
    assert 'value="Rue Basse"' in page and start.isoformat() in page
    assert db_session.scalar(select(VoucherRequest.id).where(VoucherRequest.status == "submitted")) is None


def test_the_planned_end_before_the_start_is_refused_on_the_old_form_s_step_3_too(client, db_session, beneficiary,
                                                                                 provider, today):
    login(client, beneficiary.email)
    post_form(client, "/request/step/1", answers(today))
    post_form(client, "/request/step/2", {"street": "Rue Haute", "number": "5", "postcode": "1000",
                                          "municipality": "Bruxelles", "country": "BE", "insurer_code": "300"})
    start = today + timedelta(days=10)
    step3 = post_form(client, "/request/step/3", {"provider_id": str(provider.id), "initiative": "own",
                                                  "planned_start_on": start.isoformat(),
                                                  "planned_end_on": (start - timedelta(days=2)).isoformat()},
                      headers=EN)
    assert step3.status_code == 422 and "cannot be before the planned start" in step3.get_data(as_text=True)


def test_registration_tells_every_problem_at_once_and_keeps_the_answers(client, db_session, today):
    post_form(client, "/eligibility", answers(today))
    response = post_form(client, "/register", account(niss="85.07.30-033.29", password="short", password_repeat="x",
                                                      street="", postcode=""), headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field in ("niss", "password", "password_repeat", "street", "postcode"):
        assert f'id="{field}-error"' in page, field
    assert 'value="Lotte"' in page and step_of(page) == 2 and 'id="verdict"' in page
    assert db_session.scalar(select(User.id).where(User.first_name == "Lotte")) is None


def test_a_password_that_is_the_e_mail_is_told_with_the_form_s_other_mistakes(client, today):
    post_form(client, "/eligibility", answers(today))
    email = f"{unique('same')}@example.be"
    response = post_form(client, "/register", account(email=email, password=email, password_repeat=email,
                                                      municipality=""), headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="municipality-error"' in page and 'id="password-error"' in page


def test_answers_that_are_not_eligible_stay_on_step_1_and_are_not_carried(client, today):
    response = post_form(client, "/eligibility", answers(today, contract_end_on=(today - timedelta(days=400))
                                                         .isoformat()), headers=EN)
    assert response.status_code == 200 and "That day has passed" in response.get_data(as_text=True)
    page = client.get("/register", headers=EN).get_data(as_text=True)
    assert 'name="postcode"' not in page and 'class="path-steps"' not in page  # the plain account form


def test_a_dutch_visitor_keeps_dutch_on_every_step_and_gets_a_dutch_account(client, db_session, today):
    first = client.get("/eligibility", headers=NL).get_data(as_text=True)
    assert '<html lang="nl">' in first
    post_form(client, "/eligibility", answers(today), headers=NL)
    page = client.get("/register", headers=NL).get_data(as_text=True)
    assert '<html lang="nl">' in page and re.search(r'<option (selected value="nl"|value="nl" selected)', page)
    user = registered(client, db_session, today, headers=NL, language="nl")
    assert user.language == "nl"
    assert '<html lang="nl">' in client.get("/request/send", headers=NL).get_data(as_text=True)


def test_a_logged_in_beneficiary_starts_at_step_1_and_goes_on_to_the_request(client, db_session, beneficiary, today):
    login(client, beneficiary.email)
    assert client.get("/request").headers["Location"].endswith("/eligibility")
    assert client.get("/request/send").headers["Location"].endswith("/eligibility")
    page = client.get("/eligibility", headers=EN).get_data(as_text=True)
    assert step_of(page) == 1 and "Next: choose your coach" in page
    checked = post_form(client, "/eligibility", answers(today))
    assert checked.status_code == 302 and checked.headers["Location"].endswith("/request/send")
    again = client.get("/eligibility").get_data(as_text=True)  # "change my answers": they are there
    assert (today - timedelta(days=20)).isoformat() in again
    request_page = client.get("/request/send", headers=EN).get_data(as_text=True)
    assert 'name="street"' in request_page and "<details" not in request_page  # no address yet: asked here, open
    assert client.get("/request").headers["Location"].endswith("/request/send")


def test_answers_that_aged_are_told_on_the_request_page_and_nothing_is_sent(client, db_session, today):
    provider = make_provider(db_session)
    user = registered(client, db_session, today)
    draft = db_session.scalar(select(VoucherRequest).where(VoucherRequest.beneficiary.has(user_id=user.id)))
    draft.contract_end_on = today - timedelta(days=400)  # as if the answers were given long ago
    db_session.flush()
    assert "That day has passed" in client.get("/request/send", headers=EN).get_data(as_text=True)
    response = post_form(client, "/request/send", choice(provider), headers=EN)
    assert response.status_code == 422 and "That day has passed" in response.get_data(as_text=True)
    db_session.refresh(draft)
    assert draft.status == "draft"


def test_places_nearest_the_postcode_come_first(client, db_session, today):
    provider = make_provider(db_session, name=unique("Partout "))
    for postcode, town in (("1190", "Forest"), ("1000", "Bruxelles"), ("1030", "Schaerbeek"), ("1070", "Anderlecht")):
        place(db_session, provider, postcode, town)
    registered(client, db_session, today)
    card = client.get("/request/send", headers=EN).get_data(as_text=True).split(f'id="provider-{provider.id}"')[1]
    card = card.split("</li>\n    \n")[0]
    # The postcode itself, then its district (10xx) by name, then the rest of the region: three shown.
    assert card.index("1000 Bruxelles") < card.index("1070 Anderlecht") < card.index("1030 Schaerbeek")
    assert "1190 Forest" not in card and "and 1 more place" in card


def test_only_providers_on_the_list_today_are_offered_and_all_of_them_when_none_is_near(db_session, today):
    from coaching.marketplace.services.choice import providers_to_choose

    listed = make_provider(db_session, name=unique("Listed "))
    expired = make_provider(db_session, name=unique("Expired "))
    expired.label_valid_until_on = today - timedelta(days=1)
    db_session.flush()
    near_brussels = providers_to_choose(db_session, postcode="1000", today=today)
    ids = {p.id for p in near_brussels.providers}
    assert near_brussels.region == "brussels" and listed.id in ids and expired.id not in ids
    nobody_near = providers_to_choose(db_session, postcode="8900", today=today)  # West Flanders: nobody works there
    assert nobody_near.region is None and listed.id in {p.id for p in nobody_near.providers}
    assert providers_to_choose(db_session, postcode="", today=today).region is None


def test_the_request_page_runs_the_same_statements_whatever_the_number_of_providers(app, client, db_session, today):
    from portal.db import db

    registered(client, db_session, today)

    def statements() -> int:
        seen: list[str] = []

        def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            if statement.lstrip().split(None, 1)[0].upper() in ("SELECT", "WITH"):
                seen.append(statement)

        db_session.expunge_all()
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", note)
        try:
            assert client.get("/request/send").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", note)
        return len(seen)

    make_provider(db_session)
    few = statements()
    for number in range(12):
        provider = make_provider(db_session)
        place(db_session, provider, f"10{number:02d}", f"Commune {number}")
    assert statements() == few


def test_bad_bytes_on_the_path_are_refused_not_a_crash(client, db_session, today):
    provider = make_provider(db_session)
    nul = post_form(client, "/eligibility", answers(today, contract_end_on="2026-\x00-01"))
    assert nul.status_code in (400, 422)
    registered(client, db_session, today)
    response = post_form(client, "/request/send", choice(provider, street="Rue\x00Haute"))
    assert response.status_code in (400, 422)


def test_creating_the_account_gives_a_new_session_id_so_a_planted_one_is_worthless(app, client, db_session, today):
    """Session fixation: the id the visitor had while answering step 1 (say, set by someone else) opens nothing once
    the account exists, and the messages meant for the next page survive the new id."""
    assert post_form(client, "/eligibility", answers(today), headers=EN).status_code == 302
    before = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert before is not None
    sent = post_form(client, "/register", account(), headers=EN)
    assert sent.status_code == 302
    after = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert after is not None and after.value != before.value
    planted = app.test_client()
    planted.set_cookie(app.config["SESSION_COOKIE_NAME"], before.value)
    assert planted.get("/my").status_code == 302  # the old id is not signed in: to the login page
    welcome = client.get("/request/send", headers=EN).get_data(as_text=True)
    assert "Your account is created" in welcome
