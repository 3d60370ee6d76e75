"""Forms of the reconciliation, report and journal pages: a period, or a day (input shape only), and the
correction of a ledger entry.

The period and day forms are GET forms (bookmarkable, no CSRF token): those pages only read. The correction
is a POST form with its CSRF token.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Field, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import TextInput

from vouchers.ledger.domain import typed_signed_euros_to_cents

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


class SignedEuroField(Field):
    """An amount in euros that may be negative ("-150", "1.800,50"), held as integer cents; what was typed is
    shown again."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        sign = "-" if self.data < 0 else ""
        return f"{sign}{abs(self.data) // 100}.{abs(self.data) % 100:02d}"

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        self.data = typed_signed_euros_to_cents(text) if text else None
        if text and self.data is None:
            raise ValueError(str(_l("Give an amount in euros, for example -150 or 1800.50.")))


class CorrectionForm(FlaskForm):
    amount_cents = SignedEuroField(
        _l("Amount it should stand at, in euros"),
        validators=[InputRequired(_l("Give the amount the entry should stand at."))],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
        description=_l("With its sign, as the ledger shows it: money out of the fund is negative. The correcting "
                       "entry books the difference."))
    reason = TextAreaField(_l("Reason for the correction"), render_kw={"rows": 3},
                           validators=[DataRequired(_l("Please give the reason.")), Length(max=2000)],
                           description=_l("Kept in the audit log and on the entry, for example: the bank "
                                          "statement of 20 November shows 1,800.00, not 1,080.00."))
