"""Forms of the pages that follow payouts to the bank and refund contributions: input shape only (the services
decide what is valid)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from portal.forms import choices
from portal.schema_fields import MAX_ID
from vouchers.banking.forms import EuroField

TRANSFER_STATUS_LABELS = {
    "pending": _l("Waiting for the bank"),
    "paid": _l("Paid"),
    "rejected": _l("Refused by the bank"),
    "returned": _l("Came back"),
}


REFUND_STATUS_LABELS = {
    "proposed": _l("Waiting for approval"),
    "refused": _l("Refused"),
    "approved": _l("Approved: file made, waiting for the bank"),
    "paid": _l("Paid"),
    "returned": _l("Came back from the bank"),
}


class StatusReportForm(FlaskForm):
    file = FileField(_l("Status report (pain.002)"),
                     validators=[FileRequired(_l("Choose the status report from the bank."))],
                     description=_l("The payment status report the fund's bank gives for a payout or refund file "
                                    "(pain.002, XML). Importing the same report twice changes nothing."),
                     render_kw={"accept": ".xml,application/xml,text/xml"})


class ReturnForm(FlaskForm):
    reason = TextAreaField(_l("What the bank said"), render_kw={"rows": 2},
                           validators=[DataRequired(_l("Please give the reason.")), Length(max=500)],
                           description=_l("For example: the bank's letter of 3 March, the account is closed."))
    reason_code = StringField(_l("The bank's reason code (optional)"), validators=[Optional(), Length(max=35)],
                              description=_l("As the bank gives it, for example AC04."),
                              render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    bank_line_id = IntegerField(_l("Statement line that brought the money back (optional)"),
                                validators=[Optional(), NumberRange(min=1, max=MAX_ID,
                                                                    message=_l("No line has this number."))],
                                description=_l("Its number, from the bank lines page."),
                                render_kw={"inputmode": "numeric"})


class RefundProposalForm(FlaskForm):
    # What is required, and how much may be refunded, the service says, all at once.
    contribution_id = IntegerField(_l("Contribution number"), validators=[
        Optional(), NumberRange(min=1, max=MAX_ID, message=_l("No contribution has this number."))],
        render_kw={"inputmode": "numeric"})
    amount = EuroField(_l("Amount to refund, in euros (optional)"),
                       description=_l("Leave it empty to refund all that was paid too much."),
                       render_kw={"inputmode": "decimal", "autocomplete": "off"})
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 2}, validators=[Length(max=2000)],
                           description=_l("Kept with the refund and in the audit log, for example: paid twice, "
                                          "by card and by transfer."))


class ApproveRefundForm(FlaskForm):
    confirm = BooleanField(_l("I checked the amount and the account"),
                           validators=[InputRequired(_l("Tick the box to confirm."))])


class RefuseRefundForm(FlaskForm):
    reason = TextAreaField(_l("Why it is refused"), render_kw={"rows": 2},
                           validators=[DataRequired(_l("Please give the reason.")), Length(max=2000)])


class MarkRefundPaidForm(FlaskForm):
    confirm = BooleanField(_l("The bank has executed this refund"),
                           validators=[InputRequired(_l("Tick the box to confirm."))])


class RefundFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), default="", choices=choices({"": _l("Any status"), **REFUND_STATUS_LABELS}),
                         invalid_choice_message=_l("Choose one of the statuses in the list."))
