"""The coach's week as a time grid, in a browser: the coach sees their hours shaded, clicks a free hour, finds the
booking form filled with that date and time, books with one submit, and sees the session in that hour's cell.
On a 390 px phone the same page shows one day at a time, fits the screen, and passes axe."""

from __future__ import annotations

import re
import secrets
from datetime import time, timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible, assert_fits_screen
from tests.support.factories import PASSWORD


@pytest.fixture
def seeded(live_app: Flask) -> dict[str, Any]:
    """A coach who works every day 08:00-18:00, and a beneficiary whose voucher the provider accepted with a mix."""
    from sqlalchemy import select

    from coaching.availability.services import WeeklyInput, replace_weekly
    from coaching.providers.models import Coach
    from coaching.providers.services.offers import accept_voucher, create_offer
    from portal.clock import today_in_brussels, utcnow
    from portal.db import db
    from portal.permissions import Role
    from tests.support.factories import make_provider, make_user
    from vouchers.requests.models import Voucher
    from vouchers.requests.services.requests import (
        RequestData,
        decide_voucher_request,
        submit_voucher_request,
    )

    today = today_in_brussels()
    tag = secrets.token_hex(3)
    with live_app.app_context():
        provider = make_provider(db.session, name=f"Cap Emploi {tag}")
        admin = make_user(db.session, Role.PROVIDER_ADMIN, provider_id=provider.id, language="en")
        coach_user = make_user(db.session, Role.COACH, provider_id=provider.id, language="en")
        coach = Coach(provider_id=provider.id, user_id=coach_user.id, display_name=f"Sofie Peeters {tag}",
                      email=coach_user.email, timezone="Europe/Brussels")
        db.session.add(coach)
        db.session.flush()
        replace_weekly(db.session, admin, coach.id, [WeeklyInput(d, time(8), time(18)) for d in range(7)], now=utcnow())
        fund = make_user(db.session, Role.FUND_ADMIN, language="en")
        person = make_user(db.session, Role.BENEFICIARY, language="en")
        person.first_name, person.last_name = "Marc", f"Lambert {tag}"
        request = submit_voucher_request(db.session, person, RequestData(
            provider_id=provider.id, insurer_code=100, initiative="coordinator", force_majeure=True,
            contract_end_on=today - timedelta(days=10),
            address={"street": "Rue Haute", "number": "5", "postcode": "1000", "municipality": "Bruxelles"}),
            today=today - timedelta(days=5), now=utcnow())
        decide_voucher_request(db.session, fund, request.id, "approve", None, today=today - timedelta(days=5),
                               now=utcnow())
        voucher = db.session.scalar(select(Voucher).where(Voucher.request_id == request.id))
        offer = create_offer(db.session, admin, name="9 h + 3 groups", individual_hours=9, collective_sessions=3,
                             individual_unit_cents=None, collective_unit_cents=None, today=today)
        accept_voucher(db.session, admin, voucher.id, offer.id, now=utcnow())
        seeded = {"coach": coach_user.email, "coach_name": coach.display_name, "name": person.display_name,
                  "code": voucher.code, "today": today}
        db.session.commit()
    return seeded


def _log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _next_tuesday(seeded: dict[str, Any]):
    today = seeded["today"]
    return today - timedelta(days=today.weekday()) + timedelta(days=8)


def _box(locator: Any) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None
    return box


def test_the_coach_books_from_a_free_hour_on_the_grid(page: Page, seeded: dict[str, Any]) -> None:
    tuesday = _next_tuesday(seeded)
    _log_in(page, seeded["coach"])
    page.goto("/coach/week")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Week of {seeded['coach_name']}")
    page.get_by_role("navigation", name="Other weeks").get_by_role("link", name=re.compile("Next week")).click()
    expect(page.get_by_role("heading", level=2, name=re.compile("From"))).to_contain_text(
        tuesday.strftime("%B"))

    # The seven days side by side, Monday first, on one row; the coach's hours are shaded.
    days = page.locator(".wgrid__day")
    expect(days).to_have_count(7)
    boxes = [_box(days.nth(n)) for n in range(7)]
    assert all(abs(b["y"] - boxes[0]["y"]) < 1 for b in boxes)
    assert all(boxes[n + 1]["x"] > boxes[n]["x"] for n in range(6))
    column = page.get_by_role("region", name=re.compile(tuesday.strftime("%A")))
    expect(column.locator(".wgrid__open")).to_have_count(1)
    assert_accessible(page)

    # A free hour: Tuesday at 10:00.
    free = column.get_by_role("link", name=re.compile(r"Book 10:00\W*AM"))
    expect(free).to_have_count(1)
    grid_top = _box(page.locator(".wgrid"))["y"]
    free_box = {**_box(free), "y": _box(free)["y"] - grid_top}  # where it sits in the grid
    free.click()

    # The booking form, filled with that date and time and an hour; one voucher to tick, one button.
    expect(page.get_by_role("heading", level=2, name="Schedule a session")).to_be_visible()
    expect(page.get_by_label("Date")).to_have_value(tuesday.isoformat())
    expect(page.get_by_label("Start time (coach's local time)")).to_have_value("10:00")
    expect(page.get_by_label("Duration")).to_have_value("60")
    expect(page.get_by_label("Individual", exact=True)).to_be_checked()
    assert_accessible(page)
    page.get_by_label(f"{seeded['code']} · {seeded['name']}").check()
    page.get_by_role("button", name="Schedule the session").click()

    # Back on the week, the session sits in Tuesday's 10:00 cell, one hour tall, with the name and status.
    expect(page.get_by_role("status")).to_contain_text("The session is scheduled.")
    column = page.get_by_role("region", name=re.compile(tuesday.strftime("%A")))
    session = column.locator(".wgrid__session")
    expect(session).to_have_count(1)
    expect(session.get_by_role("link")).to_have_text(re.compile(r"10:00\W*AM.11:00\W*AM"))
    expect(session).to_contain_text(seeded["name"])
    expect(session).to_contain_text("Scheduled")
    placed = _box(session)
    assert abs(placed["y"] - _box(page.locator(".wgrid"))["y"] - free_box["y"]) < 2 and abs(placed["x"] - free_box["x"]) < 2, (placed, free_box)
    hour = page.locator(".wgrid__hour", has_text=re.compile(r"^10:00\W*AM$"))
    eleven = page.locator(".wgrid__hour", has_text=re.compile(r"^11:00\W*AM$"))
    assert abs(_box(hour)["y"] - placed["y"]) < 3  # level with the 10:00 row
    assert abs((_box(eleven)["y"] - _box(hour)["y"]) - placed["height"]) < 4  # as tall as an hour
    expect(column.get_by_role("link", name=re.compile(r"Book 10:00\W*AM"))).to_have_count(0)
    expect(column.get_by_role("link", name=re.compile(r"Book 11:00\W*AM"))).to_have_count(1)
    assert_accessible(page)


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_a_phone_shows_one_day_at_a_time(page: Page, seeded: dict[str, Any]) -> None:
    tuesday = _next_tuesday(seeded)
    _log_in(page, seeded["coach"])
    page.goto(f"/coach/week?day={tuesday.isoformat()}")
    visible = page.locator(".wgrid__day:visible")
    expect(visible).to_have_count(1)
    expect(visible.get_by_role("heading", level=3)).to_contain_text(tuesday.strftime("%A"))
    assert_fits_screen(page)
    assert_accessible(page)
    day_box, screen = _box(visible), page.viewport_size
    assert screen and day_box["x"] + day_box["width"] <= screen["width"]

    # The next day, then back; across the end of the week too.
    days = page.get_by_role("navigation", name="Other days")
    days.get_by_role("link", name=re.compile((tuesday + timedelta(days=1)).strftime("%A"))).click()
    expect(page.locator(".wgrid__day:visible").get_by_role("heading", level=3)).to_contain_text(
        (tuesday + timedelta(days=1)).strftime("%A"))
    page.goto(f"/coach/week?day={(tuesday + timedelta(days=5)).isoformat()}")  # Sunday
    page.get_by_role("navigation", name="Other days").get_by_role("link", name=re.compile("Monday")).click()
    expect(page.get_by_role("heading", level=2, name=re.compile("From"))).to_contain_text(
        (tuesday + timedelta(days=6)).strftime("%B"))
    expect(page.locator(".wgrid__day:visible").get_by_role("heading", level=3)).to_contain_text("Monday")
    assert_fits_screen(page)

    # A free hour opens the form there too, filled, and it fits the phone.
    page.locator(".wgrid__day:visible").get_by_role("link", name=re.compile(r"Book 9:00\W*AM")).click()
    expect(page.get_by_label("Start time (coach's local time)")).to_have_value("09:00")
    expect(page.get_by_label("Date")).to_have_value((tuesday + timedelta(days=6)).isoformat())
    assert_fits_screen(page)
    assert_accessible(page)
