"""Employer forms: input shape only. The rules are checked by the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, EmailField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.auth.email_rule import EmailAddress
from vouchers.requests.forms import NewPasswordAndLanguageFields


class _EmployerChoice(FlaskForm):
    # Shown only to a social secretariat's user acting for several employers; choices set by the view.
    employer_id = SelectField(_l("Employer"), coerce=int, validators=[Optional()])


class DeclarationForm(_EmployerChoice):
    worker_first_name = StringField(_l("Worker's first name"), validators=[DataRequired(), Length(max=100)],
                                    render_kw={"autocomplete": "off"})
    worker_last_name = StringField(_l("Worker's last name"), validators=[DataRequired(), Length(max=100)],
                                   render_kw={"autocomplete": "off"})
    worker_niss = StringField(
        _l("Worker's national register number (or BIS number)"),
        validators=[DataRequired(), Length(max=20)],
        description=_l("11 digits. Example: 85.07.30-033.28"),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    contract_end_on = DateField(_l("Last day of the contract"),
                                validators=[InputRequired(_l("Enter the date the contract ended."))],
                                description=_l("The contract ended for medical force majeure at the employer's "
                                               "initiative, on or after 1 April 2024."))
    physician_decision_on = DateField(_l("Date of the occupational physician's decision (if you know it)"),
                                      validators=[Optional()],
                                      description=_l("The decision of definitive incapacity. We only ask for the "
                                                     "date, never for medical details."))
    agent_name = StringField(_l("Social secretariat or agent (optional)"), validators=[Optional(), Length(max=200)])
    agent_email = EmailField(_l("Agent's e-mail (optional)"), validators=[Optional(), EmailAddress(), Length(max=254)])
    agent_phone = TelField(_l("Agent's phone (optional)"), validators=[Optional(), Length(max=40)])


class ImportForm(_EmployerChoice):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))],
                     description=_l("One dismissal per line, under a first line with the column names. "
                                    "Save from your spreadsheet as \"CSV UTF-8\"."),
                     render_kw={"accept": ".csv,text/csv"})


class AgentForm(FlaskForm):
    email = EmailField(_l("The agent's e-mail address"),
                       validators=[DataRequired(), EmailAddress(), Length(max=254)],
                       description=_l("We e-mail an invitation to this address. The agent acts for your company "
                                      "once they accept it with an employer account."),
                       render_kw={"autocomplete": "off"})
    name = StringField(_l("Name of the contact (optional)"), validators=[Optional(), Length(max=200)],
                       description=_l("Shown in your list of invitations."))


class RemoveAgentForm(FlaskForm):
    """Only the CSRF token: the agent is in the URL."""


class CancelInvitationForm(FlaskForm):
    """Only the CSRF token: the invitation is in the URL."""


class AcceptInvitationForm(FlaskForm):
    """Only the CSRF token: the invitation is in the link."""


class AgentAccountForm(NewPasswordAndLanguageFields):
    """The invitee without an account creates one: the link proved the address."""

    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)],
                             render_kw={"autocomplete": "given-name"})
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)],
                            render_kw={"autocomplete": "family-name"})


class ColleagueForm(FlaskForm):
    """Invite a colleague (e.g. a payroll clerk) to the company's account."""

    email = EmailField(_l("Your colleague's e-mail address"),
                       validators=[DataRequired(), EmailAddress(), Length(max=254)], render_kw={"autocomplete": "off"})
    first_name = StringField(_l("First name"), validators=[Optional(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[Optional(), Length(max=100)])
