"""A coach's weekly hours and exceptions: pages, API, who may edit them, daylight saving, and the
warning when a session is booked outside them."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from coaching.availability.models import Availability, AvailabilityException
from portal.audit import AuditEntry
from portal.clock import BRUSSELS
from portal.permissions import Role
from tests.support.factories import make_provider, make_user
from tests.support.web import bearer, login, post_form

EN = {"Accept-Language": "en"}
# The next change to summer time after the tests' "today" (late 2026), a Sunday, within voucher validity.
SPRING_2027 = date(2027, 3, 28)
AUTUMN_2027 = date(2027, 10, 31)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\u202f", " ").replace("\u00a0", " ")


def week(*ranges: tuple[int, str, str]) -> dict:
    return {"weekly": [{"weekday": d, "start_time": s, "end_time": e} for d, s, e in ranges]}


# --- API -----------------------------------------------------------------------------------------


def test_the_weekly_hours_are_replaced_and_read_back(client, db_session, admin_headers, coach):
    url = f"/api/v1/coaches/{coach.id}/availability"
    empty = client.get(url, headers=admin_headers)
    assert empty.status_code == 200 and empty.get_json() == {"coach_id": coach.id, "timezone": "Europe/Brussels",
                                                              "weekly": [], "exceptions": []}
    saved = client.put(url, headers=admin_headers, json=week((0, "09:00", "12:00"), (0, "13:00", "17:00"),
                                                             (3, "14:00", "18:30")))
    assert saved.status_code == 200, saved.get_json()
    assert [(r["weekday"], r["start_time"], r["end_time"]) for r in saved.get_json()["weekly"]] == [
        (0, "09:00:00", "12:00:00"), (0, "13:00:00", "17:00:00"), (3, "14:00:00", "18:30:00")]
    again = client.put(url, headers=admin_headers, json={**week((4, "08:00", "10:00")), "timezone": "Europe/London"})
    assert again.status_code == 200
    assert again.get_json()["timezone"] == "Europe/London"
    assert [(r.weekday, r.start_time) for r in db_session.scalars(
        select(Availability).where(Availability.coach_id == coach.id))] == [(4, time(8))]
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.object_type == "coach",
                                                      AuditEntry.object_id == coach.id,
                                                      AuditEntry.action == "availability_changed")) is not None


@pytest.mark.parametrize("body, field", [
    (week((0, "12:00", "09:00")), "weekday_0"),
    (week((1, "09:10", "12:00")), "weekday_1"),
    (week((2, "09:00", "12:00"), (2, "11:00", "13:00")), "weekday_2"),
    ({**week((2, "09:00", "12:00")), "timezone": "Mars/Olympus"}, "timezone"),
])
def test_bad_weekly_hours_are_a_422_and_change_nothing(client, db_session, admin_headers, coach, body, field):
    url = f"/api/v1/coaches/{coach.id}/availability"
    assert client.put(url, headers=admin_headers, json=week((5, "10:00", "11:00"))).status_code == 200
    refused = client.put(url, headers=admin_headers, json=body)
    assert refused.status_code == 422
    assert field in refused.get_json()["error"]["fields"]
    assert [r["weekday"] for r in client.get(url, headers=admin_headers).get_json()["weekly"]] == [5]


@pytest.mark.parametrize("body", [
    week((7, "09:00", "10:00")),
    week((0, "09:00+01:00", "10:00")),
    week((0, "nine", "10:00")),
    {"weekly": "all day"},
    {},
])
def test_malformed_weekly_bodies_are_a_422(client, admin_headers, coach, body):
    assert client.put(f"/api/v1/coaches/{coach.id}/availability", headers=admin_headers,
                      json=body).status_code == 422


def test_exceptions_are_added_listed_and_removed(client, db_session, admin_headers, coach, today):
    base = f"/api/v1/coaches/{coach.id}/availability/exceptions"
    leave = client.post(base, headers=admin_headers, json={"from_on": (today + timedelta(days=10)).isoformat(),
                                                           "until_on": (today + timedelta(days=23)).isoformat(),
                                                           "reason": "Leave"})
    assert leave.status_code == 201, leave.get_json()
    assert leave.get_json()["available"] is False and leave.get_json()["start_time"] is None
    extra = client.post(base, headers=admin_headers, json={"from_on": (today + timedelta(days=12)).isoformat(),
                                                           "available": True, "start_time": "18:00",
                                                           "end_time": "20:00"})
    assert extra.status_code == 201  # off all day plus extra hours: "only these hours that day"
    clash = client.post(base, headers=admin_headers, json={"from_on": (today + timedelta(days=23)).isoformat(),
                                                           "start_time": "09:00", "end_time": "10:00"})
    assert clash.status_code == 422 and "from_on" in clash.get_json()["error"]["fields"]
    for bad in ({"from_on": (today - timedelta(days=3)).isoformat()},
                {"from_on": (today + timedelta(days=40)).isoformat(), "available": True},
                {"from_on": (today + timedelta(days=40)).isoformat(), "start_time": "09:00"},
                {"from_on": (today + timedelta(days=40)).isoformat(), "start_time": "10:00", "end_time": "09:00"},
                {"from_on": "1800-01-01"}, {"from_on": "9999-12-31"}, {}):
        assert client.post(base, headers=admin_headers, json=bad).status_code == 422, bad
    listed = client.get(f"/api/v1/coaches/{coach.id}/availability", headers=admin_headers).get_json()["exceptions"]
    assert [(e["from_on"], e["until_on"], e["available"]) for e in listed] == [
        ((today + timedelta(days=10)).isoformat(), (today + timedelta(days=23)).isoformat(), False),
        ((today + timedelta(days=12)).isoformat(), (today + timedelta(days=12)).isoformat(), True)]
    assert client.delete(f"{base}/{leave.get_json()['id']}", headers=admin_headers).status_code == 204
    assert client.delete(f"{base}/{leave.get_json()['id']}", headers=admin_headers).status_code == 404
    assert [e.id for e in db_session.scalars(select(AvailabilityException).where(
        AvailabilityException.coach_id == coach.id))] == [extra.get_json()["id"]]
    actions = set(db_session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "coach",
                                                                     AuditEntry.object_id == coach.id)))
    assert {"availability_exception_added", "availability_exception_removed"} <= actions


def test_intervals_follow_daylight_saving(client, admin_headers, coach):
    client.put(f"/api/v1/coaches/{coach.id}/availability", headers=admin_headers,
               json=week((6, "09:00", "12:00"), (6, "01:00", "04:00")))
    url = f"/api/v1/coaches/{coach.id}/availability/intervals"

    def on(day: date) -> list[tuple[str, str]]:
        items = client.get(f"{url}?from_on={day}&to_on={day}", headers=admin_headers).get_json()["items"]
        return [(i["starts_at"], i["ends_at"]) for i in items]

    assert on(date(2026, 3, 22)) == [("2026-03-22T00:00:00+00:00", "2026-03-22T03:00:00+00:00"),
                                     ("2026-03-22T08:00:00+00:00", "2026-03-22T11:00:00+00:00")]
    assert on(date(2026, 3, 29)) == [("2026-03-29T00:00:00+00:00", "2026-03-29T02:00:00+00:00"),
                                     ("2026-03-29T07:00:00+00:00", "2026-03-29T10:00:00+00:00")]
    assert on(date(2026, 10, 25)) == [("2026-10-24T23:00:00+00:00", "2026-10-25T03:00:00+00:00"),
                                      ("2026-10-25T08:00:00+00:00", "2026-10-25T11:00:00+00:00")]
    assert on(date(2026, 3, 30)) == []  # a Monday
    assert client.get(f"{url}?from_on=2026-03-01&to_on=2026-06-01", headers=admin_headers).status_code == 422
    assert client.get(f"{url}?from_on=2026-03-02&to_on=2026-03-01", headers=admin_headers).status_code == 422
    assert client.get(f"{url}?from_on=2026-03-02&to_on=9999-12-31", headers=admin_headers).status_code == 422
    week_ahead = client.get(f"{url}?from_on=2026-03-23", headers=admin_headers).get_json()["items"]
    assert [i["starts_at"][:10] for i in week_ahead] == ["2026-03-29", "2026-03-29"]  # Monday to Sunday


def test_a_coach_edits_their_own_hours_only(client, db_session, provider, coach):
    from tests.coaching.test_staff_views import make_coach

    own, user = make_coach(db_session, provider, name="Own Coach")
    headers = bearer(client, user.email)
    mine = f"/api/v1/coaches/{own.id}/availability"
    assert client.put(mine, headers=headers, json=week((1, "09:00", "12:00"))).status_code == 200
    assert client.post(f"{mine}/exceptions", headers=headers, json={"from_on": "2027-01-04"}).status_code == 201
    colleague = f"/api/v1/coaches/{coach.id}/availability"
    assert client.get(colleague, headers=headers).status_code == 404
    assert client.put(colleague, headers=headers, json=week((1, "09:00", "12:00"))).status_code == 404
    assert client.post(f"{colleague}/exceptions", headers=headers, json={"from_on": "2027-01-04"}).status_code == 404
    assert client.get(f"{colleague}/intervals?from_on=2027-01-04&to_on=2027-01-10", headers=headers).status_code == 404


def test_other_providers_and_other_roles_are_kept_out(client, db_session, coach):
    stranger = make_user(db_session, Role.PROVIDER_ADMIN, provider_id=make_provider(db_session).id)
    headers = bearer(client, stranger.email)
    url = f"/api/v1/coaches/{coach.id}/availability"
    assert client.get(url, headers=headers).status_code == 404
    assert client.put(url, headers=headers, json=week((1, "09:00", "12:00"))).status_code == 404
    beneficiary = bearer(client, make_user(db_session, Role.BENEFICIARY).email)
    assert client.get(url, headers=beneficiary).status_code == 403
    assert client.get(url).status_code == 401


# --- booking outside the hours: a warning, never a refusal -----------------------------------------


def _book(client, headers, coach, voucher, local: datetime, minutes: int = 60):
    return client.post("/api/v1/sessions", headers=headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "duration_minutes": minutes,
        "starts_at": local.isoformat()})


def test_booking_outside_the_hours_warns_across_daylight_saving(client, db_session, admin_headers, make_voucher,
                                                                offer, coach, provider_admin):
    from coaching.providers.services.offers import accept_voucher
    from portal.clock import utcnow

    voucher, _person = make_voucher()
    accept_voucher(db_session, provider_admin, voucher.id, offer.id, now=utcnow())
    # Before any hours are set: nothing to warn about.
    first = _book(client, admin_headers, coach, voucher, datetime.combine(SPRING_2027 - timedelta(days=7), time(20),
                                                                          tzinfo=BRUSSELS))
    assert first.status_code == 201 and first.get_json()["warnings"] == []
    client.put(f"/api/v1/coaches/{coach.id}/availability", headers=admin_headers, json=week((6, "09:00", "12:00")))
    # 09:00 in Brussels on the day clocks go forward is 07:00 UTC: inside 09:00-12:00 local.
    inside = _book(client, admin_headers, coach, voucher,
                   datetime(SPRING_2027.year, 3, 28, 7, 0, tzinfo=UTC), minutes=120)
    assert inside.status_code == 201 and inside.get_json()["warnings"] == []
    # 08:00 UTC the week before is 09:00 in winter time: inside too; 07:00 UTC (08:00 local) is not.
    winter = _book(client, admin_headers, coach, voucher, datetime(2027, 3, 21, 8, 0, tzinfo=UTC))
    assert winter.status_code == 201 and winter.get_json()["warnings"] == []
    early = _book(client, admin_headers, coach, voucher, datetime(2027, 3, 14, 7, 0, tzinfo=UTC))
    assert early.status_code == 201
    assert [w["code"] for w in early.get_json()["warnings"]] == ["outside_availability"]
    # The last hour runs past noon local time: outside.
    late = _book(client, admin_headers, coach, voucher,
                 datetime.combine(date(2027, 3, 7), time(11), tzinfo=BRUSSELS), minutes=90)
    assert [w["code"] for w in late.get_json()["warnings"]] == ["outside_availability"]
    # A day off on a Sunday: outside.
    client.post(f"/api/v1/coaches/{coach.id}/availability/exceptions", headers=admin_headers,
                json={"from_on": "2027-02-28"})
    off = _book(client, admin_headers, coach, voucher, datetime.combine(date(2027, 2, 28), time(9), tzinfo=BRUSSELS))
    assert off.status_code == 201 and [w["code"] for w in off.get_json()["warnings"]] == ["outside_availability"]
    assert "warnings" not in client.get(f"/api/v1/sessions/{off.get_json()['id']}", headers=admin_headers).get_json()


# --- pages ---------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, provider_admin):
    assert login(client, provider_admin.email).status_code == 302
    return client


def test_the_availability_page_saves_the_week(admin_client, db_session, coach):
    landing = admin_client.get("/coach/availability")
    assert landing.status_code == 302 and landing.headers["Location"].endswith(f"/coach/availability/{coach.id}")
    page = admin_client.get(f"/coach/availability/{coach.id}", headers=EN)
    assert page.status_code == 200 and "Hours of Inès Dubois" in text(page)
    form = {"timezone": "Europe/Brussels", "weekday_0": "09:00-12:00, 13:00-17:00", "weekday_2": "9h-12h30"}
    saved = post_form(admin_client, f"/coach/availability/{coach.id}", form, headers=EN)
    assert saved.status_code == 302
    rows = db_session.scalars(select(Availability).where(Availability.coach_id == coach.id)
                              .order_by(Availability.weekday, Availability.start_time)).all()
    assert [(r.weekday, r.start_time, r.end_time) for r in rows] == [
        (0, time(9), time(12)), (0, time(13), time(17)), (2, time(9), time(12, 30))]
    again = text(admin_client.get(f"/coach/availability/{coach.id}", headers=EN))
    assert 'value="09:00-12:00, 13:00-17:00"' in again and 'value="09:00-12:30"' in again


def test_bad_hours_keep_what_was_typed(admin_client, db_session, coach):
    post_form(admin_client, f"/coach/availability/{coach.id}", {"timezone": "Europe/Brussels",
                                                                 "weekday_4": "10:00-11:00"})
    unreadable = post_form(admin_client, f"/coach/availability/{coach.id}",
                           {"timezone": "Europe/Brussels", "weekday_0": "nine to noon", "weekday_1": "09:00-12:00"},
                           headers=EN)
    assert unreadable.status_code == 422
    page = text(unreadable)
    assert 'value="nine to noon"' in page and 'value="09:00-12:00"' in page and "Could not read" in page
    overlapping = post_form(admin_client, f"/coach/availability/{coach.id}",
                            {"timezone": "Europe/Brussels", "weekday_3": "09:00-12:00, 11:00-14:00"}, headers=EN)
    assert overlapping.status_code == 422
    page = text(overlapping)
    assert "Two ranges of the same day overlap." in page and 'value="09:00-12:00, 11:00-14:00"' in page
    steps = post_form(admin_client, f"/coach/availability/{coach.id}",
                      {"timezone": "Europe/Brussels", "weekday_3": "09:05-12:00"}, headers=EN)
    assert steps.status_code == 422 and "steps of 15 minutes" in text(steps)
    # Nothing of the refused weeks was saved.
    assert [(r.weekday, r.start_time) for r in db_session.scalars(
        select(Availability).where(Availability.coach_id == coach.id))] == [(4, time(10))]


def test_exceptions_from_the_page(admin_client, db_session, coach, today):
    url = f"/coach/availability/{coach.id}"
    day = today + timedelta(days=9)
    added = post_form(admin_client, f"{url}/exceptions", {"kind": "off", "from_on": day.isoformat(),
                                                          "until_on": (day + timedelta(days=4)).isoformat(),
                                                          "reason": "Training"}, token_from=url)
    assert added.status_code == 302
    row = db_session.scalar(select(AvailabilityException).where(AvailabilityException.coach_id == coach.id))
    assert (row.on_date, row.until_on, row.available, row.reason) == (day, day + timedelta(days=4), False, "Training")
    page = text(admin_client.get(url, headers=EN))
    assert "Training" in page and "All day" in page
    refused = post_form(admin_client, f"{url}/exceptions", {"kind": "extra", "from_on": day.isoformat(),
                                                            "start_time": "18:00", "reason": "Evening"},
                        token_from=url, headers=EN)
    assert refused.status_code == 422
    refused_page = text(refused)
    assert "Give both the start and the end time" in refused_page and 'value="Evening"' in refused_page
    removed = post_form(admin_client, f"{url}/exceptions/{row.id}/delete", {}, token_from=url)
    assert removed.status_code == 302
    assert db_session.scalar(select(AvailabilityException).where(AvailabilityException.coach_id == coach.id)) is None


def test_the_week_view_shows_the_hours_in_local_time(admin_client, db_session, coach, today):
    week_url = f"/coach/week?coach_id={coach.id}&day={SPRING_2027.isoformat()}"
    assert "Available:" not in text(admin_client.get(week_url, headers=EN))  # no hours set: nothing said
    post_form(admin_client, f"/coach/availability/{coach.id}",
              {"timezone": "Europe/Brussels", "weekday_6": "09:00-12:00", "weekday_0": "14:00-16:00"})
    page = text(admin_client.get(week_url, headers=EN))
    # The week of the change to summer time still shows 09:00-12:00 on Sunday: wall-clock hours.
    sunday = page.split(f'id="day-{SPRING_2027.isoformat()}"')[1].split("</section>")[0]
    assert "Available: 09:00–12:00" in sunday
    monday = page.split(f'id="day-{(SPRING_2027 - timedelta(days=6)).isoformat()}"')[1].split("</section>")[0]
    assert "Available: 14:00–16:00" in monday
    tuesday = page.split(f'id="day-{(SPRING_2027 - timedelta(days=5)).isoformat()}"')[1].split("</section>")[0]
    assert "Not available" in tuesday


def test_the_schedule_page_warns_outside_the_hours(admin_client, db_session, make_voucher, offer, coach,
                                                   provider_admin, today):
    from coaching.providers.services.offers import accept_voucher
    from portal.clock import utcnow

    voucher, _person = make_voucher()
    accept_voucher(db_session, provider_admin, voucher.id, offer.id, now=utcnow())
    post_form(admin_client, f"/coach/availability/{coach.id}",
              {"timezone": "Europe/Brussels", **{f"weekday_{d}": "09:00-12:00" for d in range(7)}})
    day = today + timedelta(days=3)
    form = {"coach_id": str(coach.id), "kind": "individual", "voucher_ids": [str(voucher.id)],
            "start_on": day.isoformat(), "start_time": "15:00", "duration_minutes": "60", "mode": "onsite",
            "location": "", "capacity": "", "theme": ""}
    response = post_form(admin_client, "/coach/sessions", form, token_from="/coach/week?schedule=1", headers=EN,
                         follow_redirects=True)
    assert response.status_code == 200
    page = text(response)
    assert "The session is scheduled." in page
    assert "outside the coach's availability" in page and "alert--warning" in page
    inside = post_form(admin_client, "/coach/sessions", {**form, "start_time": "10:00"}, token_from="/coach/week?schedule=1",
                       headers=EN, follow_redirects=True)
    assert "The session is scheduled." in text(inside) and "outside the coach's availability" not in text(inside)


def test_a_coach_sees_only_their_own_availability_page(client, db_session, provider, coach):
    from tests.coaching.test_staff_views import make_coach

    own, user = make_coach(db_session, provider, name="Own Coach")
    login(client, user.email)
    landing = client.get("/coach/availability")
    assert landing.headers["Location"].endswith(f"/coach/availability/{own.id}")
    assert client.get(f"/coach/availability?coach_id={coach.id}").headers["Location"].endswith(
        f"/coach/availability/{own.id}")
    assert client.get(f"/coach/availability/{coach.id}").status_code == 404
    assert post_form(client, f"/coach/availability/{coach.id}", {"timezone": "Europe/Brussels"},
                     token_from=f"/coach/availability/{own.id}").status_code == 404


def test_an_admin_without_coaches_is_told_to_add_one(client, db_session):
    admin = make_user(db_session, Role.PROVIDER_ADMIN, language="en")
    login(client, admin.email)
    page = client.get("/coach/availability", headers=EN)
    assert page.status_code == 200 and "Add a coach first" in text(page)
