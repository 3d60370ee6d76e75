"""The contribution's receipt as a page to print (beside its PDF), and a late declaration warned about once."""

from __future__ import annotations

import html
from datetime import timedelta

from portal.permissions import Role
from tests.employers.test_views import _declare
from tests.support.factories import make_user
from tests.support.web import login


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\u202f", " ").replace("\xa0", " ")


def test_the_receipt_to_print_in_the_readers_language(client, db_session, employer_user, today):
    employer_user.language = "fr"
    db_session.flush()
    login(client, employer_user.email)
    location = _declare(client, today).headers["Location"]
    declaration = text(client.get(location))
    assert f'href="{location}/receipt"' in declaration and f'href="{location}/receipt.pdf"' in declaration
    response = client.get(f"{location}/receipt")
    assert response.status_code == 200
    page = text(response)
    assert '<html lang="fr">' in page and 'id="receipt-printout"' in page
    assert "<h1>Reçu de cotisation</h1>" in page and "Amélie Peeters" in page and "1 800,00 €" in page
    assert "Aucun paiement reçu." in page and "+++" in page  # nothing paid yet; the structured reference
    assert f'href="{location}/receipt.pdf"' in page and "data-print" in page and 'media="print"' in page
    employer_user.language = "nl"
    db_session.flush()
    dutch = text(client.get(f"{location}/receipt"))
    assert "Ontvangstbewijs bijdrage" in dutch and "€ 1.800,00" in dutch


def test_only_the_employer_prints_its_receipt(client, db_session, employer_user, other_employer_user, today):
    login(client, employer_user.email)
    location = _declare(client, today).headers["Location"]
    other = client.application.test_client()
    login(other, other_employer_user.email)
    assert other.get(f"{location}/receipt").status_code == 404
    person = client.application.test_client()
    login(person, make_user(db_session, Role.BENEFICIARY).email)
    assert person.get(f"{location}/receipt").status_code == 403


def test_a_late_declaration_is_warned_about_once(client, employer_user, today):
    login(client, employer_user.email)
    end = today - timedelta(days=50)
    response = _declare(client, today, contract_end_on=end.isoformat())
    page = text(client.get(response.headers["Location"]))
    assert page.count("This declaration is late") == 1
    assert page.count("can lead to a sanction") == 1
    assert "The dismissal is declared" in page  # the flashed confirmation is still there
