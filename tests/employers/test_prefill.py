"""A worker whose employer declared their dismissal finds the first step of the voucher request pre-filled
from it, once they proved the same NISS by signing in with itsme or eID (a typed NISS proves nothing, DOMAIN.md
"Identity"). Only pre-filled: the person can change it, and nothing else of the employer's is shown."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from portal.clock import utcnow
from portal.permissions import Role
from tests.support.factories import PASSWORD, make_user, new_niss
from tests.support.identity import confirm_address, prove_niss
from tests.support.web import bearer, login, post_form
from vouchers.employers.models import Employer
from vouchers.employers.services import declarations as declaration_services
from vouchers.requests.models import Beneficiary, VoucherRequest

EN = {"Accept-Language": "en"}


def _declare_for(db_session, employer_user, niss: str, ended_on):
    data = declaration_services.DeclarationData(worker_first_name="Amélie", worker_last_name="Peeters", worker_niss=niss,
                                    contract_end_on=ended_on)
    return declaration_services.declare_dismissal(db_session, employer_user, data, today=ended_on + timedelta(days=3),
                                      now=utcnow()).declaration


def _niss_of(db_session, user) -> str:
    return db_session.scalar(select(Beneficiary.niss).where(Beneficiary.user_id == user.id))


def _checked(page: str, value: str) -> bool:
    return re.search(rf'<input[^>]*value="{value}"[^>]*checked|<input[^>]*checked[^>]*value="{value}"', page) \
        is not None


def test_the_first_step_starts_from_the_declaration(client, db_session, employer_user, today):
    person = make_user(db_session, Role.BENEFICIARY, language="en")
    prove_niss(db_session, person)
    ended = today - timedelta(days=20)
    _declare_for(db_session, employer_user, _niss_of(db_session, person), ended - timedelta(days=400))  # older one
    _declare_for(db_session, employer_user, _niss_of(db_session, person), ended)
    login(client, person.email)
    page = client.get("/request/step/1", headers=EN).get_data(as_text=True)
    assert "Filled in from the declaration your employer sent to the fund" in page
    assert f'value="{ended.isoformat()}"' in page  # the latest declaration's contract end
    assert _checked(page, "yes")
    company = db_session.get(Employer, employer_user.employer_id).company_name
    assert company not in page and "1,800" not in page  # nothing else of the employer's


def test_the_person_can_change_it_and_their_answer_wins(client, db_session, employer_user, today):
    person = make_user(db_session, Role.BENEFICIARY, language="en")
    prove_niss(db_session, person)
    _declare_for(db_session, employer_user, _niss_of(db_session, person), today - timedelta(days=20))
    login(client, person.email)
    incapacity = today - timedelta(days=800)
    saved = post_form(client, "/request/step/1", {"force_majeure": "no", "incapacity_start_on": incapacity.isoformat(),
                                                  "benefits_scheme": "employee"}, headers=EN)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    draft = db_session.scalar(select(VoucherRequest).where(VoucherRequest.status == "draft"))
    assert draft.force_majeure is False and draft.contract_end_on is None
    page = client.get("/request/step/1", headers=EN).get_data(as_text=True)
    assert "Filled in from the declaration" not in page and _checked(page, "no")


def test_no_declaration_no_prefill(client, db_session, employer_user, today):
    person = make_user(db_session, Role.BENEFICIARY, language="en")
    _declare_for(db_session, employer_user, new_niss(), today - timedelta(days=20))  # somebody else
    cancelled = _declare_for(db_session, employer_user, _niss_of(db_session, person), today - timedelta(days=30))
    cancelled.status = "cancelled"
    db_session.flush()
    assert declaration_services.dismissal_declared_for(db_session, person) is None
    assert declaration_services.dismissal_declared_for(db_session, employer_user) is None  # only for beneficiaries
    login(client, person.email)
    page = client.get("/request/step/1", headers=EN).get_data(as_text=True)
    assert "Filled in from the declaration" not in page and not _checked(page, "yes")


def test_a_typed_number_sees_no_declaration_until_it_is_proven(client, db_session, employer_user, today,
                                                              smtp_server):
    """Registering with someone's national number must not tell that they were dismissed for medical reasons: not
    on the registration page, not to the account it makes (pages and API), however confirmed its address. Only once
    the number is proven (a sign-in with itsme or eID) does the first step start from the declaration."""
    from portal.auth.models import User

    niss = new_niss()
    ended = today - timedelta(days=10)
    _declare_for(db_session, employer_user, niss, ended)
    response = post_form(client, "/register", {
        "email": "worker@example.be", "password": PASSWORD, "password_repeat": PASSWORD, "first_name": "Amélie",
        "last_name": "Peeters", "niss": niss, "language": "en"}, headers=EN, follow_redirects=True)
    first_step = response.get_data(as_text=True)  # logged in at once, on the request's first step
    assert response.status_code == 200 and "Step 1 of 4" in first_step
    assert "Filled in from the declaration" not in first_step and ended.isoformat() not in first_step
    confirmed = confirm_address(client, smtp_server, "worker@example.be", headers=EN, follow_redirects=True)
    assert confirmed.status_code == 200 and ended.isoformat() not in confirmed.get_data(as_text=True)
    person = db_session.scalar(select(User).where(User.email == "worker@example.be"))
    assert person.confirmed_at is not None  # the link confirmed the address: that proves nothing about the NISS
    page = client.get("/request/step/1", headers=EN).get_data(as_text=True)
    assert "Filled in from the declaration" not in page and ended.isoformat() not in page
    api = client.application.test_client()  # a program of the person's, with a token and no browser session
    headers = bearer(api, "worker@example.be")
    refused = api.get("/api/v1/beneficiary/declared-dismissal", headers=headers)
    assert refused.status_code == 404 and ended.isoformat() not in refused.get_data(as_text=True)
    # Once the number is proven, the first step starts from the declaration, and the API gives it.
    prove_niss(db_session, person)
    page = client.get("/request/step/1", headers=EN).get_data(as_text=True)
    assert f'value="{ended.isoformat()}"' in page and _checked(page, "yes")
    given = api.get("/api/v1/beneficiary/declared-dismissal", headers=headers)
    assert given.status_code == 200, given.get_json()
    assert given.get_json()["contract_end_on"] == ended.isoformat() and given.get_json()["force_majeure"] is True
