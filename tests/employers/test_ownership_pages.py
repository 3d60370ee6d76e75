"""The pages of the ownership letters: the fund checks the registered office, prints the letter with its code and
marks it sent; the employer follows its request and types the code."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal.audit import AuditEntry
from portal.auth.models import User
from portal.clock import utcnow
from portal.permissions import Role
from tests.employers.ownership_support import (
    EN,
    account,
    claim_of,
    confirmation_path,
    post_letter,
    registration_body,
)
from tests.support.factories import make_user
from tests.support.web import login, post_form
from vouchers.employers.company_access import domain, letters
from vouchers.employers.models import Employer

LETTERS = "/admin/fund/ownership-letters/"


def _registered(client, db_session, **overrides) -> User:
    body = registration_body(**overrides)
    client.post("/api/v1/employers", json=body)
    return account(db_session, body["email"])


def test_the_fund_checks_the_office_prints_and_marks_the_letter_sent(app, client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN, language="en")
    user = _registered(client, db_session)
    login(client, admin.email)
    assert user.email not in client.get(LETTERS, headers=EN).get_data(as_text=True)  # address not confirmed yet
    app.test_client().get(confirmation_path(db_session, user.email))
    claim = claim_of(db_session, user)
    company = db_session.get(Employer, claim.employer_id)

    page = client.get(LETTERS, headers=EN).get_data(as_text=True)
    assert company.company_name in page and user.email in page
    assert domain.kbo_url(company.enterprise_number) in page.replace("&amp;", "&")
    assert claim.code not in page  # the code is only in the letter

    pdf = client.get(f"{LETTERS}{claim.id}/letter.pdf?lang=nl", headers=EN)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-") and pdf.headers["Cache-Control"] == "no-store"

    corrected = post_form(client, f"{LETTERS}{claim.id}/address", {f"office-{claim.id}-address":
                                                                   "Avenue Louise 54\n1050 Bruxelles"},
                          token_from=LETTERS, headers=EN)
    assert corrected.status_code == 302
    db_session.refresh(company)
    assert company.address == "Avenue Louise 54\n1050 Bruxelles"
    assert db_session.scalar(select(AuditEntry.id).where(AuditEntry.action == "registered_office_corrected"))

    unchecked = post_form(client, f"{LETTERS}{claim.id}/sent", {}, token_from=LETTERS, headers=EN)
    assert unchecked.status_code == 422 and "Crossroads Bank" in unchecked.get_data(as_text=True)
    db_session.refresh(claim)
    assert claim.status == "letter_due"
    sent = post_form(client, f"{LETTERS}{claim.id}/sent", {f"sent-{claim.id}-checked": "y"}, token_from=LETTERS,
                     headers=EN)
    assert sent.status_code == 302
    db_session.refresh(claim)
    assert claim.status == "letter_sent" and claim.code is None and claim.letter_sent_by_id == admin.id
    assert client.get(f"{LETTERS}{claim.id}/letter.pdf", headers=EN).status_code == 409  # the code is gone
    after = client.get(LETTERS, headers=EN).get_data(as_text=True)
    assert "Not typed yet" in after


def test_the_letter_carries_the_code_the_company_and_the_person(db_session):
    facts = letters.OwnershipLetterFacts(
        company_name="Menuiserie Lambert SRL", enterprise_number="0403170701", address="Rue du Bois 4\n4000 Liège",
        person="Claire Lambert", email="claire@example.be", asked_on=date(2026, 3, 2),
        code="ABCDE23456", written_on=date(2026, 3, 9), portal_url="https://tnw.example.be")
    for lang, words in (("fr", "Madame, Monsieur"), ("nl", "Geachte"), ("de", "Sehr geehrte")):
        html = letters.letter_html(facts, lang)
        assert "ABCDE-23456" in html and "0403.170.701" in html and "Claire Lambert" in html and words in html
        assert "Rue du Bois 4" in html
    assert "8 mai 2026" in letters.letter_html(facts, "fr")  # 60 days after it was written
    assert letters.letter_pdf(facts, "en").startswith(b"%PDF-")  # a language without a letter gets French


def test_only_the_fund_sees_the_letters(client, db_session, employer_user):
    user = _registered(client, db_session)
    claim = claim_of(db_session, user)
    login(client, employer_user.email)
    assert client.get(LETTERS, headers=EN).status_code == 403
    assert client.get(f"{LETTERS}{claim.id}/letter.pdf", headers=EN).status_code == 403


def test_the_employer_types_the_code_on_its_page(app, client, db_session):
    user = _registered(client, db_session)
    client.get(confirmation_path(db_session, user.email))
    login(client, user.email)
    waiting = client.get("/employer/ownership", headers=EN).get_data(as_text=True)
    assert "The fund checks the registered office" in waiting
    assert client.get("/employer/", headers=EN).headers["Location"].endswith("/employer/ownership")
    claim = claim_of(db_session, user)
    code = post_letter(db_session, claim)
    page = client.get("/employer/ownership", headers=EN).get_data(as_text=True)
    assert "Confirm the code" in page and "5 attempts left" in page
    field = f"claim-{claim.id}-code"
    wrong = post_form(client, f"/employer/ownership/{claim.id}/code", {field: "ABCDE23456" if code != "ABCDE23456"
                                                                       else "ABCDE23457"},
                      token_from="/employer/ownership", headers=EN)
    assert wrong.status_code == 422 and "4 tries left" in wrong.get_data(as_text=True)
    empty = post_form(client, f"/employer/ownership/{claim.id}/code", {field: ""}, token_from="/employer/ownership",
                      headers=EN)
    assert empty.status_code == 422 and "Type the code printed on the letter" in empty.get_data(as_text=True)
    right = post_form(client, f"/employer/ownership/{claim.id}/code", {field: code},
                      token_from="/employer/ownership", headers=EN)
    assert right.status_code == 302 and right.headers["Location"].endswith("/employer/")
    assert client.get("/employer/", headers=EN).status_code == 200
    assert client.get("/employer/declare", headers=EN).status_code == 200


def test_an_expired_letter_is_asked_again_from_the_page(client, db_session):
    user = _registered(client, db_session)
    client.get(confirmation_path(db_session, user.email))
    claim = claim_of(db_session, user)
    post_letter(db_session, claim)
    claim.expires_at = utcnow() - timedelta(days=1)
    db_session.flush()
    login(client, user.email)
    page = client.get("/employer/ownership", headers=EN).get_data(as_text=True)
    assert "The code has expired" in page and "Ask for a new letter" in page
    asked = post_form(client, f"/employer/ownership/{claim.id}/letter", {}, token_from="/employer/ownership",
                      headers=EN)
    assert asked.status_code == 302
    assert claim_of(db_session, user).status == "letter_due"
    refused = post_form(client, f"/employer/ownership/{claim_of(db_session, user).id}/letter", {},
                        token_from="/employer/ownership", headers=EN, follow_redirects=True)
    assert "A letter is on its way" in refused.get_data(as_text=True)


def test_confirmed_elsewhere_the_letter_is_asked_from_the_page(client, db_session):
    """A password reset proves the address too: the page then offers to ask for the letter."""
    user = _registered(client, db_session)
    user.confirmed_at = utcnow()
    db_session.flush()
    login(client, user.email)
    page = client.get("/employer/ownership", headers=EN).get_data(as_text=True)
    assert "Ask for the letter" in page
    claim = claim_of(db_session, user)
    assert post_form(client, f"/employer/ownership/{claim.id}/letter", {}, token_from="/employer/ownership",
                     headers=EN).status_code == 302
    assert claim_of(db_session, user).status == "letter_due"
