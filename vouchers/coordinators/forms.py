"""Coordinators' forms: input shape only. The rules are checked by the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.auth.email_rule import EmailAddress
from portal.forms import choices
from portal.i18n import reading_language
from vouchers.requests.forms import (
    LANGUAGE_CHOICES,
    SCHEME_CHOICES,
    YES_NO,
    NewPasswordAndLanguageFields,
)

STATUS_CHOICES = {"": _l("All"), "submitted": _l("Waiting for the fund's decision"),
                  "info_requested": _l("The fund asks for information"), "approved": _l("Approved"),
                  "waitlisted": _l("On the waiting list"), "rejected": _l("Not approved"),
                  "withdrawn": _l("Withdrawn")}


class FilingForm(FlaskForm):
    """The member, their consent, and the same request a member fills in for themselves, on one page."""

    first_name = StringField(_l("Member's first name"), validators=[DataRequired(), Length(max=100)],
                             render_kw={"autocomplete": "off"})
    last_name = StringField(_l("Member's last name"), validators=[DataRequired(), Length(max=100)],
                            render_kw={"autocomplete": "off"})
    niss = StringField(_l("Member's national register number (or BIS number)"),
                       validators=[DataRequired(), Length(max=20)], description=_l("11 digits. Example: 85.07.30-033.28"),
                       render_kw={"inputmode": "numeric", "autocomplete": "off"})
    email = EmailField(_l("Member's e-mail address"), validators=[DataRequired(), EmailAddress(), Length(max=254)],
                       description=_l("The member is invited at this address to follow the request in their own "
                                      "account."), render_kw={"autocomplete": "off"})
    language = SelectField(_l("Member's language"), choices=LANGUAGE_CHOICES)
    consent_on = DateField(_l("Day the member agreed to this request"),
                           validators=[InputRequired(_l("Give the day the member consented to this request."))])
    # The route facts: dates and yes/no only, never medical details.
    force_majeure = RadioField(_l("Did the employer end the contract for medical force majeure?"),
                               choices=choices(YES_NO), validators=[InputRequired(_l("Please answer yes or no."))])
    contract_end_on = DateField(_l("Date the contract ended"), validators=[Optional()],
                                description=_l("Only if the employer ended the contract."))
    incapacity_start_on = DateField(_l("Date the member became unable to work"), validators=[Optional()])
    benefits_scheme = RadioField(_l("How does the member receive benefits?"), choices=choices(SCHEME_CHOICES),
                                 validators=[Optional()])
    in_approved_retraining = RadioField(_l("Does the member already follow a retraining programme approved by "
                                           "INAMI/RIZIV?"), choices=choices(YES_NO), default="no")
    in_professional_rehabilitation = RadioField(_l("Does the member already follow a professional rehabilitation "
                                                   "programme of INAMI/RIZIV?"), choices=choices(YES_NO), default="no")
    street = StringField(_l("Street"), validators=[DataRequired(), Length(max=200)])
    number = StringField(_l("House number"), validators=[DataRequired(), Length(max=20)])
    box = StringField(_l("Box (if any)"), validators=[Optional(), Length(max=20)])
    postcode = StringField(_l("Postcode"), validators=[DataRequired(), Length(min=4, max=10)],
                           render_kw={"inputmode": "numeric"})
    municipality = StringField(_l("Municipality"), validators=[DataRequired(), Length(max=100)])
    country = StringField(_l("Country"), default="BE", validators=[DataRequired(), Length(max=60)])
    provider_id = SelectField(_l("Coaching provider"), coerce=int,
                              validators=[InputRequired(_l("Choose one of the listed coaching providers."))])
    planned_start_on = DateField(_l("Planned start (if known)"), validators=[Optional()])
    planned_end_on = DateField(_l("Planned end (if known)"), validators=[Optional()])


#: The services' field names that are called otherwise on the form.
FILING_ALIASES = {"beneficiary.niss": "niss", "beneficiary.first_name": "first_name",
                  "beneficiary.last_name": "last_name", "beneficiary.email": "email",
                  "beneficiary.language": "language", "address": "street"}


class CaseloadFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(_l("Status"), choices=choices(STATUS_CHOICES), validators=[Optional()])


class CoordinatorAnswerForm(FlaskForm):
    """The coordinator answers the fund's question with or for the member."""

    answer = TextAreaField(_l("Your answer to the fund"), validators=[DataRequired(), Length(max=2000)])
    contract_end_on = DateField(_l("Last day of the contract (correct it if it was wrong)"), validators=[Optional()])
    incapacity_start_on = DateField(_l("First day of the incapacity (correct it if it was wrong)"),
                                    validators=[Optional()])


class InviteCoordinatorForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), EmailAddress(), Length(max=254)],
                       render_kw={"autocomplete": "off"})
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)])
    insurer_code = SelectField(_l("Mutual insurer"), coerce=int,
                               validators=[InputRequired(_l("Choose one of the mutual insurers."))])
    language = SelectField(_l("Language of the portal and e-mails"), choices=LANGUAGE_CHOICES, default=reading_language)


class MemberAccountForm(NewPasswordAndLanguageFields):
    """The member without an account makes one: the link proved the address."""

    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)],
                             render_kw={"autocomplete": "given-name"})
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)],
                            render_kw={"autocomplete": "family-name"})
