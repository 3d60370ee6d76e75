"""Forms of the provider staff's and the beneficiary's coaching pages: input shape only.

Choices that depend on the data (offers, coaches, vouchers, durations from the fund's
settings) are filled in by the views, always through ``portal.forms.choices``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    Field,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import TextInput

from coaching.availability import format_ranges, parse_ranges
from portal.forms import choices

KIND_LABELS = {"individual": _l("Individual"), "collective": _l("Group session (collective)")}
MODE_LABELS = {"onsite": _l("On site"), "online": _l("Online")}
ATTENDANCE_LABELS = {"attended": _l("Attended"), "no_show": _l("Did not come (no-show)"),
                     "late_cancel": _l("Cancelled late")}
CONFIRMATION_LABELS = {"pending": _l("Waiting for the beneficiary"), "confirmed": _l("Confirmed"),
                       "disputed": _l("Disputed")}
SESSION_STATUS_LABELS = {"scheduled": _l("Scheduled"), "logged": _l("Logged"), "cancelled": _l("Cancelled")}
CLAIM_STATUS_LABELS = {"submitted": _l("Waiting for the fund"), "approved": _l("Approved"),
                       "rejected": _l("Rejected"), "paid": _l("Paid")}
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


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token (cancel, confirm, reset the calendar link)."""


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
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)],
                       description=_l("The coach gets an e-mail to choose a password."),
                       render_kw={"autocomplete": "off"})
    timezone = SelectField(_l("Time zone"), choices=choices({z: z for z in COACH_TIMEZONES}),
                           default="Europe/Brussels")
    language = SelectField(_l("Language of the e-mails"), choices=choices(LANGUAGE_LABELS), default="fr")


class ScheduleForm(FlaskForm):
    coach_id = SelectField(_l("Coach"), coerce=int, validators=[InputRequired()])
    kind = RadioField(_l("Kind of session"), choices=choices(KIND_LABELS), default="individual",
                      validators=[InputRequired()])
    voucher_ids = SelectMultipleField(_l("Voucher(s)"), coerce=int,
                                      validators=[DataRequired(_l("Choose at least one voucher."))],
                                      description=_l("One voucher for an individual session, one or more for a "
                                                     "group session."))
    start_on = DateField(_l("Date"), validators=[InputRequired(_l("Give the date."))])
    start_time = TimeField(_l("Start time (coach's local time)"), validators=[InputRequired(_l("Give the time."))])
    duration_minutes = SelectField(_l("Duration"), coerce=int, validators=[InputRequired()])
    mode = RadioField(_l("Where"), choices=choices(MODE_LABELS), default="onsite", validators=[InputRequired()])
    location = StringField(_l("Address or video link"), validators=[Optional(), Length(max=300)],
                           description=_l("The address on site, or the link of the online meeting."))
    capacity = IntegerField(_l("Places (group sessions)"), validators=[Optional(), NumberRange(min=1, max=50)],
                            render_kw={"inputmode": "numeric"})
    theme = StringField(_l("Theme"), validators=[Optional(), Length(max=200)],
                        description=_l("For example: job search, self-knowledge, well-being."))


class LogForm(FlaskForm):
    """The fixed part of logging a session; ``log_form_class`` adds one attendance question per voucher."""

    duration_minutes = SelectField(_l("Real duration"), coerce=int, validators=[InputRequired()])
    note = TextAreaField(_l("Short note"), validators=[Optional(), Length(max=2000)],
                         description=_l("Keep it short and neutral. Never write medical details. Only your provider "
                                        "and the beneficiary can read it."),
                         render_kw={"rows": 3, "maxlength": 2000})

    def attendance_fields(self) -> list[Any]:
        return [field for name, field in self._fields.items() if name.startswith("attendance_")]

    def attendance_data(self) -> dict[int, str]:
        return {int(field.name.removeprefix("attendance_")): field.data for field in self.attendance_fields()}


def log_form_class(seats: list[tuple[int, str]]) -> type[LogForm]:
    """A log form with an attendance question per ``(voucher_id, beneficiary label)``."""
    fields = {
        f"attendance_{voucher_id}": RadioField(
            _l("Attendance of %(name)s", name=label), choices=choices(ATTENDANCE_LABELS),
            validators=[InputRequired(_l("Say whether this person came."))])
        for voucher_id, label in seats
    }
    return type("SessionLogForm", (LogForm,), fields)


class ClaimForm(FlaskForm):
    session_ids = SelectMultipleField(_l("Sessions to claim"), coerce=int,
                                      validators=[DataRequired(_l("Choose the sessions to claim."))])


class DisputeForm(FlaskForm):
    reason = TextAreaField(_l("What is wrong with this session?"),
                           validators=[DataRequired(_l("Say what is wrong.")), Length(max=2000)],
                           description=_l("For example: I was not there that day, or it was shorter."),
                           render_kw={"rows": 3, "maxlength": 2000})


WEEKDAY_LABELS = {0: _l("Monday"), 1: _l("Tuesday"), 2: _l("Wednesday"), 3: _l("Thursday"), 4: _l("Friday"),
                  5: _l("Saturday"), 6: _l("Sunday")}
EXCEPTION_KIND_LABELS = {"off": _l("Not available (all day, or only between the times below)"),
                         "extra": _l("Extra hours (between the times below)")}


class RangesField(Field):
    """Time ranges typed as ``09:00-12:00, 13:30-17:00``; held as a list of ``(start, end)`` times.
    What was typed is shown again when it cannot be read."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return format_ranges(self.data or [])

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = []
        if not valuelist:
            return
        try:
            self.data = parse_ranges(str(valuelist[0]))
        except ValueError as exc:
            raise ValueError(str(_l("Could not read \"%(piece)s\". Write the hours like 09:00-12:00, 13:30-17:00.",
                                    piece=str(exc)))) from exc


def weekly_form_class() -> type[FlaskForm]:
    """The weekly pattern: a time zone and one line of ranges per weekday (``weekday_0`` = Monday)."""
    fields: dict[str, Any] = {
        f"weekday_{day}": RangesField(label, render_kw={"autocomplete": "off", "inputmode": "text"},
                                      description=_l("For example 09:00-12:00, 13:00-17:00. Empty: not available."))
        for day, label in WEEKDAY_LABELS.items()
    }
    fields["timezone"] = SelectField(_l("Time zone of these hours"), validators=[InputRequired()])
    return type("WeeklyAvailabilityForm", (FlaskForm,), fields)


class ExceptionForm(FlaskForm):
    kind = RadioField(_l("Kind of exception"), choices=choices(EXCEPTION_KIND_LABELS), default="off",
                      validators=[InputRequired()])
    from_on = DateField(_l("First day"), validators=[InputRequired(_l("Give the first day."))])
    until_on = DateField(_l("Last day"), validators=[Optional()],
                         description=_l("Leave empty for a single day."))
    start_time = TimeField(_l("From"), validators=[Optional()],
                           description=_l("Leave both times empty for the whole day."))
    end_time = TimeField(_l("Until"), validators=[Optional()])
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=200)],
                         description=_l("Seen by your provider only. For example: leave, training."))


DISPUTE_STATUS_LABELS = {"open": _l("Waiting for the provider"), "escalated": _l("Sent to the fund"),
                         "upheld": _l("Accepted: the session is corrected"),
                         "dismissed": _l("Not accepted: the session stays as logged")}
DISPUTE_DECISION_LABELS = {"uphold": _l("Uphold: the beneficiary is right, correct the session"),
                           "dismiss": _l("Dismiss: the session stays as logged")}


def optional_int(value: Any) -> int | None:
    """A select's value as a number, or None when nothing was chosen."""
    if value in (None, ""):
        return None
    return int(value)


class AcceptDisputeForm(FlaskForm):
    attendance = RadioField(_l("What really happened"), choices=choices(ATTENDANCE_LABELS), validate_choice=False,
                            validators=[InputRequired(_l("Say what really happened."))])
    duration_minutes = SelectField(_l("Real duration (individual sessions)"), coerce=optional_int,
                                   validate_choice=False, validators=[Optional()],
                                   description=_l("Only for an individual session that took place."))
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)],
                         render_kw={"rows": 2, "maxlength": 2000})


class EscalateDisputeForm(FlaskForm):
    note = TextAreaField(_l("Your side, for the fund"),
                         validators=[DataRequired(_l("Tell the fund why the log is right.")), Length(max=2000)],
                         description=_l("Why the session is right as logged. Never write medical details."),
                         render_kw={"rows": 3, "maxlength": 2000})


class DisputeDecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=choices(DISPUTE_DECISION_LABELS), validate_choice=False,
                          validators=[InputRequired(_l("Uphold or dismiss the dispute."))])
    attendance = RadioField(_l("If upheld: what really happened"), choices=choices(ATTENDANCE_LABELS),
                            validate_choice=False, validators=[Optional()])
    duration_minutes = SelectField(_l("If upheld: real duration (individual sessions)"), coerce=optional_int,
                                   validate_choice=False, validators=[Optional()])
    note = TextAreaField(_l("Reason of the decision"),
                         validators=[DataRequired(_l("Give the reason of the decision.")), Length(max=2000)],
                         description=_l("The provider and the beneficiary are told the outcome."),
                         render_kw={"rows": 3, "maxlength": 2000})
