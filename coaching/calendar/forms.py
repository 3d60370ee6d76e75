from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from coaching.calendar import domain
from portal.forms import choices

KIND_LABELS = {"individual": _l("Individual"), "collective": _l("Group session (collective)")}


MODE_LABELS = {code: _l(text) for code, text in domain.MODE_TEXTS.items()}


ATTENDANCE_LABELS = {code: _l(text) for code, text in domain.ATTENDANCE_TEXTS.items()}


CONFIRMATION_LABELS = {"pending": _l("Waiting for the beneficiary"), "confirmed": _l("Confirmed"),
                       "disputed": _l("Disputed")}


SESSION_STATUS_LABELS = {"scheduled": _l("Scheduled"), "logged": _l("Logged"), "cancelled": _l("Cancelled")}


class ScheduleForm(FlaskForm):
    coach_id = SelectField(_l("Coach"), coerce=int, validators=[InputRequired()])
    kind = RadioField(_l("Kind of session"), choices=choices(KIND_LABELS), default="individual",
                      validators=[InputRequired()])
    voucher_ids = SelectMultipleField(_l("Voucher(s)"), coerce=int,
                                      validators=[DataRequired(_l("Choose at least one voucher."))],
                                      description=_l("One voucher for an individual session, one or more for a "
                                                     "group session."))
    start_on = DateField(_l("Date"), validators=[InputRequired(_l("Give the date."))])
    start_time = TimeField(_l("Start time (coach's local time)"), validators=[InputRequired(_l("Give the time."))])
    duration_minutes = SelectField(_l("Duration"), coerce=int, validators=[InputRequired()])
    mode = RadioField(_l("Where"), choices=choices(MODE_LABELS), default="onsite", validators=[InputRequired()])
    location = StringField(_l("Address or video link"), validators=[Optional(), Length(max=300)],
                           description=_l("The address on site, or the link of the online meeting."))
    capacity = IntegerField(_l("Places (group sessions)"), validators=[Optional(), NumberRange(min=1, max=50)],
                            render_kw={"inputmode": "numeric"})
    theme = StringField(_l("Theme"), validators=[Optional(), Length(max=200)],
                        description=_l("For example: job search, self-knowledge, well-being."))


class LogForm(FlaskForm):
    """The fixed part of logging a session; ``log_form_class`` adds one attendance question per voucher."""

    duration_minutes = SelectField(_l("Real duration"), coerce=int, validators=[InputRequired()])
    note = TextAreaField(_l("Short note"), validators=[Optional(), Length(max=2000)],
                         description=_l("Keep it short and neutral. Never write medical details. Only your provider "
                                        "and the beneficiary can read it."),
                         render_kw={"rows": 3, "maxlength": 2000})

    def attendance_fields(self) -> list[Any]:
        return [field for name, field in self._fields.items() if name.startswith("attendance_")]

    def attendance_data(self) -> dict[int, str]:
        return {int(field.name.removeprefix("attendance_")): field.data for field in self.attendance_fields()}


def log_form_class(seats: list[tuple[int, str]]) -> type[LogForm]:
    """A log form with an attendance question per ``(voucher_id, beneficiary label)``."""
    fields = {
        f"attendance_{voucher_id}": RadioField(
            _l("Attendance of %(name)s", name=label), choices=choices(ATTENDANCE_LABELS),
            validators=[InputRequired(_l("Say whether this person came."))])
        for voucher_id, label in seats
    }
    return type("SessionLogForm", (LogForm,), fields)


class SeatForm(FlaskForm):
    """Add one beneficiary (their voucher) to a planned group session."""

    voucher_id = SelectField(_l("Beneficiary"), coerce=int, validators=[InputRequired()])
