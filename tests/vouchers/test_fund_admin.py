"""The fund's administration: listing and delisting providers, label warnings, the claims queue,
the fund's balance and the audit view, through the API and the pages."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from coaching.providers.models import Provider
from coaching.providers.services import listing as provider_listing
from portal.audit import AuditEntry
from portal.auth.models import User
from portal.clock import utcnow
from portal.permissions import Role
from tests.support.factories import make_provider, make_user
from tests.support.web import bearer, login, post_form
from tests.vouchers.test_payouts import Course, start_course
from vouchers.requests.models import Voucher

GOOD_ENTERPRISE = "0403.170.701"
GOOD_IBAN = "BE71 0961 2345 6769"


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def listing(today):
    def build(**overrides):
        body = {"name": "Retour Coaching SRL", "enterprise_number": GOOD_ENTERPRISE,
                "quality_label": "EQUASS Assurance", "label_valid_until_on": (today + timedelta(days=400)).isoformat(),
                "iban": GOOD_IBAN, "regions": ["brussels", "liege"], "languages": ["fr", "de"],
                "admin_email": "Direction@Retour-Coaching.be"}
        body.update(overrides)
        return body

    return build


@pytest.fixture
def admin_client(client, admin):
    assert login(client, admin.email).status_code == 302
    return client


@pytest.fixture
def course(db_session, admin, today) -> Course:
    return start_course(db_session, admin, today)


# --- listing a provider ---------------------------------------------------------------------


def test_listing_a_provider_invites_its_first_admin(client, db_session, admin_headers, listing, mailbox, today):
    created = client.post("/api/v1/admin/providers", headers=admin_headers, json=listing())
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["enterprise_number"] == "0403170701" and body["iban"] == "BE71096123456769"
    assert body["regions"] == ["brussels", "liege"] and body["languages"] == ["fr", "de"]
    assert body["quality_label"] == "EQUASS Assurance" and body["delisted_at"] is None
    user = db_session.get(User, body["admin_user_id"])
    assert (user.email, user.role, user.provider_id, user.language) == (
        "direction@retour-coaching.be", Role.PROVIDER_ADMIN, body["id"], "fr")
    assert user.confirmed_at is None  # the invitation's link confirms the address
    # The invitation went out through the real SMTP server, with a link to choose a password.
    assert [m["To"] for m in mailbox] == ["direction@retour-coaching.be"]
    assert "/password/reset/" in mailbox[0].get_content()
    # The provider is on the public list at once.
    assert client.get(f"/api/v1/providers/{body['id']}").status_code == 200
    actions = db_session.execute(select(AuditEntry.object_type, AuditEntry.action)
                                 .where(AuditEntry.object_id.in_([body["id"], user.id]))).all()
    assert ("provider", "listed") in actions and ("user", "invited") in actions


def test_bad_enterprise_number_and_iban_are_422_with_every_field(client, admin_headers, listing):
    refused = client.post("/api/v1/admin/providers", headers=admin_headers,
                          json=listing(enterprise_number="0403.170.702", iban="BE68 5390 0754 7034",
                                       quality_label="Gold star", regions=["atlantis"], languages=["xx"]))
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert {"enterprise_number", "iban", "quality_label", "regions", "languages"} <= set(error["fields"])


def test_an_expired_label_and_missing_fields_are_refused(client, admin_headers, listing, today):
    expired = client.post("/api/v1/admin/providers", headers=admin_headers,
                          json=listing(label_valid_until_on=(today - timedelta(days=1)).isoformat()))
    assert expired.status_code == 422 and "label_valid_until_on" in expired.get_json()["error"]["fields"]
    body = listing()
    del body["iban"]
    missing = client.post("/api/v1/admin/providers", headers=admin_headers, json=body)
    assert missing.status_code == 422 and "iban" in missing.get_json()["error"]["fields"]


def test_a_duplicate_enterprise_or_e_mail_is_409(client, db_session, admin_headers, listing):
    assert client.post("/api/v1/admin/providers", headers=admin_headers, json=listing()).status_code == 201
    twice = client.post("/api/v1/admin/providers", headers=admin_headers,
                        json=listing(admin_email="someone-else@example.be"))
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "provider_exists"
    same_person = client.post("/api/v1/admin/providers", headers=admin_headers,
                              json=listing(enterprise_number="0202.239.951"))
    assert same_person.status_code == 409 and "admin_email" in same_person.get_json()["error"]["fields"]
    assert db_session.scalar(select(Provider.id).where(Provider.enterprise_number == "0202239951")) is None


def test_only_fund_admins_list_providers(client, db_session, listing):
    provider_admin = make_user(db_session, Role.PROVIDER_ADMIN)
    headers = bearer(client, provider_admin.email)
    assert client.post("/api/v1/admin/providers", headers=headers, json=listing()).status_code == 403
    assert client.post("/api/v1/admin/providers", headers=headers, json={}).status_code == 403  # not a 422 hint
    assert client.post("/api/v1/admin/providers", json=listing()).status_code == 401
    assert client.post("/api/v1/admin/providers/1/delist", json={}).status_code == 401
    assert client.get("/api/v1/admin/audit", headers=headers).status_code == 403


def test_delisting_keeps_history_and_is_done_once(client, db_session, admin_headers, today):
    provider = make_provider(db_session, quality_label="ISO 9001")
    assert client.get(f"/api/v1/providers/{provider.id}").status_code == 200
    delisted = client.post(f"/api/v1/admin/providers/{provider.id}/delist", headers=admin_headers,
                           json={"reason": "label withdrawn"})
    assert delisted.status_code == 200 and delisted.get_json()["delisted_at"]
    assert db_session.get(Provider, provider.id) is not None
    assert client.get(f"/api/v1/providers/{provider.id}").status_code == 404
    twice = client.post(f"/api/v1/admin/providers/{provider.id}/delist", headers=admin_headers, json={})
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "already_delisted"
    assert client.post("/api/v1/admin/providers/999999/delist", headers=admin_headers, json={}).status_code == 404
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.object_type == "provider",
                                                       AuditEntry.object_id == provider.id))
    assert (entry.action, entry.reason) == ("delisted", "label withdrawn")


def test_label_expiry_overview(db_session, admin, today):
    soon = make_provider(db_session, quality_label="EQUASS Excellence", label_valid_until_on=today + timedelta(days=30))
    gone = make_provider(db_session, quality_label="ISO 9001", label_valid_until_on=today - timedelta(days=2))
    make_provider(db_session, quality_label="ISO 9001", label_valid_until_on=today + timedelta(days=200))
    make_provider(db_session, quality_label="ISO 9001", label_valid_until_on=today + timedelta(days=10),
                  delisted_at=utcnow())
    rows = provider_listing.label_expiry_overview(db_session, today)
    assert [(w.provider.id, w.days_left, w.expired) for w in rows] == [(gone.id, -2, True), (soon.id, 30, False)]


# --- the provider pages ---------------------------------------------------------------------


def test_the_provider_form_keeps_what_was_typed(admin_client, db_session, today, mailbox):
    form = {"name": "Nouveau Départ ASBL", "enterprise_number": "0403.170.702", "quality_label": "VDAB partner",
            "label_valid_until_on": (today + timedelta(days=300)).isoformat(), "iban": "BE68 5390 0754 7034",
            "regions": ["namur", "hainaut"], "languages": ["fr"], "admin_email": "chef@depart.be",
            "admin_name": "Chantal Chef"}
    refused = post_form(admin_client, "/admin/fund/providers/new", form)
    text = page(refused)
    assert refused.status_code == 422
    assert "This enterprise number (BCE/KBO) is not valid." in text and "This IBAN is not valid." in text
    assert 'value="Nouveau Départ ASBL"' in text and 'value="chef@depart.be"' in text
    assert re.search(r'<input checked id="regions-\d+" name="regions" type="checkbox" value="namur">', text)
    assert re.search(r'<input id="regions-\d+" name="regions" type="checkbox" value="liege">', text)
    nothing_ticked = post_form(admin_client, "/admin/fund/providers/new",
                               {k: v for k, v in form.items() if k not in ("regions", "languages")})
    text = page(nothing_ticked)
    assert nothing_ticked.status_code == 422
    assert "Choose at least one region." in text and "Choose at least one language." in text
    assert " required " not in text.split('id="regions-0"')[1].split(">")[0]
    listed = post_form(admin_client, "/admin/fund/providers/new",
                       {**form, "enterprise_number": GOOD_ENTERPRISE, "iban": GOOD_IBAN})
    assert listed.status_code == 302 and listed.headers["Location"].endswith("/admin/fund/providers")
    assert [m["To"] for m in mailbox] == ["chef@depart.be"]
    overview = page(admin_client.get("/admin/fund/providers"))
    assert "Nouveau Départ ASBL" in overview and "BE 0403.170.701" in overview


def test_the_providers_page_warns_before_a_label_expires(admin_client, db_session, today):
    make_provider(db_session, name="Soon Expiring BV", quality_label="EQUASS Assurance",
                  label_valid_until_on=today + timedelta(days=20))
    make_provider(db_session, name="Fine For Long SRL", quality_label="ISO 9001",
                  label_valid_until_on=today + timedelta(days=300))
    text = page(admin_client.get("/admin/fund/providers"))
    warnings = text.split('id="label-warnings"')[1].split("</ul>")[0]
    assert "Soon Expiring BV" in warnings and "Fine For Long SRL" not in warnings
    assert "20 days left" in warnings


def test_delisting_asks_for_confirmation(admin_client, db_session):
    provider = make_provider(db_session, name="Leaving Soon SRL")
    path = f"/admin/fund/providers/{provider.id}/delist"
    assert "Yes, delist this provider" in page(admin_client.get(path))
    unconfirmed = post_form(admin_client, path, {"reason": "closing"})
    assert unconfirmed.status_code == 422 and db_session.get(Provider, provider.id).delisted_at is None
    done = post_form(admin_client, path, {"reason": "closing", "confirm": "y"})
    assert done.status_code == 302
    db_session.refresh(provider)
    assert provider.delisted_at is not None
    assert admin_client.get("/admin/fund/providers/999999/delist").status_code == 404


def test_fund_pages_are_for_fund_admins(client, db_session):
    assert client.get("/admin/fund/providers").status_code == 302  # to the login page
    person = make_user(db_session, Role.BENEFICIARY)
    login(client, person.email)
    for path in ("/admin/fund/providers", "/admin/fund/claims", "/admin/fund/payouts", "/admin/fund/balance",
                 "/admin/fund/audit"):
        assert client.get(path).status_code == 403, path


# --- the claims queue -----------------------------------------------------------------------


def test_the_claims_queue_shows_sessions_confirmations_and_disputes(admin_client, db_session, course):
    claim = course.claim(approve=False, sessions=2)
    voucher = db_session.get(Voucher, claim.voucher_id)
    person = voucher.beneficiary.user
    course.session(voucher, person, answer="dispute")
    queue = page(admin_client.get("/admin/fund/claims"))
    assert f"Claim {claim.id}" in queue and voucher.code in queue
    detail = page(admin_client.get(f"/admin/fund/claims/{claim.id}"))
    sessions = detail.split('id="claim-sessions"')[1].split("</table>")[0]
    assert sessions.count("Attended") == 2 and sessions.count("Confirmed") == 2
    disputes = detail.split('id="claim-disputes"')[1].split("</table>")[0]
    assert "Disputed" in disputes and "I was not there that day" in disputes
    assert "Neutral note." not in detail  # session notes stay with the provider and the beneficiary
    viewed = db_session.scalar(select(AuditEntry).where(AuditEntry.object_type == "claim",
                                                        AuditEntry.object_id == claim.id,
                                                        AuditEntry.action == "viewed"))
    assert viewed is not None


def test_approve_and_reject_claims_from_the_pages(admin_client, db_session, course):
    first = course.claim(approve=False)
    second = course.claim(approve=False)
    approved = post_form(admin_client, f"/admin/fund/claims/{first.id}/approve", {},
                         token_from=f"/admin/fund/claims/{first.id}")
    assert approved.status_code == 302
    db_session.refresh(first)
    assert first.status == "approved"
    no_reason = post_form(admin_client, f"/admin/fund/claims/{second.id}/reject", {"reason": ""},
                          token_from=f"/admin/fund/claims/{second.id}")
    assert no_reason.status_code == 422 and "Please give the reason." in page(no_reason)
    rejected = post_form(admin_client, f"/admin/fund/claims/{second.id}/reject",
                         {"reason": "Wrong voucher"}, token_from=f"/admin/fund/claims/{second.id}")
    assert rejected.status_code == 302
    db_session.refresh(second)
    assert (second.status, second.decision_reason) == ("rejected", "Wrong voucher")
    again = post_form(admin_client, f"/admin/fund/claims/{first.id}/approve", {},
                      token_from=f"/admin/fund/claims/{first.id}", follow_redirects=True)
    assert "already decided" in page(again)
    waiting = page(admin_client.get("/admin/fund/claims?status=approved"))
    assert f"Claim {first.id}" in waiting and f"Claim {second.id}" not in waiting


# --- the fund's balance ---------------------------------------------------------------------


def test_the_balance_page_shows_a_chart_and_a_table(admin_client, db_session, course):
    course.claim()  # 1,800 committed, then 150 of it payable; 18,000 funded
    text = page(admin_client.get("/admin/fund/balance"))
    assert '<svg id="balance-chart" role="img"' in text and "<title" in text and "<desc" in text
    table = text.split('id="balance-table"')[1].split("</table>")[0]
    for figure in ("cash", "committed", "payable", "available"):
        assert f'id="{figure}"' in table
    assert "€18,000.00" in table and "€1,650.00" in table and "€150.00" in table and "€16,200.00" in table
    position = admin_client.get("/api/v1/admin/fund-position").get_json()
    assert (position["cash_cents"], position["committed_cents"], position["payable_cents"],
            position["available_cents"]) == (1_800_000, 165_000, 15_000, 1_620_000)


def test_the_chart_handles_a_negative_available_figure():
    from vouchers.ledger.views import bar_chart

    chart = bar_chart([("cash", "Cash", 100), ("available", "Available", -50)])
    cash, available = chart["bars"]
    assert available.x < chart["zero_x"] == cash.x
    assert available.x + available.width == pytest.approx(chart["zero_x"], abs=0.2)
    assert cash.width == pytest.approx(2 * available.width, abs=0.2)


# --- the audit view -------------------------------------------------------------------------


def test_audit_api_filters_by_object_and_person_and_pages(client, db_session, admin, admin_headers, course):
    claim = course.claim(approve=False)
    other = course.claim()
    by_object = client.get(f"/api/v1/admin/audit?object_type=claim&object_id={claim.id}",
                           headers=admin_headers).get_json()
    assert by_object["items"] and {(e["object_type"], e["object_id"]) for e in by_object["items"]} == {
        ("claim", claim.id)}
    assert [e["action"] for e in by_object["items"]] == ["submitted"]
    by_person = client.get(f"/api/v1/admin/audit?actor_id={admin.id}", headers=admin_headers).get_json()["items"]
    assert by_person and {e["actor_id"] for e in by_person} == {admin.id}
    assert ("claim", other.id, "status_changed") in {(e["object_type"], e["object_id"], e["action"])
                                                     for e in by_person}
    first = client.get("/api/v1/admin/audit?object_type=claim&limit=1", headers=admin_headers).get_json()
    second = client.get(f"/api/v1/admin/audit?object_type=claim&limit=1&cursor={first['next_cursor']}",
                        headers=admin_headers).get_json()
    assert first["next_cursor"] and first["items"][0]["id"] > second["items"][0]["id"]
    assert client.get("/api/v1/admin/audit?cursor=nonsense", headers=admin_headers).status_code == 422
    assert client.get("/api/v1/admin/audit?limit=500", headers=admin_headers).status_code == 422


def test_audit_page_filters_by_object_and_person(admin_client, db_session, admin, course):
    claim = course.claim(approve=False)
    by_object = page(admin_client.get(f"/admin/fund/audit?object_type=claim&object_id={claim.id}"))
    rows = by_object.split('id="audit"')[1].split("</table>")[0]
    assert f"claim {claim.id}" in rows and "submitted" in rows and "voucher " not in rows
    by_person = page(admin_client.get(f"/admin/fund/audit?person={course.staff.email}"))
    rows = by_person.split('id="audit"')[1].split("</table>")[0]
    assert course.staff.email in rows and admin.email not in rows
    unknown = admin_client.get("/admin/fund/audit?person=nobody@example.be")
    assert unknown.status_code == 422 and "No account has this e-mail address." in page(unknown)
