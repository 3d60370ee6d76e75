"""Forms of the reconciliation and report pages: a period, or a day (input shape only).

They are GET forms (bookmarkable, no CSRF token): the pages only read.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import InputRequired

_DATE_HINT = _l("Enter a date as YYYY-MM-DD, for example 2026-03-31.")


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False

    from_on = DateField(_l("First day"), validators=[InputRequired(_l("Give the first day of the period."))],
                        invalid_value_message=_DATE_HINT)
    to_on = DateField(_l("Last day"), validators=[InputRequired(_l("Give the last day of the period."))],
                      invalid_value_message=_DATE_HINT, description=_l("Both days are included; at most 366 days."))


class DayForm(FlaskForm):
    class Meta:
        csrf = False

    on = DateField(_l("On"), validators=[InputRequired(_l("Give the day."))], invalid_value_message=_DATE_HINT,
                   description=_l("The money booked up to this day counts."))
