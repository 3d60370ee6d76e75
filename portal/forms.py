"""Form helpers shared by every package."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from portal.audit.words import OBJECT_WORDS
from portal.schema_fields import MAX_ID


def choices(options: Mapping[Any, Any]) -> list[SelectChoice]:
    """WTForms choices from ``{value: label}``; labels may be lazy translations."""
    return [SelectChoice(value=value, label=label) for value, label in options.items()]


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token (cancel, confirm, reset the calendar link)."""


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    object_type = SelectField(_l("Object type"), default="", validate_choice=True,
                              choices=choices({"": _l("Any object"), **OBJECT_WORDS}))
    object_id = IntegerField(_l("Object number"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)],
                             render_kw={"inputmode": "numeric"})
    person = StringField(_l("Person (e-mail or user number)"), validators=[Optional(), Length(max=254)],
                         description=_l("Who acted."))
