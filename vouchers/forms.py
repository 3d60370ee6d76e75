"""Registration forms for beneficiaries and employers: input shape only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length

LANGUAGE_CHOICES = {"fr": "Français", "nl": "Nederlands", "de": "Deutsch", "en": "English"}


class _AccountFields(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)],
                       render_kw={"autocomplete": "email"})
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
    language = SelectField(_l("Language for letters and e-mails"), choices=LANGUAGE_CHOICES)


class BeneficiaryRegistrationForm(_AccountFields):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)],
                             render_kw={"autocomplete": "given-name"})
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)],
                            render_kw={"autocomplete": "family-name"})
    niss = StringField(
        _l("National register number (or BIS number)"),
        validators=[DataRequired(), Length(max=20)],
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
