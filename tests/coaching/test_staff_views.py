"""The provider staff's and coaches' pages, through the test client with CSRF tokens."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.claims.models import Claim
from coaching.providers.models import Coach, Offer
from portal.clock import BRUSSELS
from portal.errors import ValidationFailed
from portal.permissions import Role
from tests.support.factories import make_provider, make_user
from tests.support.web import login, post_form

EN = {"Accept-Language": "en"}
DOUBLE_BOOKING = "The coach already has a session at that time."


def text(response) -> str:
    """The page as a person reads it (Babel puts narrow no-break spaces in times: 10:00\u202fAM)."""
    return html.unescape(response.get_data(as_text=True)).replace("\u202f", " ").replace("\u00a0", " ")


def make_coach(db_session, provider, *, timezone_name: str = "Europe/Brussels", name: str = "Inès Dubois"):
    """A coach who can log in (the invitation path gives a random password)."""
    user = make_user(db_session, Role.COACH, provider_id=provider.id, language="en")
    coach = Coach(provider_id=provider.id, user_id=user.id, display_name=name, email=user.email,
                  timezone=timezone_name)
    db_session.add(coach)
    db_session.flush()
    return coach, user


def past_weekday(today: date, days: int = 7) -> date:
    """A working day a little before today: a session is logged only once it took place."""
    day = today - timedelta(days=days)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def next_weekday(today: date, days: int = 2) -> date:
    """A working day a little ahead (voucher valid, never in the past)."""
    day = today + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def schedule_form(coach, voucher, day: date, start: str = "10:00", **overrides: str) -> dict[str, object]:
    data: dict[str, object] = {"coach_id": str(coach.id), "kind": "individual", "voucher_ids": [str(voucher.id)],
                               "start_on": day.isoformat(), "start_time": start, "duration_minutes": "90",
                               "mode": "onsite", "location": "Rue Haute 5, 1000 Bruxelles", "capacity": "",
                               "theme": "Job search"}
    data.update(overrides)
    return data


@pytest.fixture
def admin_client(client, provider_admin):
    assert login(client, provider_admin.email).status_code == 302
    return client


@pytest.fixture
def accepted(db_session, make_voucher, offer, provider_admin):
    """A voucher of this provider with the 9 h + 3 groups mix fixed."""
    from coaching.providers.services.offers import accept_voucher
    from portal.clock import utcnow

    voucher, person = make_voucher()
    accept_voucher(db_session, provider_admin, voucher.id, offer.id, now=utcnow())
    return voucher, person


@pytest.fixture
def booked(db_session, accepted, coach, provider_admin, slot):
    from coaching.calendar.services.sessions import SessionPlan, schedule_session
    from portal.clock import utcnow

    voucher, person = accepted
    session = schedule_session(db_session, provider_admin, SessionPlan(
        coach_id=coach.id, kind="individual", voucher_ids=[voucher.id], starts_at=slot(), duration_minutes=60,
        location="Rue Haute 5"), now=utcnow())
    return session, voucher, person


# --- who sees what ------------------------------------------------------------------------------


def test_every_page_renders_for_the_provider_admin(admin_client, booked):
    session, voucher, _person = booked
    for path in ("/provider/vouchers", f"/provider/vouchers/{voucher.id}", "/provider/offers", "/provider/coaches",
                 "/coach/week", f"/coach/week?coach_id={session.coach_id}", "/provider/claims",
                 f"/coach/sessions/{session.id}"):
        response = admin_client.get(path, headers=EN)
        assert response.status_code == 200, path
        assert "<h1" in response.get_data(as_text=True), path


def test_a_coach_sees_their_own_calendar_only(client, db_session, provider, booked, coach):
    session, voucher, _person = booked
    own, user = make_coach(db_session, provider, name="Own Coach")
    login(client, user.email)
    week = client.get("/coach/week", headers=EN)
    assert week.status_code == 200 and "Week of Own Coach" in text(week)
    assert client.get("/provider/vouchers", headers=EN).status_code == 200
    assert client.get(f"/provider/vouchers/{voucher.id}", headers=EN).status_code == 200
    # Provider administration is not for coaches.
    for path in ("/provider/offers", "/provider/coaches", "/provider/claims"):
        assert client.get(path).status_code == 403, path
    # Another coach's calendar and session are "not found".
    assert client.get(f"/coach/week?coach_id={coach.id}").status_code == 404
    assert client.get(f"/coach/sessions/{session.id}").status_code == 404
    assert post_form(client, f"/coach/sessions/{session.id}/cancel", {}, token_from="/coach/week?schedule=1").status_code == 404
    assert db_session.get(CoachingSession, session.id).status == "scheduled"


def test_a_coach_can_only_book_in_their_own_calendar(client, db_session, provider, accepted, coach, today):
    voucher, _person = accepted
    own, user = make_coach(db_session, provider, name="Own Coach")
    login(client, user.email)
    page = text(client.get("/coach/week?schedule=1", headers=EN))
    assert "Inès Dubois" not in page  # the other coach is not a choice
    refused = post_form(client, "/coach/sessions", schedule_form(coach, voucher, next_weekday(today)),
                        token_from="/coach/week?schedule=1", headers=EN)
    assert refused.status_code == 422
    assert db_session.scalars(select(CoachingSession)).all() == []
    ok = post_form(client, "/coach/sessions", schedule_form(own, voucher, next_weekday(today)),
                   token_from="/coach/week?schedule=1")
    assert ok.status_code == 302


def test_beneficiaries_and_strangers_are_kept_out(client, db_session, booked):
    session, voucher, person = booked
    assert client.get("/provider/vouchers").status_code == 302  # not logged in: to the login page
    login(client, person.email)
    for path in ("/provider/vouchers", f"/provider/vouchers/{voucher.id}", "/provider/offers", "/provider/coaches",
                 "/coach/week", "/provider/claims", f"/coach/sessions/{session.id}"):
        assert client.get(path).status_code == 403, path


def test_another_providers_voucher_and_session_are_not_found(client, db_session, booked, offer, coach):
    session, voucher, _person = booked
    stranger = make_user(db_session, Role.PROVIDER_ADMIN, provider_id=make_provider(db_session).id, language="en")
    login(client, stranger.email)
    assert client.get(f"/provider/vouchers/{voucher.id}").status_code == 404
    assert client.get(f"/coach/sessions/{session.id}").status_code == 404
    assert client.get(f"/coach/week?coach_id={coach.id}").status_code == 404
    assert post_form(client, f"/provider/vouchers/{voucher.id}/accept", {"offer_id": str(offer.id)},
                     token_from="/provider/vouchers").status_code == 404
    assert post_form(client, f"/coach/sessions/{session.id}/log", {"attendance_%d" % voucher.id: "attended",
                                                                    "duration_minutes": "60"},
                     token_from="/provider/vouchers").status_code == 404
    assert post_form(client, f"/provider/claims/{voucher.id}", {"session_ids": str(session.id)},
                     token_from="/provider/claims").status_code == 404
    assert post_form(client, f"/coach/calendar/{coach.id}/reset", {}, token_from="/coach/week?schedule=1").status_code == 404
    assert voucher.id not in [int(v) for v in re.findall(r"/provider/vouchers/(\d+)",
                                                         text(client.get("/provider/vouchers")))]


# --- offers -------------------------------------------------------------------------------------


def test_the_six_standard_mixes_are_one_click_away(admin_client, db_session, provider):
    page = text(admin_client.get("/provider/offers", headers=EN))
    for hours_, groups in ((7, 5), (8, 4), (9, 3), (10, 2), (11, 1), (12, 0)):
        assert f'value="{hours_}-{groups}"' in page
        assert f"{hours_} h individual + {groups} group session{'' if groups == 1 else 's'}" in page
    response = post_form(admin_client, "/provider/offers/standard", {"mix": "9-3"})
    assert response.status_code == 302
    offer = db_session.scalar(select(Offer).where(Offer.provider_id == provider.id))
    assert (offer.individual_hours, offer.collective_sessions) == (9, 3)
    assert (offer.individual_unit_cents, offer.collective_unit_cents, offer.cost_cents) == (15000, 15000, 180000)
    assert "9 h individual + 3 group sessions" in text(admin_client.get("/provider/offers", headers=EN))
    assert post_form(admin_client, "/provider/offers/standard", {"mix": "13-0"}).status_code == 422


def test_a_custom_offer_converts_euros_to_cents(admin_client, db_session, provider):
    response = post_form(admin_client, "/provider/offers", {
        "name": "Short and intense", "individual_hours": "10", "collective_sessions": "2",
        "individual_unit_cents": "149,50", "collective_unit_cents": "€ 150.00"})
    assert response.status_code == 302, text(response)
    offer = db_session.scalar(select(Offer).where(Offer.provider_id == provider.id))
    assert (offer.individual_unit_cents, offer.collective_unit_cents) == (14950, 15000)


def test_offer_errors_are_shown_next_to_the_fields_and_input_is_kept(admin_client, db_session, provider):
    too_many = post_form(admin_client, "/provider/offers", {
        "name": "Too much", "individual_hours": "13", "collective_sessions": "0",
        "individual_unit_cents": "100", "collective_unit_cents": "100"}, headers=EN)
    page = text(too_many)
    assert too_many.status_code == 422
    assert 'id="individual_hours-error"' in page and "At most 12 individual hours" in page
    assert 'value="13"' in page and 'value="Too much"' in page
    not_money = post_form(admin_client, "/provider/offers", {
        "name": "Typo", "individual_hours": "9", "collective_sessions": "3",
        "individual_unit_cents": "15O", "collective_unit_cents": "150.123"}, headers=EN)
    page = text(not_money)
    assert not_money.status_code == 422
    assert 'id="individual_unit_cents-error"' in page and 'id="collective_unit_cents-error"' in page
    assert "Give an amount in euros" in page and 'value="15O"' in page and 'value="150.123"' in page
    too_dear = post_form(admin_client, "/provider/offers", {
        "name": "Dear", "individual_hours": "12", "collective_sessions": "1",
        "individual_unit_cents": "150", "collective_unit_cents": "150"}, headers=EN)
    assert too_dear.status_code == 422
    assert "more than the voucher value" in text(too_dear)
    assert db_session.scalars(select(Offer).where(Offer.provider_id == provider.id)).all() == []


def test_euro_amounts_are_read_safely():
    from coaching.providers.forms import euros_to_cents

    assert euros_to_cents("150") == 15000
    assert euros_to_cents("150,5") == 15050
    assert euros_to_cents("1.800,00") == 180000
    assert euros_to_cents("1,800.00") == 180000
    assert euros_to_cents("0.29") == 29  # a float would give 28.999…
    for wrong in ("", "-5", "1e3", "12.345", "abc", "1,2,3"):
        with pytest.raises(ValueError):
            euros_to_cents(wrong)


# --- coaches ------------------------------------------------------------------------------------


def test_inviting_a_coach_sends_the_invitation(admin_client, db_session, provider, mailbox):
    form = text(admin_client.get("/provider/coaches", headers=EN))
    assert '<option selected value="Europe/Brussels">' in form or 'value="Europe/Brussels" selected' in form
    response = post_form(admin_client, "/provider/coaches", {"name": "Jan Peeters", "email": "jan@example.be",
                                                             "timezone": "Europe/Amsterdam", "language": "nl"})
    assert response.status_code == 302
    coach = db_session.scalar(select(Coach).where(Coach.email == "jan@example.be"))
    assert coach is not None and coach.provider_id == provider.id and coach.timezone == "Europe/Amsterdam"
    assert any("jan@example.be" in str(m.get("To")) for m in mailbox)
    assert "Jan Peeters" in text(admin_client.get("/provider/coaches", headers=EN))
    again = post_form(admin_client, "/provider/coaches", {"name": "Jan Again", "email": "jan@example.be",
                                                          "timezone": "Europe/Brussels", "language": "fr"}, headers=EN)
    assert again.status_code == 409
    assert "already exists" in text(again) and 'value="Jan Again"' in text(again)
    bad_zone = post_form(admin_client, "/provider/coaches", {"name": "X Y", "email": "xy@example.be",
                                                             "timezone": "Mars/Olympus", "language": "fr"})
    assert bad_zone.status_code == 422


# --- vouchers: accepting, fixing and re-planning the mix ----------------------------------------


def test_accepting_a_voucher_fixes_its_mix(admin_client, db_session, make_voucher, offer):
    voucher, person = make_voucher()
    listing = text(admin_client.get("/provider/vouchers", headers=EN))
    assert voucher.code in listing and person.display_name in listing and "Mix not fixed" in listing
    page = text(admin_client.get(f"/provider/vouchers/{voucher.id}", headers=EN))
    assert "Accept the voucher and fix the mix" in page
    refused = post_form(admin_client, f"/provider/vouchers/{voucher.id}/accept", {}, headers=EN)
    assert refused.status_code == 422 and "Choose one of your offers." in text(refused)
    response = post_form(admin_client, f"/provider/vouchers/{voucher.id}/accept", {"offer_id": str(offer.id)})
    assert response.status_code == 302
    db_session.refresh(voucher)
    assert (voucher.individual_hours, voucher.collective_sessions) == (9, 3)
    page = text(admin_client.get(f"/provider/vouchers/{voucher.id}", headers=EN))
    assert "Re-plan the mix" in page and "Individual hours" in page and "9 h" in page
    assert "9 h individual + 3 group sessions" in text(admin_client.get("/provider/vouchers", headers=EN))


def test_re_planning_never_un_spends(admin_client, db_session, booked, provider_admin, today):
    from coaching.providers.services.offers import create_offer

    session, voucher, _person = booked  # 60 minutes already booked
    none_left = create_offer(db_session, provider_admin, name="Groups only", individual_hours=0,
                             collective_sessions=5, individual_unit_cents=None, collective_unit_cents=None,
                             today=today)
    response = post_form(admin_client, f"/provider/vouchers/{voucher.id}/accept", {"offer_id": str(none_left.id)},
                         headers=EN)
    assert response.status_code == 409
    page = text(response)
    assert "smaller than what was already delivered or booked" in page
    assert f'value="{none_left.id}" checked' in page or 'checked id="offer_id' in page or "checked" in page
    db_session.refresh(voucher)
    assert voucher.individual_hours == 9


def test_a_change_of_provider_waits_for_acceptance(admin_client, db_session, fund_admin, offer, today):
    from portal.clock import utcnow
    from vouchers.requests.models import Voucher
    from vouchers.requests.services.requests import (
        RequestData,
        decide_voucher_request,
        submit_voucher_request,
    )

    elsewhere = make_provider(db_session)
    person = make_user(db_session, Role.BENEFICIARY, language="en")
    request = submit_voucher_request(db_session, person, RequestData(
        provider_id=elsewhere.id, insurer_code=100, initiative="coordinator", force_majeure=True,
        contract_end_on=today - timedelta(days=5),
        address={"street": "Rue", "number": "1", "postcode": "1000", "municipality": "Bruxelles"}),
        today=today, now=utcnow())
    decide_voucher_request(db_session, fund_admin, request.id, "approve", None, today=today, now=utcnow())
    voucher = db_session.scalar(select(Voucher).where(Voucher.request_id == request.id))
    voucher.pending_provider_id = offer.provider_id
    db_session.flush()
    listing = text(admin_client.get("/provider/vouchers", headers=EN))
    assert voucher.code in listing and "Waiting for your acceptance" in listing
    assert "chose you as their new provider" in text(admin_client.get(f"/provider/vouchers/{voucher.id}",
                                                                      headers=EN))
    response = post_form(admin_client, f"/provider/vouchers/{voucher.id}/accept", {"offer_id": str(offer.id)})
    assert response.status_code == 302
    db_session.refresh(voucher)
    assert voucher.provider_id == offer.provider_id and voucher.pending_provider_id is None
    assert voucher.individual_hours == 9


# --- the week view and scheduling ---------------------------------------------------------------


def test_local_time_becomes_aware_utc_across_daylight_saving():
    from coaching.calendar.views.coach import local_to_utc

    summer = local_to_utc(date(2026, 7, 1), time(9, 0), "Europe/Brussels")
    winter = local_to_utc(date(2026, 12, 1), time(9, 0), "Europe/Brussels")
    assert summer == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    assert winter == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert local_to_utc(date(2026, 7, 1), time(9, 0), "Europe/London") == datetime(2026, 7, 1, 8, 0,
                                                                                   tzinfo=UTC)
    with pytest.raises(ValidationFailed) as skipped:  # 02:30 does not exist when clocks go forward
        local_to_utc(date(2026, 3, 29), time(2, 30), "Europe/Brussels")
    assert "start_time" in skipped.value.fields


def test_scheduling_from_the_week_view(admin_client, db_session, accepted, coach, today):
    voucher, _person = accepted
    week = text(admin_client.get(f"/coach/week?coach_id={coach.id}", headers=EN))
    # The week itself builds no booking form: a link opens it, on the same week.
    assert "Schedule a session" in week and voucher.code not in week and 'name="voucher_ids"' not in week
    assert f"/coach/week?coach_id={coach.id}&day=" in week and "schedule=1" in week
    page = text(admin_client.get(f"/coach/week?coach_id={coach.id}&schedule=1", headers=EN))
    assert "Schedule the session" in page and voucher.code in page
    assert 'value="210"' in page and 'value="60"' in page and 'value="75"' in page and 'value="135"' not in page
    day = next_weekday(today)
    response = post_form(admin_client, "/coach/sessions", schedule_form(coach, voucher, day), token_from="/coach/week?schedule=1")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/coach/week?coach_id={coach.id}&day={day.isoformat()}")
    booked = db_session.scalar(select(CoachingSession).where(CoachingSession.coach_id == coach.id))
    expected = datetime.combine(day, time(10, 0), tzinfo=BRUSSELS).astimezone(UTC)
    assert booked.starts_at == expected and booked.duration_minutes == 90 and booked.theme == "Job search"
    week = text(admin_client.get(response.headers["Location"], headers=EN))
    assert f"/coach/sessions/{booked.id}" in week and "10:00 AM" in week and "11:30 AM" in week


def test_a_double_booking_shows_the_conflict_and_keeps_the_form(admin_client, db_session, make_voucher, offer,
                                                                 provider_admin, coach, today):
    from coaching.providers.services.offers import accept_voucher
    from portal.clock import utcnow

    first, _ = make_voucher()
    second, _ = make_voucher()
    for voucher in (first, second):
        accept_voucher(db_session, provider_admin, voucher.id, offer.id, now=utcnow())
    day = next_weekday(today)
    assert post_form(admin_client, "/coach/sessions", schedule_form(coach, first, day),
                     token_from="/coach/week?schedule=1").status_code == 302
    clash = post_form(admin_client, "/coach/sessions",
                      schedule_form(coach, second, day, "10:30", duration_minutes="60", theme="Second one"),
                      token_from="/coach/week?schedule=1", headers=EN)
    assert clash.status_code == 409
    page = text(clash)
    assert DOUBLE_BOOKING in page and 'role="alert"' in page
    assert 'value="Second one"' in page and 'value="10:30"' in page and f'value="{day.isoformat()}"' in page
    assert re.search(rf'value="{second.id}" checked', page)
    assert len(db_session.scalars(select(CoachingSession)).all()) == 1


def test_balance_errors_are_a_conflict_page_not_a_crash(admin_client, db_session, make_voucher, provider_admin, coach,
                                                        today):
    from coaching.providers.services.offers import accept_voucher, create_offer
    from portal.clock import utcnow

    one_hour = create_offer(db_session, provider_admin, name="1h", individual_hours=1, collective_sessions=0,
                            individual_unit_cents=None, collective_unit_cents=None, today=today)
    voucher, _ = make_voucher()
    accept_voucher(db_session, provider_admin, voucher.id, one_hour.id, now=utcnow())
    response = post_form(admin_client, "/coach/sessions", schedule_form(coach, voucher, next_weekday(today)),
                         token_from="/coach/week?schedule=1", headers=EN)
    assert response.status_code == 409
    page = text(response)
    assert "This would go beyond what is left on the voucher." in page
    assert 'id="voucher_ids-error"' in page
    collective = post_form(admin_client, "/coach/sessions",
                           schedule_form(coach, voucher, next_weekday(today), kind="collective",
                                         duration_minutes="90"), token_from="/coach/week?schedule=1", headers=EN)
    assert collective.status_code == 422 and "This duration is not allowed." in text(collective)


def test_a_group_session_for_several_vouchers(admin_client, db_session, make_voucher, offer, provider_admin, coach,
                                             today):
    from coaching.providers.services.offers import accept_voucher
    from portal.clock import utcnow

    first, _ = make_voucher()
    second, _ = make_voucher()
    for voucher in (first, second):
        accept_voucher(db_session, provider_admin, voucher.id, offer.id, now=utcnow())
    data = schedule_form(coach, first, past_weekday(today), "13:30", kind="collective", duration_minutes="210",
                         voucher_ids=[str(first.id), str(second.id)], capacity="8", mode="online",
                         location="https://meet.example.be/group")
    assert post_form(admin_client, "/coach/sessions", data, token_from="/coach/week?schedule=1").status_code == 302
    booked = db_session.scalar(select(CoachingSession).where(CoachingSession.kind == "collective"))
    assert booked.capacity == 8 and booked.mode == "online" and booked.duration_minutes == 210
    seats = db_session.scalars(select(SessionSeat).where(SessionSeat.session_id == booked.id)).all()
    assert sorted(s.voucher_id for s in seats) == sorted([first.id, second.id])
    page = text(admin_client.get(f"/coach/sessions/{booked.id}", headers=EN))
    assert f'name="attendance_{first.id}"' in page and f'name="attendance_{second.id}"' in page
    assert 'value="60"' not in page  # a group session is logged at its fixed length


def test_pages_refuse_a_post_without_the_csrf_token(admin_client, booked):
    session, voucher, _person = booked
    for path in (f"/coach/sessions/{session.id}/cancel", "/provider/offers/standard", "/coach/sessions"):
        assert admin_client.post(path, data={"mix": "9-3"}).status_code == 400, path


def test_schedule_form_errors_keep_the_input(admin_client, accepted, coach, today):
    voucher, _ = accepted
    response = post_form(admin_client, "/coach/sessions",
                         schedule_form(coach, voucher, next_weekday(today), voucher_ids=[], theme="Kept theme"),
                         token_from="/coach/week?schedule=1", headers=EN)
    assert response.status_code == 422
    page = text(response)
    assert "Choose at least one voucher." in page and 'value="Kept theme"' in page
    skipped = post_form(admin_client, "/coach/sessions",
                        schedule_form(coach, voucher, date(2027, 3, 28), "02:30"), token_from="/coach/week?schedule=1", headers=EN)
    assert skipped.status_code in (422,) and "the clocks change" in text(skipped)


def test_the_week_runs_monday_to_sunday_in_the_coachs_time_zone(client, db_session, provider, accepted, today):
    from coaching.calendar.services.sessions import SessionPlan, schedule_session
    from portal.clock import utcnow

    voucher, _ = accepted
    coach, user = make_coach(db_session, provider, timezone_name="Europe/London", name="London Coach")
    day = next_weekday(today)
    start = datetime.combine(day, time(9, 0), tzinfo=BRUSSELS).astimezone(UTC)  # 08:00 in London
    schedule_session(db_session, user, SessionPlan(coach_id=coach.id, kind="individual", voucher_ids=[voucher.id],
                                                   starts_at=start, duration_minutes=60), now=utcnow())
    login(client, user.email)
    page = text(client.get(f"/coach/week?day={day.isoformat()}", headers=EN))
    monday = day - timedelta(days=day.weekday())
    assert "Europe/London" in page and "8:00 AM" in page and "9:00 AM–" not in page
    days = re.findall(r'id="day-(\d{4}-\d{2}-\d{2})"', page)
    assert days == [(monday + timedelta(days=n)).isoformat() for n in range(7)]
    assert f"day={(monday - timedelta(days=7)).isoformat()}" in page
    assert f"day={(monday + timedelta(days=7)).isoformat()}" in page
    this_week = text(client.get("/coach/week", headers=EN))
    assert this_week.count('aria-current="date"') == 1 and "week__day--today" in this_week
    assert "(today)" in this_week
    assert client.get("/coach/week?day=not-a-date").status_code == 200


def test_the_calendar_link_can_be_reset(admin_client, db_session, coach):
    old = coach.calendar_token
    page = text(admin_client.get(f"/coach/week?coach_id={coach.id}", headers=EN))
    assert f"/api/v1/coaches/{coach.id}/calendar.ics?token={old}" in page
    response = post_form(admin_client, f"/coach/calendar/{coach.id}/reset", {}, token_from="/coach/week?schedule=1")
    assert response.status_code == 302
    db_session.refresh(coach)
    assert coach.calendar_token != old
    assert admin_client.get(f"/api/v1/coaches/{coach.id}/calendar.ics?token={old}").status_code == 404
    assert admin_client.get(f"/api/v1/coaches/{coach.id}/calendar.ics?token={coach.calendar_token}").status_code == 200


# --- one session: logging and cancelling --------------------------------------------------------


def test_logging_a_session(admin_client, db_session, booked):
    session, voucher, person = booked
    page = text(admin_client.get(f"/coach/sessions/{session.id}", headers=EN))
    assert "Log the session" in page and person.display_name in page and "Cancel this session" in page
    assert "Never write medical details" in page and "Only your provider and the beneficiary can read it" in page
    assert f'name="attendance_{voucher.id}"' in page
    missing = post_form(admin_client, f"/coach/sessions/{session.id}/log",
                        {"duration_minutes": "60", "note": "Kept note"}, headers=EN)
    assert missing.status_code == 422
    assert "Say whether this person came." in text(missing) and "Kept note" in text(missing)
    response = post_form(admin_client, f"/coach/sessions/{session.id}/log",
                         {f"attendance_{voucher.id}": "attended", "duration_minutes": "75", "note": "Needs explored."})
    assert response.status_code == 302
    db_session.refresh(session)
    seat = db_session.scalar(select(SessionSeat).where(SessionSeat.session_id == session.id))
    assert session.status == "logged" and session.logged_minutes == 75 and session.note == "Needs explored."
    assert seat.attendance == "attended" and seat.confirmation == "pending" and seat.confirm_by_on is not None
    from portal.audit import AuditEntry

    reads = select(AuditEntry).where(AuditEntry.object_type == "coaching_session", AuditEntry.object_id == session.id,
                                     AuditEntry.action == "viewed")
    assert db_session.scalars(reads).all() == []  # no note yet: nothing sensitive was read
    page = text(admin_client.get(f"/coach/sessions/{session.id}", headers=EN))
    assert "Logged" in page and "Needs explored." in page and "Cancel this session" not in page
    assert len(db_session.scalars(reads).all()) == 1  # reading the sensitive note is logged
    again = post_form(admin_client, f"/coach/sessions/{session.id}/log",
                      {f"attendance_{voucher.id}": "attended", "duration_minutes": "60"},
                      token_from="/provider/vouchers", headers=EN)
    assert again.status_code == 409


def test_cancelling_a_session(admin_client, db_session, booked):
    session, _voucher, _person = booked
    response = post_form(admin_client, f"/coach/sessions/{session.id}/cancel", {},
                         token_from=f"/coach/sessions/{session.id}")
    assert response.status_code == 302
    db_session.refresh(session)
    assert session.status == "cancelled"
    again = post_form(admin_client, f"/coach/sessions/{session.id}/cancel", {}, token_from="/provider/vouchers")
    assert again.status_code == 409


# --- claims and the whole course ----------------------------------------------------------------


def test_the_whole_course_in_pages(client, db_session, provider_admin, make_voucher, coach, today):
    """Offer → accept → schedule → log → the beneficiary confirms → claim, all through the pages."""
    voucher, person = make_voucher()
    login(client, provider_admin.email)
    assert post_form(client, "/provider/offers/standard", {"mix": "9-3"}).status_code == 302
    offer = db_session.scalar(select(Offer).where(Offer.provider_id == provider_admin.provider_id))
    assert post_form(client, f"/provider/vouchers/{voucher.id}/accept",
                     {"offer_id": str(offer.id)}).status_code == 302
    day = past_weekday(today)
    assert post_form(client, "/coach/sessions", schedule_form(coach, voucher, day),
                     token_from="/coach/week?schedule=1").status_code == 302
    booked = db_session.scalar(select(CoachingSession).where(CoachingSession.coach_id == coach.id))
    assert post_form(client, f"/coach/sessions/{booked.id}/log",
                     {f"attendance_{voucher.id}": "attended", "duration_minutes": "90", "note": "Plan made."}
                     ).status_code == 302
    claims_page = text(client.get("/provider/claims", headers=EN))
    assert "No confirmed session is waiting to be claimed." in claims_page
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"',
                                                         claims_page).group(1)})

    login(client, person.email)
    agenda = text(client.get("/my/sessions", headers=EN))
    assert "Sessions to confirm" in agenda and "otherwise it counts as confirmed" in agenda
    assert post_form(client, f"/my/sessions/{booked.id}/confirm", {}, token_from="/my/sessions").status_code == 302
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"',
                                                         text(client.get("/my/sessions"))).group(1)})

    login(client, provider_admin.email)
    claims_page = text(client.get("/provider/claims", headers=EN))
    assert f"Claim for {voucher.code}" in claims_page and f'id="claim-{voucher.id}-{booked.id}"' in claims_page
    assert "€225.00" in claims_page
    nothing = post_form(client, f"/provider/claims/{voucher.id}", {}, token_from="/provider/claims", headers=EN)
    assert nothing.status_code == 422 and "Choose the sessions to claim." in text(nothing)
    response = post_form(client, f"/provider/claims/{voucher.id}", {"session_ids": str(booked.id)},
                         token_from="/provider/claims")
    assert response.status_code == 302
    claim = db_session.scalar(select(Claim).where(Claim.voucher_id == voucher.id))
    assert claim.amount_cents == 22500 and claim.status == "submitted"
    claims_page = text(client.get("/provider/claims", headers=EN))
    assert f"Claim {claim.id}" in claims_page and "Waiting for the fund" in claims_page and "€225.00" in claims_page
    assert f"Claim for {voucher.code}" not in claims_page  # each session is claimed once
    twice = post_form(client, f"/provider/claims/{voucher.id}", {"session_ids": str(booked.id)},
                      token_from="/provider/claims", headers=EN)
    assert twice.status_code == 422
    assert len(db_session.scalars(select(Claim)).all()) == 1


def test_a_session_crossing_into_the_week_is_in_the_week(db_session, accepted, coach, provider_admin, today):
    """A session from Sunday 23:00 to Monday 00:30 belongs to both weeks (the query's lower bound keeps it)."""
    from coaching.calendar.ical import sessions_between, week_bounds
    from coaching.calendar.services.sessions import SessionPlan, schedule_session
    from portal.clock import utcnow

    voucher, _person = accepted
    monday = next_weekday(today, 7)
    monday -= timedelta(days=monday.weekday())
    late = datetime.combine(monday - timedelta(days=1), time(23, 0), tzinfo=BRUSSELS).astimezone(UTC)
    booked = schedule_session(db_session, provider_admin, SessionPlan(
        coach_id=coach.id, kind="individual", voucher_ids=[voucher.id], starts_at=late, duration_minutes=90),
        now=utcnow())
    for day in (monday - timedelta(days=1), monday):
        start, end = week_bounds(day, coach.timezone)
        assert [s.id for s in sessions_between(db_session, coach.id, start, end)] == [booked.id]
    start, end = week_bounds(monday + timedelta(days=7), coach.timezone)
    assert sessions_between(db_session, coach.id, start, end) == []


def test_a_busy_providers_booking_form_lists_the_newest_and_finds_the_others(admin_client, db_session, make_voucher,
                                                                            offer, provider_admin, coach, today):
    from coaching.calendar.views.coach import VOUCHER_CHOICES
    from coaching.providers.services.offers import accept_voucher
    from portal.clock import utcnow

    made = []
    for n in range(VOUCHER_CHOICES + 2):
        voucher, person = make_voucher()
        person.last_name = f"Zeta{n:02d}" + ("_x%" if n == 0 else "")
        accept_voucher(db_session, provider_admin, voucher.id, offer.id, now=utcnow())
        made.append((voucher, person))
    oldest, _person = made[0]
    ticks = f'name="voucher_ids" value="{oldest.id}"'
    week = text(admin_client.get(f"/coach/week?coach_id={coach.id}&schedule=1", headers=EN))
    assert week.count('name="voucher_ids"') == VOUCHER_CHOICES and ticks not in week
    assert 'id="voucher-search-hint"' in week
    # Found by name (each word must match; % and _ are plain characters, not wildcards).
    found = text(admin_client.get(f"/coach/week?coach_id={coach.id}&find=zeta00", headers=EN))
    assert found.count('name="voucher_ids"') == 1 and ticks in found
    assert "Vouchers matching “zeta00”" in found
    assert text(admin_client.get(f"/coach/week?coach_id={coach.id}&find=Zeta0+{oldest.code}")).count(
        'name="voucher_ids"') == 1
    # Only the oldest's name holds a "%" and a "_", and they are plain characters, not wildcards.
    for plain, matches in (("%25", 1), ("_x", 1), ("x%25", 1), ("%25x", 0), ("Zeta_0", 0)):
        assert text(admin_client.get(f"/coach/week?coach_id={coach.id}&find={plain}")).count(
            'name="voucher_ids"') == matches, plain
    nothing = text(admin_client.get(f"/coach/week?coach_id={coach.id}&find=nobody+here", headers=EN))
    assert 'name="voucher_ids"' not in nothing and "No open voucher matches “nobody here”" in nothing
    # A voucher found by search but not among the newest can be booked.
    day = next_weekday(today)
    response = post_form(admin_client, "/coach/sessions", schedule_form(coach, oldest, day), token_from="/coach/week?schedule=1")
    assert response.status_code == 302, text(response)
    seat = db_session.scalar(select(SessionSeat).where(SessionSeat.voucher_id == oldest.id))
    assert seat is not None
