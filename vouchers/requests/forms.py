"""Registration forms for beneficiaries and employers: input shape only."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from portal.auth.email_rule import EmailAddress
from portal.errors import DomainError
from portal.forms import choices
from portal.i18n import reading_language
from vouchers.requests.services.accounts import clean_niss

LANGUAGE_CHOICES = {"fr": "Français", "nl": "Nederlands", "de": "Deutsch", "en": "English"}


class NewPasswordAndLanguageFields(FlaskForm):
    """What every new account chooses: a password (twice) and the language of its letters and e-mails."""

    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(min=10, max=256, message=_l("Use at least 10 characters."))],
        description=_l("At least 10 characters. A short sentence is easy to remember."),
        render_kw={"autocomplete": "new-password"},
    )
    password_repeat = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )
    # The language the person browses in, unless they choose another.
    language = SelectField(_l("Language for letters and e-mails"), choices=LANGUAGE_CHOICES, default=reading_language)


class _AccountFields(NewPasswordAndLanguageFields):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), EmailAddress(), Length(max=254)],
                       render_kw={"autocomplete": "email"})


def _valid_niss(form: FlaskForm, field: Field) -> None:
    """The number's check digits, told with the form's other mistakes rather than after them."""
    if field.data:
        try:
            clean_niss(field.data)
        except DomainError as error:
            raise ValidationError(_(error.message)) from error


class BeneficiaryRegistrationForm(_AccountFields):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)],
                             render_kw={"autocomplete": "given-name"})
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)],
                            render_kw={"autocomplete": "family-name"})
    niss = StringField(
        _l("National register number (or BIS number)"),
        validators=[DataRequired(), Length(max=20), _valid_niss],
        description=_l("11 digits, on the back of your identity card. Example: 85.07.30-033.28"),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


class EmployerRegistrationForm(_AccountFields):
    company_name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=200)],
                               render_kw={"autocomplete": "organization"})
    enterprise_number = StringField(_l("Enterprise number (BCE/KBO)"), validators=[DataRequired(), Length(max=20)],
                                    description=_l("Example: 0403.170.701"))
    onss_number = StringField(_l("ONSS/RSZ number"), validators=[DataRequired(), Length(max=20)])
    address = TextAreaField(_l("Address"), validators=[DataRequired(), Length(max=500)],
                            render_kw={"autocomplete": "street-address", "rows": 3})
    phone = TelField(_l("Phone"), validators=[DataRequired(), Length(max=40)], render_kw={"autocomplete": "tel"})
    iban = StringField(_l("Bank account (IBAN)"), validators=[DataRequired(), Length(max=42)],
                       description=_l("Example: BE71 0961 2345 6769"))
    first_name = StringField(_l("Your first name"), validators=[Length(max=100)], render_kw={"autocomplete": "given-name"})
    last_name = StringField(_l("Your last name"), validators=[Length(max=100)], render_kw={"autocomplete": "family-name"})


YES_NO = {"yes": _l("Yes"), "no": _l("No")}


SCHEME_CHOICES = {"employee": _l("Employee (I had a work contract)"), "job_seeker": _l("Job seeker"),
                  "self_employed": _l("Self-employed")}


class SituationForm(FlaskForm):
    """Step 1: the route facts. Only dates and yes/no, never medical details."""

    force_majeure = RadioField(_l("Did your employer end your contract for medical force majeure?"),
                               choices=choices(YES_NO), validators=[InputRequired(_l("Please answer yes or no."))])
    contract_end_on = DateField(_l("Date your contract ended"), validators=[Optional()],
                                description=_l("Only if your employer ended your contract."))
    incapacity_start_on = DateField(_l("Date you became unable to work"), validators=[Optional()])
    benefits_scheme = RadioField(_l("How do you receive your benefits?"), choices=choices(SCHEME_CHOICES),
                                 validators=[Optional()])
    in_approved_retraining = BooleanField(_l("I already follow a retraining programme approved by INAMI/RIZIV"))
    in_professional_rehabilitation = BooleanField(_l("I already follow a professional rehabilitation programme of INAMI/RIZIV"))


class EligibilityForm(SituationForm):
    """The public checker: the same questions, nothing stored."""


class AddressFields(FlaskForm):
    """The postal address the fund writes to; its postcode also finds the coaches near the person."""

    street = StringField(_l("Street"), validators=[DataRequired(), Length(max=200)],
                         render_kw={"autocomplete": "address-line1"})
    number = StringField(_l("House number"), validators=[DataRequired(), Length(max=20)])
    box = StringField(_l("Box (if any)"), validators=[Optional(), Length(max=20)])
    postcode = StringField(_l("Postcode"), validators=[DataRequired(), Length(min=4, max=10)],
                           render_kw={"autocomplete": "postal-code", "inputmode": "numeric"})
    municipality = StringField(_l("Municipality"), validators=[DataRequired(), Length(max=100)],
                               render_kw={"autocomplete": "address-level2"})
    country = StringField(_l("Country"), default="BE", validators=[DataRequired(), Length(max=60)],
                          render_kw={"autocomplete": "country"})


class DetailsForm(AddressFields):
    """Step 2: address and mutual insurer."""

    insurer_code = SelectField(_l("Your mutual insurer"), validators=[DataRequired(_l("Choose your mutual insurer."))],
                               coerce=int)


class CoachingForm(FlaskForm):
    """Step 3: the provider, the initiative and the planned dates."""

    provider_id = RadioField(_l("Choose a coaching provider"), coerce=int,
                             validators=[InputRequired(_l("Choose one of the listed coaching providers."))])
    initiative = RadioField(_l("Who suggested the coaching?"), choices=choices({
        "own": _l("I ask on my own initiative"),
        "coordinator": _l("It is part of the return-to-work plan of my mutual insurer's coordinator")}),
        default="own", validators=[InputRequired()])
    planned_start_on = DateField(_l("Planned start (if you know it)"), validators=[Optional()])
    planned_end_on = DateField(_l("Planned end (if you know it)"), validators=[Optional()])

    def validate_planned_end_on(self, field: Field) -> None:
        """Checked where both dates are typed, with the form's other mistakes (issue 16)."""
        start = self.planned_start_on.data
        if field.data and start and field.data < start:
            raise ValidationError(_("The planned end cannot be before the planned start."))


class ConfirmForm(FlaskForm):
    truthful = BooleanField(_l("I confirm that what I entered is correct."),
                            validators=[DataRequired(_l("Please tick the box to confirm."))])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Why do you withdraw? (optional)"), validators=[Optional(), Length(max=1000)])


class CloseAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})


class ChangeProviderForm(FlaskForm):
    provider_id = SelectField(_l("New coaching provider"), coerce=int,
                              validators=[InputRequired(_l("Choose one of the listed coaching providers."))])


class AnswerForm(FlaskForm):
    """The beneficiary answers the fund's question and may correct the dates the request rests on."""

    answer = TextAreaField(_l("Your answer to the fund"), validators=[DataRequired(), Length(max=2000)])
    contract_end_on = DateField(_l("Last day of your contract (correct it if it was wrong)"), validators=[Optional()])
    incapacity_start_on = DateField(_l("First day of your incapacity (correct it if it was wrong)"),
                                    validators=[Optional()])


class GiveUpVoucherForm(FlaskForm):
    reason = TextAreaField(_l("Why do you give up your voucher? (optional)"), validators=[Optional(), Length(max=500)])


class ProvenAccountForm(FlaskForm):
    """The short page after a first sign-in with itsme or eID: the NISS and names come from the federal service;
    the person adds an address to be told at, and a language. Names only when the service gave none."""

    first_name = StringField(_l("First name"), validators=[Optional(), Length(max=100)],
                             render_kw={"autocomplete": "given-name"})
    last_name = StringField(_l("Last name"), validators=[Optional(), Length(max=100)],
                            render_kw={"autocomplete": "family-name"})
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), EmailAddress(), Length(max=254)],
                       description=_l("We write to you here about your request and your voucher."),
                       render_kw={"autocomplete": "email"})
    language = SelectField(_l("Language for letters and e-mails"), choices=LANGUAGE_CHOICES, default=reading_language)


class PathRegistrationForm(BeneficiaryRegistrationForm, AddressFields):
    """Step 2 of the short path (issue 16), after the eligibility answers: the account and the address, which finds
    the coaches near the person on the next step."""


class SendRequestForm(DetailsForm, CoachingForm, ConfirmForm):
    """Step 3 of the short path, on one page: the coach, the mutual insurer, who suggested the coaching, the planned
    dates and the confirmation; the address too, filled in when it is known already."""
