"""The employer's dashboard as its page shows it: each row's link, words, days and amount written once per page, in
the reader's language, so that the template only places them (as the fund's queue does,
``vouchers.decisions.presenters``): a ``url_for``, two dates, an amount and a label per row cost more in Jinja than
the rest of the page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, NamedTuple

from flask_babel import get_locale, get_translations
from markupsafe import Markup

from portal.formats import day_text, money_writer
from portal.i18n import labels_in
from portal.row_links import id_links
from vouchers.employers import domain


class DashboardRow(NamedTuple):
    id: int
    link: str
    worker: str  # first and last name
    contract_end_on: str  # written in the reader's language
    employer: str  # the employer's name (shown when the reader acts for several)
    badge: str  # the badge's class: ok, overdue, paused or soon
    state: str  # ... and its word
    amount: str
    due_on: str


def dashboard_rows(rows: list[Any], today: date, employer_names: Mapping[int, str],
                   status_labels: dict[str, Any]) -> list[DashboardRow]:
    """``rows`` from ``services.listing.declaration_rows``; ``status_labels`` the contribution's states in words
    (a module-level table: ``labels_in`` keeps its translations)."""
    locale = get_locale()
    states = labels_in(status_labels, locale)
    overdue = Markup(get_translations().ugettext("Overdue"))  # as the template's _() writes it
    money = money_writer(locale, "EUR")
    link = id_links("employers.declaration", "declaration_id")
    days: dict[date, str] = {}  # many rows share a day: each is written once

    def day(value: date) -> str:
        text = days.get(value)
        if text is None:
            text = days[value] = day_text(locale, value, "long")
        return text

    found = []
    for row in rows:
        status = row.contribution_status
        if status in ("paid", "overpaid"):
            badge, state = "ok", states.get(status, status)
        elif domain.is_overdue(status, row.due_on, today):
            badge, state = "overdue", overdue
        else:
            badge, state = ("paused" if status == "processing" else "soon"), states.get(status, status)
        found.append(DashboardRow(row.id, link(row.id), f"{row.worker_first_name} {row.worker_last_name}",
                                  day(row.contract_end_on), employer_names.get(row.employer_id, ""), badge, state,
                                  money(row.amount_cents), day(row.due_on)))
    return found


def dismissal_json(item: dict[str, Any]) -> dict[str, Any]:
    """A declaration of ``services.listing.declaration_page`` as ``api.DismissalSchema`` dumps it, written out: the
    schema's dump of a page of 50 cost a quarter of ``GET /dismissals``. Its fields, no more (no contribution id, no
    warning params); ``tests/employers/test_list_reads.py`` compares the two."""
    contribution = item["contribution"]
    flagged = contribution["overdue_flagged_at"]
    physician = item["physician_decision_on"]
    return {
        "id": item["id"], "employer_id": item["employer_id"], "worker_first_name": item["worker_first_name"],
        "worker_last_name": item["worker_last_name"], "worker_niss": item["worker_niss"],
        "contract_end_on": item["contract_end_on"].isoformat(),
        "physician_decision_on": physician.isoformat() if physician is not None else None,
        "declared_on": item["declared_on"].isoformat(), "declaration_due_on": item["declaration_due_on"].isoformat(),
        "is_late": item["is_late"], "apply_by_on": item["apply_by_on"].isoformat(), "status": item["status"],
        "agent_name": item["agent_name"], "agent_email": item["agent_email"], "agent_phone": item["agent_phone"],
        "contribution": {
            "amount_cents": contribution["amount_cents"], "paid_cents": contribution["paid_cents"],
            "due_on": contribution["due_on"].isoformat(),
            "structured_reference": contribution["structured_reference"], "status": contribution["status"],
            "is_overdue": contribution["is_overdue"],
            "overdue_flagged_at": flagged.isoformat() if flagged is not None else None,
        },
        "warnings": [{"code": w["code"], "message": w["message"]} for w in item["warnings"]],
    }
