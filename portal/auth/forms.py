"""Account forms: input shape only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


# Signing in and asking for a new password only look the address up, as the API does: no shape is judged here
# (portal/auth/email_rule.py holds the rule for addresses being recorded).
class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "email"})


class NewPasswordMixin:
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=10, max=256, message=_l("Use at least 10 characters."))],
        description=_l("At least 10 characters. A short sentence is easy to remember."),
        render_kw={"autocomplete": "new-password"},
    )
    password_repeat = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    pass


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})


class TwoStepCodeForm(FlaskForm):
    code = StringField(_l("Code from your authenticator app"), validators=[DataRequired(), Length(max=20)],
                       description=_l("6 digits. Your app shows a new code every 30 seconds."),
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class RecoveryCodeForm(FlaskForm):
    code = StringField(_l("Recovery code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("One of the codes you printed or saved when you set up two-step sign-in, "
                                      "like 7kq2-mx9d-p4ft. Each code works once."),
                       render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})


class NewAppForm(TwoStepCodeForm):
    """Moving two-step sign-in to a new phone or app: the password, and a first code from the new app."""

    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


class ResendConfirmationForm(FlaskForm):
    pass


class LanguageForm(FlaskForm):
    lang = SelectField(_l("Language"), choices={"fr": "Français", "nl": "Nederlands", "de": "Deutsch", "en": "English"})
    next = StringField()
