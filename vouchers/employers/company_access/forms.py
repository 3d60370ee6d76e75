"""Forms of the confirmation page, the ownership code and the fund's letters: input shape only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length


class SendAgainForm(FlaskForm):
    """Only the CSRF token."""


class AskLetterForm(FlaskForm):
    """Only the CSRF token: the request is in the URL."""


class CodeForm(FlaskForm):
    code = StringField(_l("Code on the letter"), validators=[DataRequired(_l("Type the code printed on the letter.")),
                                                             Length(max=40)],
                       description=_l("10 letters and digits, for example ABCDE-23456."),
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})


class OfficeAddressForm(FlaskForm):
    address = TextAreaField(_l("Registered office"), validators=[DataRequired(), Length(max=500)],
                            render_kw={"rows": 3})


class MarkSentForm(FlaskForm):
    checked = BooleanField(_l("I checked this address against the registered office in the Crossroads Bank for "
                              "Enterprises, and the letter is in the post."),
                           validators=[InputRequired(_l("Check the address in the Crossroads Bank for Enterprises "
                                                        "first."))])
