"""The links templates build once and reuse (portal/template_urls.py, portal/row_links.py) are the links Flask's
``url_for`` builds, character for character, whatever the values, and a kept link never answers another call."""

from __future__ import annotations

from flask import url_for

from portal.row_links import id_links, query_links
from portal.template_urls import remembered_url_for

CALLS = [
    ("pages.help_page", {}),
    ("static", {"filename": "css/portal.css"}),
    ("decisions.queue", {"status": "submitted", "overdue": "y"}),
    ("decisions.queue", {"overdue": "y", "status": "submitted"}),
    ("decisions.queue", {"status": 1}),
    ("decisions.queue", {"status": True}),
    ("decisions.queue", {"q": "Zoë & Jean / 12:30 ?#"}),
    ("decisions.request_page", {"request_id": 7}),
    ("decisions.request_page", {"request_id": 8, "_anchor": "decision"}),
    ("decisions.queue", {"status": ["submitted", "waitlisted"]}),
    ("calendar.week", {"coach_id": 3, "day": "2026-12-07", "schedule": 1, "start": "09:00", "_anchor": "x"}),
]


def test_remembered_links_are_flasks(app):
    remembered = remembered_url_for(app)
    with app.test_request_context("/admin/requests"):
        for _ in range(2):  # built, then kept
            for endpoint, values in CALLS:
                assert remembered(endpoint, **values) == url_for(endpoint, **values)
    with app.test_request_context("/admin/requests", base_url="http://localhost/portal/"):
        for endpoint, values in CALLS:
            assert remembered(endpoint, **values) == url_for(endpoint, **values)
            assert remembered(endpoint, **values).startswith("/portal/")


def test_grid_and_row_links_are_flasks(app):
    with app.test_request_context("/coach/week"):
        slot = query_links("calendar.week", "start", coach_id=3, day="2026-12-07", schedule=1, _anchor="schedule-title")
        for start in ("09:00", "23:30", "a b&c/d?é#", ""):
            assert slot(start) == url_for("calendar.week", coach_id=3, day="2026-12-07", schedule=1, start=start,
                                          _anchor="schedule-title")
        session = id_links("calendar.session_detail", "session_id")
        assert [session(n) for n in (1, 2**31 - 1)] == [
            url_for("calendar.session_detail", session_id=n) for n in (1, 2**31 - 1)]
