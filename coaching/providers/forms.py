"""Forms of the provider staff's and the beneficiary's coaching pages: input shape only.

Choices that depend on the data (offers, coaches, vouchers, durations from the fund's
settings) are filled in by the views, always through ``portal.forms.choices``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    IntegerField,
    RadioField,
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
    StopValidation,
)
from wtforms.widgets import TextInput

from coaching.marketplace.forms import REGION_LABELS, MultiCheckboxField
from coaching.providers.services.listing import QUALITY_LABELS
from portal.auth.email_rule import EmailAddress
from portal.filters import Filters, Text
from portal.forms import choices
from portal.i18n import LANGUAGE_NAMES, reading_language
from portal.search import MAX_SEARCH, SEARCH_TOO_LONG

LANGUAGE_LABELS = {"fr": "Français", "nl": "Nederlands", "de": "Deutsch", "en": "English"}


# The zones a Belgian provider's coaches plausibly work in; Europe/Brussels first, the default.
COACH_TIMEZONES = ("Europe/Brussels", "Europe/Amsterdam", "Europe/Luxembourg", "Europe/Paris", "Europe/Berlin",
                   "Europe/London", "Europe/Madrid", "Europe/Rome", "Europe/Lisbon", "Europe/Warsaw",
                   "Europe/Bucharest", "Europe/Istanbul", "Africa/Casablanca", "UTC")


_AMOUNT = re.compile(r"^\d{1,7}(\.\d{1,2})?$")


_NOT_AN_AMOUNT = _l("Give an amount in euros, for example 150 or 150.00.")


def euros_to_cents(text: str) -> int:
    """``"150"``, ``"150,00"``, ``"1.800,50"``, ``"1,800.50"`` or ``"€ 150"`` to integer cents, never via float.

    Raises ``ValueError`` for anything else (negative, more than two decimals, letters).
    """
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", text or "")
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        cleaned = cleaned.replace(thousands, "").replace(decimal_mark, ".")
    elif "," in cleaned:
        cleaned = cleaned.replace(",", ".")
    if not _AMOUNT.match(cleaned):
        raise ValueError(cleaned)
    try:
        cents = Decimal(cleaned) * 100
    except InvalidOperation as exc:  # pragma: no cover - the pattern already refuses it
        raise ValueError(cleaned) from exc
    return int(cents)


class EuroField(Field):
    """An amount typed in euros, held as integer cents; what was typed is shown again on error."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        euros, cents = divmod(int(self.data), 100)
        return f"{euros}.{cents:02d}"

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = euros_to_cents(str(valuelist[0]))
        except ValueError as exc:
            self.data = None
            raise ValueError(str(_NOT_AN_AMOUNT)) from exc


class StandardOfferForm(FlaskForm):
    """One click on one of the fund's standard mixes ("7-5" … "12-0")."""

    mix = SelectField(_l("Standard mix"), validators=[InputRequired()])


class OfferForm(FlaskForm):
    name = StringField(_l("Name of the offer"), validators=[DataRequired(), Length(max=200)],
                       description=_l("For example: Back to work, 10 hours and 2 group sessions."))
    individual_hours = IntegerField(_l("Individual hours"), validators=[InputRequired(), NumberRange(min=0)],
                                    description=_l("Whole hours, 12 at most."), render_kw={"inputmode": "numeric"})
    collective_sessions = IntegerField(_l("Group sessions (3.5 hours each)"),
                                       validators=[InputRequired(), NumberRange(min=0)],
                                       render_kw={"inputmode": "numeric"})
    individual_unit_cents = EuroField(_l("Price of one individual hour, in euros"),
                                      validators=[InputRequired(_l("Give a price in euros."))],
                                      render_kw={"inputmode": "decimal"})
    collective_unit_cents = EuroField(_l("Price of one group session, in euros"),
                                      validators=[InputRequired(_l("Give a price in euros."))],
                                      render_kw={"inputmode": "decimal"})


class AcceptForm(FlaskForm):
    offer_id = RadioField(_l("Mix for this voucher"), coerce=int,
                          validators=[InputRequired(_l("Choose one of your offers."))])


class CoachForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)],
                       render_kw={"autocomplete": "off"})
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), EmailAddress(), Length(max=254)],
                       description=_l("The coach gets an e-mail to choose a password."),
                       render_kw={"autocomplete": "off"})
    timezone = SelectField(_l("Time zone"), choices=choices({z: z for z in COACH_TIMEZONES}),
                           default="Europe/Brussels")
    language = SelectField(_l("Language of the e-mails"), choices=choices(LANGUAGE_LABELS), default=reading_language)


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
                                         EmailAddress(), Length(max=254)],
                             description=_l("This person receives an invitation to choose a password."),
                             render_kw={"autocomplete": "off"})


class DelistForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)], render_kw={"rows": 3},
                           description=_l("Kept in the audit log."))
    confirm = BooleanField(_l("Yes, delist this provider"),
                           validators=[InputRequired(_l("Tick the box to confirm."))])


class ProviderEditForm(FlaskForm):
    """What the fund corrects on a listed provider: a renewed label, the IBAN, regions, languages."""

    quality_label = ProviderForm.quality_label
    label_valid_until_on = DateField(_l("Label valid until"),
                                     validators=[InputRequired(_l("Give the last day the quality label is valid."))],
                                     invalid_value_message=_DATE_HINT,
                                     description=_l("A past day takes the provider out of search and of new "
                                                    "requests until the renewed label is recorded."))
    iban = ProviderForm.iban
    regions = ProviderForm.regions
    languages = ProviderForm.languages


#: The search box of the fund's list of providers (``vouchers.search``), sent by GET.
PROVIDER_FILTERS = Filters(
    Text("q", _l("Search"), MAX_SEARCH, too_long=SEARCH_TOO_LONG,
         description=_l("A provider's name, enterprise number or number.")),
)
