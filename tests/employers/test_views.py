"""The employer's pages: dashboard, declare (keeping input), declaration, payment page, downloads."""

from __future__ import annotations

import re
from datetime import timedelta

from portal.permissions import Role
from tests.support.factories import make_user, new_niss
from tests.support.web import login, post_form


def _declare(client, today, **overrides):
    data = {"worker_first_name": "Amélie", "worker_last_name": "Peeters", "worker_niss": new_niss(),
            "contract_end_on": (today - timedelta(days=10)).isoformat(), "physician_decision_on": ""}
    data.update(overrides)
    return post_form(client, "/employer/declare", data)


def test_pages_need_an_employer_login(client, db_session):
    assert client.get("/employer/").status_code == 302
    beneficiary = make_user(db_session, Role.BENEFICIARY)
    login(client, beneficiary.email)
    assert client.get("/employer/").status_code == 403
    assert client.get("/employer/declare").status_code == 403


def test_declare_then_see_the_declaration(client, employer_user, today, app, monkeypatch):
    login(client, employer_user.email)
    response = _declare(client, today)
    assert response.status_code == 302
    page = client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "The dismissal is declared" in page
    assert "Amélie Peeters" in page
    reference = re.search(r"\+\+\+\d{3}/\d{4}/\d{5}\+\+\+", page)
    assert reference, "the structured reference is shown for a bank transfer"
    assert "with a test card" in page  # no Stripe key, a test run: the fake gateway (test_card_payment_modes.py)
    assert "letter.pdf?lang=fr" in page and "letter.pdf?lang=nl" in page and "letter.pdf?lang=de" in page
    dashboard = client.get("/employer/").get_data(as_text=True)
    assert "Amélie Peeters" in dashboard and "To pay" in dashboard


def test_the_form_keeps_what_was_typed_on_errors(client, employer_user, today):
    login(client, employer_user.email)
    response = _declare(client, today, worker_niss="85.07.30-033.29", worker_first_name="Jeanne")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Jeanne"' in page and 'value="85.07.30-033.29"' in page
    assert "not valid" in page
    duplicate_niss = new_niss()
    assert _declare(client, today, worker_niss=duplicate_niss).status_code == 302
    again = _declare(client, today, worker_niss=duplicate_niss)
    assert again.status_code == 422
    assert "already declared" in again.get_data(as_text=True)


def test_warnings_are_shown_after_declaring(client, employer_user, today):
    login(client, employer_user.email)
    end = today - timedelta(days=50)
    response = _declare(client, today, contract_end_on=end.isoformat(),
                        physician_decision_on=(end - timedelta(days=3)).isoformat())
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This declaration is late" in page
    assert "21-day appeal period" in page
    dashboard = client.get("/employer/?overdue=true").get_data(as_text=True)
    assert "Overdue" in dashboard and "Amélie Peeters" in dashboard


def test_someone_elses_declaration_page_is_404(client, db_session, employer_user, other_employer_user, today):
    login(client, employer_user.email)
    location = _declare(client, today).headers["Location"]
    other = client.application.test_client()
    login(other, other_employer_user.email)
    assert other.get(location).status_code == 404
    assert other.get(location + "/letter.pdf").status_code == 404
    assert other.get(location + "/pay").status_code == 404


def test_payment_page_loads_stripe_js_from_the_setting_without_inline_script(client, employer_user, today, app,
                                                                             monkeypatch, gateway):
    monkeypatch.setitem(app.config, "STRIPE_PUBLISHABLE_KEY", "pk_test_123")
    monkeypatch.setitem(app.config, "STRIPE_JS_URL", "http://127.0.0.1:9/js.stripe.com/v3/")
    login(client, employer_user.email)
    location = _declare(client, today).headers["Location"]
    declaration_page = client.get(location).get_data(as_text=True)
    assert "/pay" in declaration_page
    page = client.get(location + "/pay")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<script src="http://127.0.0.1:9/js.stripe.com/v3/"></script>' in html
    assert "/static/js/pay.js" in html
    assert re.search(r"<script>(?!</script>)", html) is None, "no inline script (CSP)"
    assert 'data-publishable-key="pk_test_123"' in html and 'data-client-secret="pi_fake' in html
    # a declined card is a clear JSON error, and a good one goes through (fake gateway)
    token = re.search(r'data-csrf="([^"]+)"', html).group(1)
    declined = client.post(location + "/pay/confirm", json={"token": "tok_declined"}, headers={"X-CSRFToken": token})
    assert declined.status_code == 422 and declined.get_json()["error"]["code"] == "card_declined"
    ok = client.post(location + "/pay/confirm", json={"payment_method": "pm_1"}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200 and ok.get_json()["status"] == "succeeded"
    assert client.post(location + "/pay/confirm", json={}, headers={"X-CSRFToken": token}).status_code == 400
    assert client.post(location + "/pay/confirm", json={"token": "tok_1"}).status_code == 400  # no CSRF token
    final = client.get(ok.get_json()["next"], follow_redirects=True).get_data(as_text=True)
    assert "the contribution is paid" in final
    assert client.get(location + "/pay", follow_redirects=True).get_data(as_text=True).count("already paid") == 1


def test_letter_and_receipt_downloads(client, employer_user, today):
    login(client, employer_user.email)
    location = _declare(client, today).headers["Location"]
    for lang in ("fr", "nl", "de"):
        letter = client.get(f"{location}/letter.pdf?lang={lang}")
        assert letter.status_code == 200 and letter.data.startswith(b"%PDF")
        assert "letter-" in letter.headers["Content-Disposition"]
    receipt = client.get(f"{location}/receipt.pdf")
    assert receipt.status_code == 200 and receipt.data.startswith(b"%PDF")
