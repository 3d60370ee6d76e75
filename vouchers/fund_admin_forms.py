"""Forms of the fund's administration pages: input shape only (the services decide what is valid)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, StopValidation

from coaching.admin_services import QUALITY_LABELS
from coaching.forms_marketplace import REGION_LABELS, MultiCheckboxField
from portal.forms import choices
from portal.i18n import LANGUAGE_NAMES

_DATE_HINT = _l("Enter a date as YYYY-MM-DD, for example 2027-03-31.")


def at_least_one(message: Any) -> Callable[[Any, Any], None]:
    """Like InputRequired for a group of checkboxes, without putting ``required`` on each box
    (which would ask the browser for every one of them)."""

    def check(form: Any, field: Any) -> None:
        if not field.data:
            raise StopValidation(str(message))

    return check


class ProviderForm(FlaskForm):
    name = StringField(_l("Name of the provider"), validators=[DataRequired(_l("Please enter the provider's name.")),
                                                             Length(max=200)],
                       render_kw={"autocomplete": "organization"})
    enterprise_number = StringField(_l("Enterprise number (BCE/KBO)"),
                                    validators=[DataRequired(_l("Please enter the enterprise number.")),
                                                Length(max=20)],
                                    description=_l("10 digits, for example 0403.170.701."))
    quality_label = SelectField(_l("Quality label"),
                                choices=choices({"": _l("Choose a label"), **{name: name for name in QUALITY_LABELS}}),
                                validators=[InputRequired(_l("Choose one of the quality labels the fund accepts."))],
                                invalid_choice_message=_l("Choose one of the quality labels the fund accepts."))
    label_valid_until_on = DateField(_l("Label valid until"),
                                     validators=[InputRequired(_l("Give the last day the quality label is valid."))],
                                     invalid_value_message=_DATE_HINT,
                                     description=_l("The fund and the provider are warned before this day."))
    iban = StringField(_l("IBAN for payouts"), validators=[DataRequired(_l("Please enter the IBAN.")), Length(max=42)],
                       description=_l("The account the fund pays the provider's claims to, "
                                      "for example BE71 0961 2345 6769."))
    regions = MultiCheckboxField(_l("Regions served"), choices=choices(REGION_LABELS),
                                 validators=[at_least_one(_l("Choose at least one region."))])
    languages = MultiCheckboxField(_l("Languages of the coaching"), choices=choices(LANGUAGE_NAMES),
                                   validators=[at_least_one(_l("Choose at least one language."))])
    admin_name = StringField(_l("Name of the provider's administrator"), validators=[Optional(), Length(max=200)],
                             render_kw={"autocomplete": "off"})
    admin_email = EmailField(_l("E-mail of the provider's administrator"),
                             validators=[DataRequired(_l("Enter the e-mail address of the provider's administrator.")),
                                         Length(max=254)],
                             description=_l("This person receives an invitation to choose a password."),
                             render_kw={"autocomplete": "off"})


class DelistForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)], render_kw={"rows": 3},
                           description=_l("Kept in the audit log."))
    confirm = BooleanField(_l("Yes, delist this provider"),
                           validators=[InputRequired(_l("Tick the box to confirm."))])


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


class CreateBatchForm(FlaskForm):
    """Only the CSRF token: the batch takes every approved claim not yet in a batch."""


class MarkPaidForm(FlaskForm):
    confirm = BooleanField(_l("The bank has executed this file"),
                           validators=[InputRequired(_l("Tick the box to confirm."))])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    object_type = StringField(_l("Object type"), validators=[Optional(), Regexp(r"^[a-z_]{1,50}$", message=_l(
        "Use an object type from the list, for example claim or voucher."))],
        description=_l("For example claim, voucher, provider or payout_batch."),
        render_kw={"list": "object-types", "autocomplete": "off"})
    object_id = IntegerField(_l("Object number"), validators=[Optional(), NumberRange(min=1)],
                             render_kw={"inputmode": "numeric"})
    person = StringField(_l("Person (e-mail or user number)"), validators=[Optional(), Length(max=254)],
                         description=_l("Who acted."))
