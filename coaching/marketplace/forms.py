"""Marketplace forms: the public search, and the provider's profile, contact points and catalogue.

Input shape only; the services in ``coaching.places`` decide what is valid (a postcode's region...).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.forms import choices
from portal.i18n import LANGUAGE_NAMES

REGION_LABELS = {
    "brussels": _l("Brussels-Capital"), "walloon_brabant": _l("Walloon Brabant"),
    "flemish_brabant": _l("Flemish Brabant"), "antwerp": _l("Antwerp"), "limburg": _l("Limburg"),
    "liege": _l("Liège"), "namur": _l("Namur"), "hainaut": _l("Hainaut"), "luxembourg": _l("Luxembourg"),
    "west_flanders": _l("West Flanders"), "east_flanders": _l("East Flanders"),
}


TOPIC_LABELS = {
    "job_search": _l("Job search"), "self_knowledge": _l("Self-knowledge"), "well_being": _l("Well-being"),
    "skills": _l("Skills and training"), "other": _l("Other"),
}


KIND_LABELS = {"individual": _l("Individual"), "collective": _l("Group")}


MODE_LABELS = {"onsite": _l("On site"), "online": _l("Online")}


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes in one fieldset (render it with the ``radios`` macro)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SearchForm(FlaskForm):
    """The public search, sent by GET: bookmarkable, no CSRF token."""

    class Meta:
        csrf = False

    place = StringField(_l("Postcode or municipality"), validators=[Optional(), Length(max=100)],
                        description=_l("For example 4000 or Namur. We show providers in that province or region."),
                        render_kw={"autocomplete": "postal-code"})
    language = SelectField(_l("Language of the coaching"),
                           choices=choices({"": _l("Any language"), **LANGUAGE_NAMES}), default="",
                           invalid_choice_message=_l("Choose a language from the list."))
    mode = RadioField(_l("Where"), choices=choices({"": _l("On site or online"), **MODE_LABELS}), default="",
                      invalid_choice_message=_l("Choose on site, online, or both."))
    theme = SelectField(_l("Theme"), choices=choices({"": _l("Any theme"), **TOPIC_LABELS}), default="",
                        invalid_choice_message=_l("Choose a topic from the list."))
    q = StringField(_l("Words to look for"), validators=[Optional(), Length(max=200)],
                    description=_l("A name, or a word such as 'CV' or 'stress'."))


class ProfileForm(FlaskForm):
    description = TextAreaField(
        _l("Description"), validators=[Length(max=5000)], render_kw={"rows": 6},
        description=_l("What you offer, for whom, and how you work. Shown on your public page."))
    languages = MultiCheckboxField(_l("Languages you coach in"), choices=choices(LANGUAGE_NAMES),
                                   validators=[InputRequired(_l("Choose at least one language."))])


class ContactPointForm(FlaskForm):
    name = StringField(_l("Name of the place"), validators=[DataRequired(), Length(max=200)],
                       description=_l("For example 'Liège office' or 'Online coaching'."))
    street = StringField(_l("Street and number"), validators=[Length(max=200)],
                         render_kw={"autocomplete": "street-address"})
    postcode = StringField(_l("Postcode"), validators=[DataRequired(), Length(max=10)],
                           description=_l("4 digits. It decides the province or region where people find you."),
                           render_kw={"inputmode": "numeric", "autocomplete": "postal-code"})
    municipality = StringField(_l("Municipality"), validators=[DataRequired(), Length(max=100)],
                               render_kw={"autocomplete": "address-level2"})
    languages = MultiCheckboxField(_l("Languages spoken here"), choices=choices(LANGUAGE_NAMES),
                                   validators=[InputRequired(_l("Choose at least one language."))])
    onsite = BooleanField(_l("Meetings on site"), default=True)
    online = BooleanField(_l("Coaching online from here"))


class ThemeForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)], render_kw={"rows": 4})
    topic = SelectField(_l("Topic"), choices=choices(TOPIC_LABELS), default="other",
                        invalid_choice_message=_l("Choose a topic from the list."))
    kind = RadioField(_l("Individual or group"), choices=choices(KIND_LABELS), default="individual",
                      validators=[InputRequired(_l("Choose individual or collective."))])
    language = SelectField(_l("Language"), choices=choices(LANGUAGE_NAMES),
                           invalid_choice_message=_l("Choose languages from the list."))


class ConfirmRemoveForm(FlaskForm):
    """Only the CSRF token: removing something is a POST."""
