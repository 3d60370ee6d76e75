"""The provider's list of vouchers (page and API): every voucher once across the pages, newest first, each
with its balance, in a fixed number of queries however many vouchers there are."""

from __future__ import annotations

from sqlalchemy import event

from tests.support.web import login
from vouchers.requests.usage import usage_totals, usage_totals_of

EN = {"Accept-Language": "en"}


def count_statements(app, call):  # type: ignore[no-untyped-def]
    from portal.db import db

    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def grab(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", grab)
    try:
        result = call()
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return result, len(seen)


def test_the_api_pages_through_every_voucher_once_with_its_balance(app, client, db_session, admin_headers,
                                                                   make_voucher, offer, coach, slot) -> None:
    vouchers = [make_voucher()[0] for _ in range(5)]
    # One voucher with a booked session, so that its balance differs from the others'.
    client.post(f"/api/v1/provider/vouchers/{vouchers[0].id}/accept", headers=admin_headers, json={"offer_id": offer.id})
    booked = client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [vouchers[0].id],
        "starts_at": slot().isoformat(), "duration_minutes": 60})
    assert booked.status_code == 201, booked.get_json()
    seen, cursor, pages = [], None, 0
    while True:
        answer = client.get("/api/v1/provider/vouchers", headers=admin_headers,
                            query_string={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        assert len(body["items"]) <= 2
        seen += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert [v["id"] for v in seen] == sorted((v.id for v in vouchers), reverse=True)
    by_id = {v["id"]: v for v in seen}
    assert by_id[vouchers[0].id]["balance_cents"] < by_id[vouchers[1].id]["balance_cents"] == 180000
    assert all(v["beneficiary_name"] for v in seen)
    # Filters and cursors are checked.
    assert client.get("/api/v1/provider/vouchers?status=approved", headers=admin_headers).status_code == 200
    for bad in ("status=nonsense", "limit=0", "limit=201", "cursor=forged"):
        refused = client.get(f"/api/v1/provider/vouchers?{bad}", headers=admin_headers)
        assert refused.status_code == 422, bad


def test_the_list_costs_the_same_queries_for_two_vouchers_or_twenty(app, client, db_session, provider_admin,
                                                                    make_voucher) -> None:
    login(client, provider_admin.email)
    for _ in range(2):
        make_voucher()
    client.get("/provider/vouchers")
    _page, few = count_statements(app, lambda: client.get("/provider/vouchers"))
    for _ in range(18):
        make_voucher()
    page, many = count_statements(app, lambda: client.get("/provider/vouchers", headers=EN))
    assert page.status_code == 200 and page.text.count("/provider/vouchers/") >= 20
    assert many == few


def test_the_page_shows_fifty_then_a_next_page_and_survives_a_bad_link(app, client, db_session, provider_admin,
                                                                       make_voucher) -> None:
    app.config["PROVIDER_VOUCHERS_PAGE_SIZE"] = 3
    try:
        vouchers = [make_voucher()[0] for _ in range(4)]
        login(client, provider_admin.email)
        first = client.get("/provider/vouchers", headers=EN)
        assert first.status_code == 200 and 'rel="next"' in first.text and "First page" not in first.text
        next_url = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
        second = client.get(next_url, headers=EN)
        assert second.status_code == 200 and f"/provider/vouchers/{vouchers[0].id}\"" in second.text
        assert 'rel="next"' not in second.text and "First page" in second.text
        broken = client.get("/provider/vouchers?cursor=forged", headers=EN)
        assert broken.status_code == 200 and "not valid any more" in broken.text
        assert f"/provider/vouchers/{vouchers[-1].id}\"" in broken.text
    finally:
        app.config.pop("PROVIDER_VOUCHERS_PAGE_SIZE", None)


def test_grouped_totals_are_the_totals_of_each_voucher(client, db_session, admin_headers, make_voucher, offer,
                                                       coach, slot) -> None:
    used, unused = make_voucher()[0], make_voucher()[0]
    client.post(f"/api/v1/provider/vouchers/{used.id}/accept", headers=admin_headers, json={"offer_id": offer.id})
    assert client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [used.id], "starts_at": slot().isoformat(),
        "duration_minutes": 90}).status_code == 201
    grouped = usage_totals_of(db_session, [used.id, unused.id])
    assert grouped[used.id] == usage_totals(db_session, used.id) and grouped[used.id].scheduled_cents == 22500
    assert grouped[unused.id] == usage_totals(db_session, unused.id) and grouped[unused.id].scheduled_cents == 0
    assert usage_totals_of(db_session, []) == {}
