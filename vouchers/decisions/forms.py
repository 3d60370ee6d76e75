"""The fund administrators' forms for voucher requests: input shape only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    RadioField,
    SelectChoice,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from portal.filters import Check, Day, Filters, Select, Text
from portal.search import MAX_SEARCH, SEARCH_TOO_LONG
from vouchers.requests.domain import INSURERS

#: How each request status reads for the fund's staff (queue filter and pages).
STATUS_LABELS = {
    "submitted": _l("Waiting for a decision"),
    "info_requested": _l("Information asked"),
    "waitlisted": _l("On the waiting list"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
}


#: The 45-day clock's states, on the queue's badges.
CLOCK_LABELS = {
    "on_time": _l("On time"),
    "due_soon": _l("Due soon"),
    "overdue": _l("Overdue"),
    "paused": _l("Paused"),
}


ROUTE_LABELS = {
    "A": _l("A: medical force majeure"),
    "B": _l("B: long-term incapacity"),
}


INITIATIVE_LABELS = {
    "own": _l("Own initiative"),
    "coordinator": _l("The insurer coordinator's reintegration plan"),
}


def _choices(labels: dict[str, object], *, blank: object | None = None) -> list[SelectChoice]:
    # A list of SelectChoice rather than a {value: label} dict: WTForms only reads
    # a dict as value->label when every label is a plain str, and ours are lazy.
    choices = [SelectChoice(value="", label=blank)] if blank is not None else []
    return choices + [SelectChoice(value=value, label=label) for value, label in labels.items()]


#: The queue's filters, sent by GET: bookmarkable, no CSRF token needed; written from plain values
#: (``portal.filters``), with the search box (``vouchers.search``).
QUEUE_FILTERS = Filters(
    Select("status", _l("Status"), STATUS_LABELS, blank=_l("Any status"), default="submitted",
           invalid=_l("Choose one of the statuses in the list.")),
    Select("route", _l("Route"), ROUTE_LABELS, blank=_l("Any route"),
           invalid=_l("Choose route A, route B or any route.")),
    Select("initiative", _l("Initiative"), INITIATIVE_LABELS, blank=_l("Any initiative"),
           invalid=_l("Choose one of the initiatives in the list.")),
    Select("insurer_code", _l("Mutual insurer"), {str(code): f"{code} {name}" for code, name in INSURERS.items()},
           blank=_l("Any mutual insurer"), invalid=_l("Choose one of the mutual insurers in the list.")),
    Day("due_before", _l("Due before"), invalid=_l("Enter a date as YYYY-MM-DD, for example 2026-03-31."),
        description=_l("Requests whose decision is due before this day.")),
    Check("overdue", _l("Overdue only")),
    Text("q", _l("Search"), MAX_SEARCH, too_long=SEARCH_TOO_LONG,
         description=_l("A name, a national number (NISS), a request number, a voucher code or the provider's "
                        "enterprise number.")),
)


DECISION_LABELS = {
    "approve": _l("Approve: issue the voucher (route B goes to the waiting list when the fund cannot cover it)"),
    "reject": _l("Reject"),
    "request_info": _l("Ask for missing information (the 45-day clock stops until it arrives)"),
}


YES_NO = {"yes": _l("Yes"), "no": _l("No")}


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=_choices(DECISION_LABELS),
                          validators=[InputRequired(message=_l("Choose approve, reject or request information."))])
    reason = TextAreaField(
        _l("Reason"), validators=[Length(max=4000)],
        description=_l("Required to reject or to ask for information. The person reads it: write plainly."),
        render_kw={"rows": 5},
    )
    medical_check_ok = RadioField(
        _l("Medical compatibility check passed"), choices=_choices(YES_NO), validators=[Optional()],
        description=_l("Own-initiative requests only. Record yes or no; never any medical detail."),
    )

    def medical_check(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.medical_check_ok.data or "")
