"""Each waitlisted request's place on the waiting list, as the fund's queue and a request's own read give it (read
for a page's rows at once), is the place the list's order gives it: 1 for the one served next (oldest submission,
then lowest id), whatever the mix of routes, statuses, days shared by several requests and pages."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.permissions import Role
from tests.support.factories import make_user
from vouchers.requests.models import Beneficiary, VoucherRequest

STATUSES = ("waitlisted", "waitlisted", "waitlisted", "submitted", "approved", "rejected", "info_requested")


def _crowd(db_session, provider, today, seed: int) -> dict[int, int]:
    """Requests in a random mix (several on the same day, ids not in the order of their days); the places the
    waiting list's order gives, by request id."""
    chance = random.Random(seed)
    for _ in range(chance.randint(25, 40)):
        user = make_user(db_session, Role.BENEFICIARY, language="en")
        beneficiary_id = db_session.scalar(select(Beneficiary.id).where(Beneficiary.user_id == user.id))
        submitted_on = today - timedelta(days=chance.randint(0, 6))
        db_session.add(VoucherRequest(
            beneficiary_id=beneficiary_id, provider_id=provider.id, status=chance.choice(STATUSES),
            route=chance.choice(("A", "B", "B", None)), insurer_code=300, initiative="own", force_majeure=False,
            submitted_on=submitted_on, decision_due_on=submitted_on + timedelta(days=chance.randint(30, 60)),
            street="Rue", house_number="1", postcode="1000", municipality="Bruxelles"))
    db_session.flush()
    waiting = db_session.execute(select(VoucherRequest.submitted_on, VoucherRequest.id)
                                 .where(VoucherRequest.status == "waitlisted")).all()
    return {request_id: place for place, (_, request_id) in enumerate(sorted(waiting), start=1)}


def _listed(client, headers, query: str) -> dict[int, int | None]:
    """Every request of the fund's queue through all its pages (small ones): id -> place."""
    found: dict[int, int | None] = {}
    cursor = ""
    while True:
        answer = client.get(f"/api/v1/admin/voucher-requests?limit=4{query}{cursor}", headers=headers)
        assert answer.status_code == 200
        body = answer.get_json()
        found.update({item["id"]: item["waiting_list_position"] for item in body["items"]})
        if not body["next_cursor"]:
            return found
        cursor = f"&cursor={body['next_cursor']}"


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_places_read_for_a_page_are_the_waiting_lists_order(app, client, db_session, provider, today,
                                                             admin_headers, seed):
    places = _crowd(db_session, provider, today, seed)
    assert places, "the mix has a waiting list"
    waiting_only = _listed(client, admin_headers, "&status=waitlisted")
    assert waiting_only == places
    everything = _listed(client, admin_headers, "")
    assert {request_id: place for request_id, place in everything.items() if place is not None} == places
    assert all(everything[request_id] is None for request_id in everything.keys() - places.keys())
    for route in ("A", "B"):  # a route filter leaves the places as the whole list gives them
        by_route = _listed(client, admin_headers, f"&route={route}&status=waitlisted")
        assert by_route == {request_id: places[request_id] for request_id in by_route}


def test_a_request_read_alone_has_its_place(app, db_session, provider, today, admin):
    from portal.db import db
    from vouchers.requests.services.requests import read_request, waiting_list_positions

    places = _crowd(db_session, provider, today, 5)
    with app.app_context():
        for request_id, place in places.items():
            assert read_request(db.session, admin, request_id).waiting_list_position == place
        other = db.session.scalar(select(VoucherRequest.id).where(VoucherRequest.status != "waitlisted"))
        assert read_request(db.session, admin, other).waiting_list_position is None
        waiting = db.session.scalars(select(VoucherRequest).where(VoucherRequest.status == "waitlisted")).all()
        assert waiting_list_positions(db.session, list(waiting)) == places
