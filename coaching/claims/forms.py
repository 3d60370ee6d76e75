from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from portal.filters import Filters, Select, Text
from portal.search import MAX_SEARCH, SEARCH_TOO_LONG

CLAIM_STATUS_LABELS = {"submitted": _l("Waiting for the fund"), "approved": _l("Approved"),
                       "rejected": _l("Rejected"), "paid": _l("Paid")}


class ClaimForm(FlaskForm):
    session_ids = SelectMultipleField(_l("Sessions to claim"), coerce=int,
                                      validators=[DataRequired(_l("Choose the sessions to claim."))])


#: The fund's filters of the claims, sent by GET and written from plain values (``portal.filters``), with the
#: search box (``vouchers.search``).
CLAIM_FILTERS = Filters(
    Select("status", _l("Status"), {**CLAIM_STATUS_LABELS, "": _l("Any status")}, default="submitted",
           invalid=_l("Choose one of the statuses in the list.")),
    Text("q", _l("Search"), MAX_SEARCH, too_long=SEARCH_TOO_LONG,
         description=_l("A claim number, a voucher code, the beneficiary's name or national number (NISS), or the "
                        "provider's name or enterprise number.")),
)


class ApproveForm(FlaskForm):
    """Only the CSRF token: approving needs no input."""


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason for rejecting"), render_kw={"rows": 3},
                           validators=[DataRequired(_l("Please give the reason.")), Length(max=2000)],
                           description=_l("The provider reads it. Its sessions can be claimed again."))
