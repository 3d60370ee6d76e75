"""Deactivating an offer: it can no longer be chosen for a voucher; vouchers planned with it keep
their mix; it can be reactivated. Page and API."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from coaching.providers.models import Offer
from portal.audit import AuditEntry
from portal.clock import utcnow
from portal.permissions import Role
from tests.support.factories import make_provider, make_user
from tests.support.web import bearer, login, post_form

EN = {"Accept-Language": "en"}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\u202f", " ").replace("\u00a0", " ")


def test_a_deactivated_offer_cannot_be_chosen_but_planned_vouchers_keep_their_mix(
        client, db_session, admin_headers, make_voucher, offer, coach, slot, fund_admin):
    planned, _person = make_voucher()
    assert client.post(f"/api/v1/provider/vouchers/{planned.id}/accept", headers=admin_headers,
                       json={"offer_id": offer.id}).status_code == 200
    deactivated = client.post(f"/api/v1/provider/offers/{offer.id}/deactivate", headers=admin_headers)
    assert deactivated.status_code == 200 and deactivated.get_json()["active"] is False
    assert db_session.get(Offer, offer.id).active is False
    # No new acceptance, and no re-planning with it.
    newcomer, _ = make_voucher()
    refused = client.post(f"/api/v1/provider/vouchers/{newcomer.id}/accept", headers=admin_headers,
                          json={"offer_id": offer.id})
    assert refused.status_code == 422 and "offer_id" in refused.get_json()["error"]["fields"]
    assert client.post(f"/api/v1/provider/vouchers/{planned.id}/accept", headers=admin_headers,
                       json={"offer_id": offer.id}).status_code == 422
    # The planned voucher keeps its 9 h + 3 mix and can still be booked.
    voucher = client.get(f"/api/v1/vouchers/{planned.id}", headers=bearer(client, fund_admin.email)).get_json()
    assert voucher["mix"]["individual_hours"] == 9 and voucher["mix"]["collective_sessions"] == 3
    booked = client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [planned.id], "starts_at": slot().isoformat(),
        "duration_minutes": 60})
    assert booked.status_code == 201, booked.get_json()
    # The public profile no longer shows it; the provider's own list does, as inactive.
    profile = client.get(f"/api/v1/providers/{offer.provider_id}").get_json()
    assert offer.id not in [o["id"] for o in profile["offers"]]
    own = client.get("/api/v1/provider/offers", headers=admin_headers).get_json()["items"]
    assert [(o["id"], o["active"]) for o in own] == [(offer.id, False)]
    # Twice is the same; reactivated, it can be chosen again.
    assert client.post(f"/api/v1/provider/offers/{offer.id}/deactivate", headers=admin_headers).status_code == 200
    assert client.post(f"/api/v1/provider/offers/{offer.id}/reactivate",
                       headers=admin_headers).get_json()["active"] is True
    assert client.post(f"/api/v1/provider/vouchers/{newcomer.id}/accept", headers=admin_headers,
                       json={"offer_id": offer.id}).status_code == 200
    trail = list(db_session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "offer",
                                                                    AuditEntry.object_id == offer.id)
                                    .order_by(AuditEntry.id)))
    assert trail == ["created", "deactivated", "reactivated"]


def test_only_the_providers_administrators_switch_its_offers(client, db_session, offer, provider):
    stranger = make_user(db_session, Role.PROVIDER_ADMIN, provider_id=make_provider(db_session).id)
    assert client.post(f"/api/v1/provider/offers/{offer.id}/deactivate",
                       headers=bearer(client, stranger.email)).status_code == 404
    coach = make_user(db_session, Role.COACH, provider_id=provider.id)
    assert client.post(f"/api/v1/provider/offers/{offer.id}/deactivate",
                       headers=bearer(client, coach.email)).status_code == 403
    assert client.post(f"/api/v1/provider/offers/{offer.id}/deactivate").status_code == 401
    assert db_session.get(Offer, offer.id).active is True


@pytest.fixture
def admin_client(client, provider_admin):
    assert login(client, provider_admin.email).status_code == 302
    return client


def test_deactivating_from_the_offers_page(admin_client, db_session, offer, make_voucher):
    page = text(admin_client.get("/provider/offers", headers=EN))
    assert "Can be chosen" in page and f'/provider/offers/{offer.id}/deactivate' in page
    response = post_form(admin_client, f"/provider/offers/{offer.id}/deactivate", {}, token_from="/provider/offers",
                         headers=EN, follow_redirects=True)
    assert response.status_code == 200
    page = text(response)
    assert "is deactivated" in page and "Deactivated" in page and f'/provider/offers/{offer.id}/reactivate' in page
    assert db_session.get(Offer, offer.id).active is False
    voucher, _person = make_voucher()
    accept_page = text(admin_client.get(f"/provider/vouchers/{voucher.id}", headers=EN))
    assert "9 h + 3 groups" not in accept_page  # not offered any more
    refused = post_form(admin_client, f"/provider/vouchers/{voucher.id}/accept", {"offer_id": str(offer.id)},
                        token_from=f"/provider/vouchers/{voucher.id}", headers=EN)
    assert refused.status_code == 422
    assert post_form(admin_client, f"/provider/offers/{offer.id}/reactivate", {},
                     token_from="/provider/offers").status_code == 302
    assert db_session.get(Offer, offer.id).active is True


def test_a_stale_form_changes_nothing(admin_client, db_session, offer):
    response = admin_client.post(f"/provider/offers/{offer.id}/deactivate", data={"csrf_token": "stale"})
    assert response.status_code == 400 and db_session.get(Offer, offer.id).active is True


def test_the_service_is_idempotent(db_session, provider_admin, offer):
    from coaching.providers.services.offers import set_offer_active

    set_offer_active(db_session, provider_admin, offer.id, True, now=utcnow())  # already active: nothing happens
    assert list(db_session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "offer",
                                                                   AuditEntry.object_id == offer.id))) == ["created"]
