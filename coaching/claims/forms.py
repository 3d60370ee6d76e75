from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from portal.forms import choices

CLAIM_STATUS_LABELS = {"submitted": _l("Waiting for the fund"), "approved": _l("Approved"),
                       "rejected": _l("Rejected"), "paid": _l("Paid")}


class ClaimForm(FlaskForm):
    session_ids = SelectMultipleField(_l("Sessions to claim"), coerce=int,
                                      validators=[DataRequired(_l("Choose the sessions to claim."))])


class ClaimFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), default="submitted",
                         choices=choices({"submitted": _l("Waiting for the fund"), "approved": _l("Approved"),
                                          "rejected": _l("Rejected"), "paid": _l("Paid"), "": _l("Any status")}),
                         invalid_choice_message=_l("Choose one of the statuses in the list."))


class ApproveForm(FlaskForm):
    """Only the CSRF token: approving needs no input."""


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason for rejecting"), render_kw={"rows": 3},
                           validators=[DataRequired(_l("Please give the reason.")), Length(max=2000)],
                           description=_l("The provider reads it. Its sessions can be claimed again."))
