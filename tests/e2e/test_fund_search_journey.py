"""The fund's queue searched on a phone (issue 16): a fund administrator types a name without its accents, then a
national number with its dots, in the queue's search box at 390 px; the right request comes up, the page needs no
sideways scrolling, and axe (WCAG 2.1 A/AA) finds nothing."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    assert_accessible,
    assert_fits_screen,
    enter_second_factor,
)
from tests.support.factories import PASSWORD


@pytest.fixture
def waiting(live_app: Flask) -> dict[str, Any]:
    """Two requests waiting for the fund: Hélène Dupont-Lefèvre's and Jean Martin's (names made unique)."""
    from portal.clock import today_in_brussels, utcnow
    from portal.db import db
    from portal.permissions import Role
    from tests.support.factories import make_provider, make_user
    from vouchers.requests.models import Beneficiary
    from vouchers.requests.services.requests import RequestData, submit_voucher_request

    today = today_in_brussels()
    tag = secrets.token_hex(3)
    with live_app.app_context():
        session = db.session
        provider = make_provider(session, name=f"Horizon {tag}")
        fund = make_user(session, Role.FUND_ADMIN, language="en")
        found: dict[str, Any] = {"admin": fund.email, "tag": tag}
        for key, first, last in (("helene", "Hélène", f"Dupont-Lefèvre{tag}"), ("jean", "Jean", f"Martin{tag}")):
            person = make_user(session, Role.BENEFICIARY, language="en")
            person.first_name, person.last_name = first, last
            request = submit_voucher_request(session, person, RequestData(
                provider_id=provider.id, insurer_code=100, initiative="own", force_majeure=True,
                contract_end_on=today - timedelta(days=20),
                address={"street": "Rue Haute", "number": "5", "postcode": "1000", "municipality": "Bruxelles"}),
                today=today, now=utcnow())
            niss = session.query(Beneficiary.niss).filter_by(user_id=person.id).scalar()
            found[key] = {"id": request.id, "name": f"{first} {last}", "niss": niss}
        session.commit()
    return found


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_the_queue_is_searched_on_a_phone(page: Page, waiting: dict[str, Any]) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address").fill(waiting["admin"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    enter_second_factor(page, waiting["admin"])

    page.goto("/admin/requests")
    expect(page.get_by_role("heading", level=1)).to_contain_text("decision queue")
    assert_fits_screen(page)
    assert_accessible(page)

    # A name typed as it sounds: no accents, in lower case.
    search = page.get_by_role("searchbox", name="Search")
    search.fill(f"helene dupont-lefevre{waiting['tag']}")
    search.press("Enter")
    helene = page.get_by_role("link", name=waiting["helene"]["name"])
    expect(helene).to_be_visible()
    expect(page.get_by_role("link", name=waiting["jean"]["name"])).to_have_count(0)
    expect(page.get_by_role("searchbox", name="Search")).to_have_value(f"helene dupont-lefevre{waiting['tag']}")
    assert_fits_screen(page)
    assert_accessible(page)

    # A national number with its dots and dash, as it is printed on an eID card.
    niss = waiting["jean"]["niss"]
    search = page.get_by_role("searchbox", name="Search")
    search.fill(f"{niss[:2]}.{niss[2:4]}.{niss[4:6]}-{niss[6:9]}.{niss[9:]}")
    page.get_by_role("button", name="Show requests").click()
    expect(page.get_by_role("link", name=waiting["jean"]["name"])).to_be_visible()
    expect(page.get_by_role("link", name=waiting["helene"]["name"])).to_have_count(0)
    assert_fits_screen(page)
    assert_accessible(page)

    # Nothing found says so, in words.
    search = page.get_by_role("searchbox", name="Search")
    search.fill("nobody by this name")
    search.press("Enter")
    expect(page.locator("#nothing-found")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Clear filters").click()
    helene = page.get_by_role("link", name=waiting["helene"]["name"])
    expect(helene).to_be_visible()
    helene.click()
    expect(page).to_have_url(f"{page.url.split('/admin/')[0]}/admin/requests/{waiting['helene']['id']}")
