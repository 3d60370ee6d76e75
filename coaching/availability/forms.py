from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Field,
    RadioField,
    SelectField,
    StringField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import TextInput

from coaching.availability.domain import format_ranges, parse_ranges
from portal.forms import choices

WEEKDAY_LABELS = {0: _l("Monday"), 1: _l("Tuesday"), 2: _l("Wednesday"), 3: _l("Thursday"), 4: _l("Friday"),
                  5: _l("Saturday"), 6: _l("Sunday")}


EXCEPTION_KIND_LABELS = {"off": _l("Not available (all day, or only between the times below)"),
                         "extra": _l("Extra hours (between the times below)")}


class RangesField(Field):
    """Time ranges typed as ``09:00-12:00, 13:30-17:00``; held as a list of ``(start, end)`` times.
    What was typed is shown again when it cannot be read."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return format_ranges(self.data or [])

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = []
        if not valuelist:
            return
        try:
            self.data = parse_ranges(str(valuelist[0]))
        except ValueError as exc:
            raise ValueError(str(_l("Could not read \"%(piece)s\". Write the hours like 09:00-12:00, 13:30-17:00.",
                                    piece=str(exc)))) from exc


def weekly_form_class() -> type[FlaskForm]:
    """The weekly pattern: a time zone and one line of ranges per weekday (``weekday_0`` = Monday)."""
    fields: dict[str, Any] = {
        f"weekday_{day}": RangesField(label, render_kw={"autocomplete": "off", "inputmode": "text"},
                                      description=_l("For example 09:00-12:00, 13:00-17:00. Empty: not available."))
        for day, label in WEEKDAY_LABELS.items()
    }
    fields["timezone"] = SelectField(_l("Time zone of these hours"), validators=[InputRequired()])
    return type("WeeklyAvailabilityForm", (FlaskForm,), fields)


class ExceptionForm(FlaskForm):
    kind = RadioField(_l("Kind of exception"), choices=choices(EXCEPTION_KIND_LABELS), default="off",
                      validators=[InputRequired()])
    from_on = DateField(_l("First day"), validators=[InputRequired(_l("Give the first day."))])
    until_on = DateField(_l("Last day"), validators=[Optional()],
                         description=_l("Leave empty for a single day."))
    start_time = TimeField(_l("From"), validators=[Optional()],
                           description=_l("Leave both times empty for the whole day."))
    end_time = TimeField(_l("Until"), validators=[Optional()])
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=200)],
                         description=_l("Seen by your provider only. For example: leave, training."))
