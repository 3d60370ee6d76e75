"""Forms of the bank-statement pages: input shape only (the services decide what is valid)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    Field,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)
from wtforms.widgets import TextInput

from portal.forms import choices
from portal.schema_fields import MAX_ID
from portal.search import MAX_SEARCH, SEARCH_TOO_LONG
from vouchers.banking.domain import typed_euros_to_cents


class CreateBatchForm(FlaskForm):
    """Only the CSRF token: the batch takes every approved claim not yet in a batch."""


class MarkPaidForm(FlaskForm):
    confirm = BooleanField(_l("The bank has executed this file"),
                           validators=[InputRequired(_l("Tick the box to confirm."))])


_DATE_HINT = _l("Enter a date as YYYY-MM-DD, for example 2027-03-31.")


LINE_STATUS_LABELS = {
    "unmatched": _l("Waiting to be matched"),
    "matched": _l("Matched to a contribution"),
    "dismissed": _l("Dismissed"),
    "ignored": _l("Not a contribution (debit or similar)"),
}


IGNORE_REASON_LABELS = {
    "debit": _l("Debit: money out"),
    "reversal": _l("Reversal of a debit: money out given back"),
    "not_booked": _l("Not booked yet"),
    "currency": _l("Not in euros"),
}


SUGGESTION_REASON_LABELS = {
    "employer_and_amount": _l("The payer's employer owes exactly this amount"),
    "employer": _l("The payer's employer"),
    "amount": _l("Same amount only"),
    "returned_payment": _l("It received a transfer of exactly this amount"),
}


class UploadForm(FlaskForm):
    file = FileField(_l("CAMT.053 file or CODA file"),
                     validators=[FileRequired(_l("Choose the statement file from the bank."))],
                     description=_l("The statement downloaded from the fund's bank, as CAMT.053 (XML) or CODA: the "
                                    "format is read from the file itself. Importing the same statement twice adds "
                                    "nothing."),
                     render_kw={"accept": ".xml,.cod,.coda,.txt,application/xml,text/xml,text/plain"})


class LineFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), default="unmatched",
                         choices=choices({**LINE_STATUS_LABELS, "": _l("Any status")}),
                         invalid_choice_message=_l("Choose one of the statuses in the list."))
    from_on = DateField(_l("Booked from"), validators=[Optional()], invalid_value_message=_DATE_HINT)
    to_on = DateField(_l("Booked until"), validators=[Optional()], invalid_value_message=_DATE_HINT)
    statement_id = IntegerField(_l("Statement number"), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)],
                                render_kw={"inputmode": "numeric"})
    q = SearchField(_l("Search"), validators=[Length(max=MAX_SEARCH, message=SEARCH_TOO_LONG)],
                    description=_l("A payer's name or enterprise number, a structured reference, a worker's national "
                                   "number (NISS), or a line or contribution number."),
                    render_kw={"autocomplete": "off", "maxlength": MAX_SEARCH})


class MatchForm(FlaskForm):
    # The view fills the choices with the line's suggestions; any contribution number is checked by the service.
    contribution_id = RadioField(_l("Suggested contributions"), coerce=int, validate_choice=False,
                                 validators=[Optional(), NumberRange(min=1, max=MAX_ID,
                                                                     message=_l("No contribution has this number."))])
    structured_reference = StringField(_l("Or the contribution's structured reference"),
                                       validators=[Optional(), Length(max=40)],
                                       description=_l("For example +++090/9337/55493+++."),
                                       render_kw={"autocomplete": "off", "inputmode": "numeric"})
    reason = TextAreaField(_l("Reason for matching"), render_kw={"rows": 2},
                           validators=[DataRequired(_l("Please give the reason.")), Length(max=2000)],
                           description=_l("Kept in the audit log, for example: the employer confirmed by phone."))


class DismissForm(FlaskForm):
    reason = TextAreaField(_l("Reason for dismissing"), render_kw={"rows": 2},
                           validators=[DataRequired(_l("Please give the reason.")), Length(max=2000)],
                           description=_l("Kept in the audit log, for example: a refund from a supplier, "
                                          "not a contribution."))


class EuroField(Field):
    """An amount typed in euros ("1800", "1.800,50"), held as integer cents; what was typed is shown again."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else f"{self.data // 100}.{self.data % 100:02d}"

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        self.data = typed_euros_to_cents(text) if text else None
        if text and self.data is None:
            raise ValueError(str(_l("Give an amount in euros, for example 900 or 900.50.")))


class SplitRowForm(Form):
    contribution_id = IntegerField(_l("Contribution number"), validators=[Optional(), NumberRange(
        min=1, max=MAX_ID, message=_l("No contribution has this number."))], render_kw={"inputmode": "numeric"})
    amount = EuroField(_l("Amount in euros"), render_kw={"inputmode": "decimal", "autocomplete": "off"})


#: Rows the split form shows; empty rows are left out.
SPLIT_ROWS = 5


class SplitForm(FlaskForm):
    # No min_entries: WTForms renumbers the rows it reads and would fill the padding from the posted data again;
    # the view pads the form with empty rows after reading it (``pad``).
    allocations = FieldList(FormField(SplitRowForm), min_entries=0, max_entries=SPLIT_ROWS)
    reason = TextAreaField(_l("Reason for the split"), render_kw={"rows": 2},
                           validators=[DataRequired(_l("Please give the reason.")), Length(max=2000)],
                           description=_l("Kept in the audit log, for example: the employer's letter of 20 November."))

    def pad(self) -> SplitForm:
        while len(self.allocations) < SPLIT_ROWS:
            self.allocations.append_entry()
        return self
