"""The coach's week as a time grid, through the test client: the coach's hours shaded, sessions placed by their time
and length, each free hour a link that opens the booking form at that date and time, and one short form to book."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from coaching.calendar.models import CoachingSession
from portal.clock import BRUSSELS
from tests.coaching.test_staff_views import EN, make_coach, text
from tests.support.web import login, post_form


@pytest.fixture
def admin_client(client, provider_admin):
    assert login(client, provider_admin.email).status_code == 302
    return client


@pytest.fixture
def next_monday(today):
    return today - timedelta(days=today.weekday()) + timedelta(days=7)


@pytest.fixture
def ready(db_session, make_voucher, offer, provider_admin, coach):
    """The coach works weekdays 09:00-17:00 (Wednesdays 09:00-12:00 only); a voucher is accepted with its mix."""
    from coaching.availability.services import WeeklyInput, replace_weekly
    from coaching.providers.services.offers import accept_voucher
    from portal.clock import utcnow

    hours = [WeeklyInput(d, time(9), time(17)) for d in (0, 1, 3, 4)] + [WeeklyInput(2, time(9), time(12))]
    replace_weekly(db_session, provider_admin, coach.id, hours, now=utcnow())
    voucher, person = make_voucher()
    accept_voucher(db_session, provider_admin, voucher.id, offer.id, now=utcnow())
    return voucher, person


def day_section(page: str, day) -> str:
    return page.split(f'id="day-{day.isoformat()}"')[1].split("</section>")[0]


def book_links(section: str) -> list[str]:
    return [link.replace("&amp;", "&") for link in re.findall(r'class="wgrid__book" href="([^"]+)"', section)]


def test_each_free_hour_links_to_the_form_at_that_time(admin_client, ready, coach, next_monday):
    page = admin_client.get(f"/coach/week?coach_id={coach.id}&day={next_monday.isoformat()}", headers=EN)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    monday, wednesday = day_section(body, next_monday), day_section(body, next_monday + timedelta(days=2))
    assert len(book_links(monday)) == 8 and len(book_links(wednesday)) == 3
    assert book_links(day_section(body, next_monday + timedelta(days=5))) == []  # Saturday: not the coach's day
    first = urlsplit(book_links(monday)[0])
    assert first.path == "/coach/week" and first.fragment == "schedule-title"
    assert parse_qs(first.query) == {"coach_id": [str(coach.id)], "day": [next_monday.isoformat()], "schedule": ["1"],
                                     "start": ["09:00"]}
    assert "Book 9:00 AM" in text(page) and "Available: 09:00–17:00" in text(page)
    assert body.count('class="wgrid__open') == 5  # five days shaded
    assert 'name="voucher_ids"' not in body  # the form only once a free hour (or "Schedule a session") is chosen


def test_the_form_opens_filled_and_one_submit_books_the_hour(admin_client, db_session, ready, coach, next_monday):
    voucher, person = ready
    tuesday = next_monday + timedelta(days=1)
    link = book_links(day_section(admin_client.get(f"/coach/week?coach_id={coach.id}&day={tuesday}").get_data(
        as_text=True), tuesday))[2]  # 11:00
    form_page = admin_client.get(link, headers=EN)
    page = text(form_page)
    assert f'value="{tuesday.isoformat()}"' in page and 'value="11:00"' in page
    assert re.search(r'<option selected value="60">|<option value="60" selected>', page)
    assert re.search(r'value="individual"[^>]*checked|checked[^>]*value="individual"', page)
    assert f"{voucher.code} · {person.display_name}" in page
    # The optional part stays folded: place, theme and places.
    assert re.search(r'<details class="form-more">\s*<summary>Place, theme and group places', page)
    # What the form sends as it is, with one voucher ticked.
    response = post_form(admin_client, "/coach/sessions",
                         {"coach_id": str(coach.id), "kind": "individual", "voucher_ids": [str(voucher.id)],
                          "start_on": tuesday.isoformat(), "start_time": "11:00", "duration_minutes": "60",
                          "mode": "onsite", "location": "", "capacity": "", "theme": ""}, token_from=link)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/coach/week?coach_id={coach.id}&day={tuesday.isoformat()}")
    booked = db_session.scalar(select(CoachingSession).where(CoachingSession.coach_id == coach.id))
    assert booked.starts_at == datetime.combine(tuesday, time(11), tzinfo=BRUSSELS).astimezone(UTC)
    week = admin_client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    section = day_section(week, tuesday)
    # 11:00 is the 17th quarter-hour from 07:00; an hour is 4 rows. The hour is no longer offered.
    assert re.search(rf'class="week__item week__item--individual wgrid__session wg-at-17 wg-len-4">\s*'
                     rf'<a href="/coach/sessions/{booked.id}">', section)
    assert person.display_name in section and "Scheduled" in section
    assert [parse_qs(urlsplit(u).query)["start"][0] for u in book_links(section)] == [
        "09:00", "10:00", "12:00", "13:00", "14:00", "15:00", "16:00"]


def test_a_group_session_is_as_tall_as_its_three_and_a_half_hours(admin_client, db_session, make_voucher, offer,
                                                                  provider_admin, coach, next_monday):
    from coaching.calendar.services.sessions import SessionPlan, schedule_session
    from coaching.providers.services.offers import accept_voucher
    from portal.clock import utcnow

    first, _ = make_voucher()
    second, _ = make_voucher()
    for voucher in (first, second):
        accept_voucher(db_session, provider_admin, voucher.id, offer.id, now=utcnow())
    thursday = next_monday + timedelta(days=3)
    schedule_session(db_session, provider_admin, SessionPlan(
        coach_id=coach.id, kind="collective", voucher_ids=[first.id, second.id], capacity=6, duration_minutes=210,
        starts_at=datetime.combine(thursday, time(13, 30), tzinfo=BRUSSELS).astimezone(UTC)), now=utcnow())
    section = day_section(text(admin_client.get(f"/coach/week?coach_id={coach.id}&day={thursday}", headers=EN)),
                          thursday)
    assert "week__item--collective wgrid__session wg-at-27 wg-len-14" in section
    assert "Group session (collective)" in section


def test_past_hours_are_shaded_but_not_offered(admin_client, ready, coach, next_monday):
    last_week = next_monday - timedelta(days=14)
    body = admin_client.get(f"/coach/week?coach_id={coach.id}&day={last_week}").get_data(as_text=True)
    assert body.count('class="wgrid__open') == 5 and 'class="wgrid__book"' not in body


def test_a_phone_shows_the_asked_day_with_links_to_the_day_before_and_after(admin_client, ready, coach, next_monday):
    sunday = next_monday + timedelta(days=6)
    body = admin_client.get(f"/coach/week?coach_id={coach.id}&day={sunday}", headers=EN).get_data(as_text=True)
    focused = re.findall(r'<section class="([^"]*)" aria-labelledby="day-([\d-]+)"', body)
    assert [day for classes, day in focused if "wgrid__day--focus" in classes] == [sunday.isoformat()]
    nav = body.split('<nav class="day-nav"')[1].split("</nav>")[0]
    saturday, next_day = sunday - timedelta(days=1), sunday + timedelta(days=1)  # the next day is in the next week
    assert f"day={saturday.isoformat()}" in nav and f"day={next_day.isoformat()}" in nav


def test_a_strange_start_falls_back_to_nine(admin_client, ready, coach, next_monday):
    for start in ("25:99", "9h", "x" * 500, "09:00:00.5", "-1:00"):
        response = admin_client.get(f"/coach/week?coach_id={coach.id}&day={next_monday}&schedule=1&start={start}")
        assert response.status_code == 200, start
        assert 'id="start_time"' in text(response)
    odd = text(admin_client.get(f"/coach/week?coach_id={coach.id}&day={next_monday}&schedule=1&start=25:99"))
    assert re.search(r'id="start_time"[^>]*value="09:00"', odd)


def test_a_voucher_search_keeps_the_chosen_hour(admin_client, ready, coach, next_monday):
    voucher, _person = ready
    page = text(admin_client.get(f"/coach/week?coach_id={coach.id}&day={next_monday}&schedule=1&start=14:00"))
    search = page.split('role="search"')[1].split("</form>")[0]
    assert 'name="start" value="14:00"' in search and f'name="day" value="{next_monday.isoformat()}"' in search
    found = text(admin_client.get(f"/coach/week?coach_id={coach.id}&day={next_monday}&start=14:00&find={voucher.code}"))
    assert re.search(r'id="start_time"[^>]*value="14:00"', found) and voucher.code in found


def test_a_coach_books_their_own_hour_without_choosing_a_coach(client, db_session, provider, ready, next_monday):
    from coaching.availability.services import WeeklyInput, replace_weekly
    from portal.clock import utcnow

    voucher, _person = ready
    own, user = make_coach(db_session, provider, name="Own Coach")
    replace_weekly(db_session, user, own.id, [WeeklyInput(0, time(9), time(11))], now=utcnow())
    login(client, user.email)
    link = book_links(day_section(client.get(f"/coach/week?day={next_monday}").get_data(as_text=True),
                                  next_monday))[1]
    page = text(client.get(link, headers=EN))
    assert '<select id="coach_id"' not in page and f'<input type="hidden" name="coach_id" value="{own.id}">' in page
    response = post_form(client, "/coach/sessions", {
        "coach_id": str(own.id), "kind": "individual", "voucher_ids": [str(voucher.id)],
        "start_on": next_monday.isoformat(), "start_time": "10:00", "duration_minutes": "60", "mode": "onsite"},
        token_from=link)
    assert response.status_code == 302
    week = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "wgrid__session wg-at-13 wg-len-4" in day_section(week, next_monday)
    assert len(book_links(day_section(week, next_monday))) == 1  # 09:00 is left


def test_without_hours_the_grid_says_how_to_offer_free_hours(admin_client, coach, next_monday):
    page = text(admin_client.get(f"/coach/week?coach_id={coach.id}&day={next_monday}", headers=EN))
    assert "No weekly hours are set yet." in page and f'href="/coach/availability/{coach.id}"' in page
    assert 'class="wgrid__book"' not in page and "Available:" not in page
    assert page.count('class="week__day wgrid__day') == 7 and page.count("wgrid__hour ") == 13  # the grid all the same, 07:00-20:00
