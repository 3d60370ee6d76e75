"""The fund's queue as its page shows it: each row's words and days written once per page, in the reader's
language, so that the template only places them.

A list of 50 rows with a translated word or two per row costs more in Jinja than it seems: each ``_()`` or
``ngettext`` called inside the loop copies the template's context (the texts follow the page's language through
it). Written here, each text is found once and the loop only prints values.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from flask_babel import get_locale, get_translations
from sqlalchemy.orm import Session

from portal.formats import day_text
from portal.fund_settings import rules_on
from portal.i18n import labels_in
from portal.row_links import id_links
from portal.rules import FundRules
from vouchers.decisions.forms import CLOCK_LABELS, ROUTE_LABELS, STATUS_LABELS
from vouchers.requests.domain import DecisionClock
from vouchers.requests.reads import RequestRead
from vouchers.requests.services.requests import clock_for

#: The badge's class for each state of the 45-day clock.
BADGE_CLASSES = {"on_time": "on-time", "due_soon": "due-soon", "overdue": "overdue", "paused": "paused"}


class QueueRow(NamedTuple):
    id: int
    link: str
    name: str
    route: str  # in words, or "—"
    submitted_on: str  # written in the reader's language ("" when not submitted)
    due_on: str
    clock: DecisionClock | None  # None once decided or closed
    badge: str  # the clock's state: its badge's class ("" once decided or closed)
    state: str  # ... and its word
    left: str  # how many days are left, or late, in words
    status: str  # in words
    awaiting_email: bool  # submitted, and the member has not confirmed their e-mail address yet


def queue_rows(session: Session, rows: list[RequestRead], today: date) -> list[QueueRow]:
    """Each row with its clock, from the fund's settings read once for the page (``rules_on``)."""
    locale = get_locale()
    statuses, routes = labels_in(STATUS_LABELS, locale), labels_in(ROUTE_LABELS, locale)
    states = labels_in(CLOCK_LABELS, locale)
    link = id_links("decisions.request_page", "request_id")
    days: dict[date | None, str] = {None: ""}  # many rows share a day: each is written once
    rules: dict[date, FundRules] = {}
    words = _clock_words()

    def day(value: date | None) -> str:
        text = days.get(value)
        if text is None:
            text = days[value] = day_text(locale, value, "long")
        return text

    found = []
    for row in rows:
        submitted_on = row.submitted_on or today
        in_force = rules.get(submitted_on)
        if in_force is None:
            in_force = rules[submitted_on] = rules_on(session, submitted_on)
        clock = clock_for(row, today, in_force)  # type: ignore[arg-type]
        found.append(QueueRow(
            row.id, link(row.id), row.member_name, routes.get(row.route, "—") if row.route else "—",
            day(row.submitted_on), day(clock.due_on if clock else row.decision_due_on), clock,
            BADGE_CLASSES[clock.state] if clock else "", states[clock.state] if clock else "",
            words(clock) if clock else "", statuses.get(row.status, row.status),
            row.status == "submitted" and row.awaiting_email_confirmation))
    return found


def _clock_words():  # type: ignore[no-untyped-def]
    """``words(clock)``: "12 days left", "due today", "3 days late", "clock stopped, 9 left", in the page's
    language (each text found once per page)."""
    translations = get_translations()
    gettext, ngettext = translations.ugettext, translations.ungettext
    found: dict[tuple[str, int], str] = {}

    def words(clock: DecisionClock) -> str:
        key = (clock.state, clock.days_left)
        text = found.get(key)
        if text is None:
            left = clock.days_left
            if clock.state == "paused":
                text = gettext("clock stopped, %(num)d left") % {"num": left}
            elif left > 0:
                text = ngettext("%(num)d day left", "%(num)d days left", left) % {"num": left}
            elif left == 0:
                text = gettext("due today")
            else:
                text = ngettext("%(num)d day late", "%(num)d days late", -left) % {"num": -left}
            found[key] = text
        return text

    return words
