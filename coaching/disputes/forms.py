from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    RadioField,
    SelectField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from coaching.calendar.forms import ATTENDANCE_LABELS
from portal.forms import choices


class DisputeForm(FlaskForm):
    reason = TextAreaField(_l("What is wrong with this session?"),
                           validators=[DataRequired(_l("Say what is wrong.")), Length(max=2000)],
                           description=_l("For example: I was not there that day, or it was shorter."),
                           render_kw={"rows": 3, "maxlength": 2000})


DISPUTE_STATUS_LABELS = {"open": _l("Waiting for the provider"), "escalated": _l("Sent to the fund"),
                         "upheld": _l("Accepted: the session is corrected"),
                         "dismissed": _l("Not accepted: the session stays as logged")}


DISPUTE_DECISION_LABELS = {"uphold": _l("Uphold: the beneficiary is right, correct the session"),
                           "dismiss": _l("Dismiss: the session stays as logged")}


def optional_int(value: Any) -> int | None:
    """A select's value as a number, or None when nothing was chosen."""
    if value in (None, ""):
        return None
    return int(value)


class AcceptDisputeForm(FlaskForm):
    attendance = RadioField(_l("What really happened"), choices=choices(ATTENDANCE_LABELS), validate_choice=False,
                            validators=[InputRequired(_l("Say what really happened."))])
    duration_minutes = SelectField(_l("Real duration (individual sessions)"), coerce=optional_int,
                                   validate_choice=False, validators=[Optional()],
                                   description=_l("Only for an individual session that took place."))
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)],
                         render_kw={"rows": 2, "maxlength": 2000})


class EscalateDisputeForm(FlaskForm):
    note = TextAreaField(_l("Your side, for the fund"),
                         validators=[DataRequired(_l("Tell the fund why the log is right.")), Length(max=2000)],
                         description=_l("Why the session is right as logged. Never write medical details."),
                         render_kw={"rows": 3, "maxlength": 2000})


class DisputeDecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=choices(DISPUTE_DECISION_LABELS), validate_choice=False,
                          validators=[InputRequired(_l("Uphold or dismiss the dispute."))])
    attendance = RadioField(_l("If upheld: what really happened"), choices=choices(ATTENDANCE_LABELS),
                            validate_choice=False, validators=[Optional()])
    duration_minutes = SelectField(_l("If upheld: real duration (individual sessions)"), coerce=optional_int,
                                   validate_choice=False, validators=[Optional()])
    note = TextAreaField(_l("Reason of the decision"),
                         validators=[DataRequired(_l("Give the reason of the decision.")), Length(max=2000)],
                         description=_l("The provider and the beneficiary are told the outcome."),
                         render_kw={"rows": 3, "maxlength": 2000})
