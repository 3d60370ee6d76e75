"""The fund edits a provider (a renewed label takes it back into search); staff list their coaches."""

from __future__ import annotations

from datetime import timedelta

from portal.permissions import Role
from tests.support.factories import make_provider, make_user
from tests.support.web import bearer


def test_an_expired_label_hides_the_provider_until_the_fund_renews_it(client, db_session, fund_admin, today):
    provider = make_provider(db_session, quality_label="ISO 9001")
    headers = bearer(client, fund_admin.email)
    url = f"/api/v1/admin/providers/{provider.id}"
    expired = client.patch(url, headers=headers, json={"label_valid_until_on": (today - timedelta(days=1)).isoformat()})
    assert expired.status_code == 200 and expired.get_json()["label_valid_until_on"] < today.isoformat()
    assert provider.id not in [p["id"] for p in client.get("/api/v1/providers").get_json()["items"]]
    assert client.get(f"/api/v1/providers/{provider.id}").status_code == 404
    person = make_user(db_session, Role.BENEFICIARY)
    refused = client.post("/api/v1/voucher-requests", headers=bearer(client, person.email), json={
        "provider_id": provider.id, "insurer_code": 300, "initiative": "coordinator", "force_majeure": True,
        "contract_end_on": (today - timedelta(days=20)).isoformat(),
        "address": {"street": "Rue", "number": "1", "postcode": "1000", "municipality": "Bruxelles"}})
    assert refused.status_code == 422 and "provider_id" in refused.get_json()["error"]["fields"]
    renewed = client.patch(url, headers=headers, json={"quality_label": "EQUASS Assurance",
                                                       "label_valid_until_on": (today + timedelta(days=700)).isoformat(),
                                                       "regions": ["brussels"], "languages": ["nl", "fr"]})
    body = renewed.get_json()
    assert renewed.status_code == 200 and body["quality_label"] == "EQUASS Assurance"
    assert body["regions"] == ["brussels"] and body["languages"] == ["fr", "nl"]
    assert provider.id in [p["id"] for p in client.get("/api/v1/providers").get_json()["items"]]


def test_a_provider_edit_refuses_bad_values_all_at_once(client, db_session, fund_admin):
    provider = make_provider(db_session)
    bad = client.patch(f"/api/v1/admin/providers/{provider.id}", headers=bearer(client, fund_admin.email),
                       json={"iban": "BE00 0000", "quality_label": "Gold star", "regions": ["mars"]})
    assert bad.status_code == 422
    assert {"iban", "quality_label", "regions"} <= set(bad.get_json()["error"]["fields"])
    assert client.patch("/api/v1/admin/providers/999999", headers=bearer(client, fund_admin.email),
                        json={}).status_code == 404


def test_staff_list_their_coaches_and_a_coach_sees_only_themselves(client, db_session, provider_admin, coach):
    listed = client.get("/api/v1/provider/coaches", headers=bearer(client, provider_admin.email)).get_json()
    [item] = listed["items"]
    assert item["id"] == coach.id and item["name"] == "Inès Dubois" and item["timezone"] == "Europe/Brussels"
    assert item["calendar_url"].endswith(f"/api/v1/coaches/{coach.id}/calendar.ics?token={coach.calendar_token}")
    colleague = make_user(db_session, Role.COACH, provider_id=provider_admin.provider_id)
    assert client.get("/api/v1/provider/coaches", headers=bearer(client, colleague.email)).get_json()["items"] == []


def test_the_fund_records_a_renewed_label_on_the_provider_page(client, db_session, fund_admin, today):
    from tests.support.web import login, post_form

    provider = make_provider(db_session, quality_label="ISO 9001")
    login(client, fund_admin.email)
    url = f"/admin/fund/providers/{provider.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert f'value="{provider.iban}"' in page and 'value="ISO 9001"' in page  # today's values, to correct
    form = {"quality_label": "EQUASS Excellence", "label_valid_until_on": (today + timedelta(days=730)).isoformat(),
            "iban": provider.iban, "regions": "brussels", "languages": "fr"}
    wrong = post_form(client, url, {**form, "iban": "BE00"}, token_from=url)
    assert wrong.status_code == 422 and 'value="BE00"' in wrong.get_data(as_text=True)  # input kept
    assert post_form(client, url, form, token_from=url).status_code == 302
    db_session.refresh(provider)
    assert provider.quality_label == "EQUASS Excellence" and provider.label_valid_until_on > today


def test_the_offers_list_pages_like_every_api_list(client, db_session, provider_admin, today):
    from coaching.providers.services.offers import create_offer

    for hours in (6, 8, 10):
        create_offer(db_session, provider_admin, name=f"{hours} h", individual_hours=hours, collective_sessions=0,
                     individual_unit_cents=None, collective_unit_cents=None, today=today)
    headers = bearer(client, provider_admin.email)
    first = client.get("/api/v1/provider/offers?limit=2", headers=headers).get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = client.get(f"/api/v1/provider/offers?limit=2&cursor={first['next_cursor']}", headers=headers).get_json()
    assert [o["name"] for o in first["items"] + rest["items"]] == ["6 h", "8 h", "10 h"]
    assert rest["next_cursor"] is None
    assert client.get("/api/v1/provider/offers?limit=999", headers=headers).status_code == 422
