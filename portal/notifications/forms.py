from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class ChoicesForm(FlaskForm):
    """The kinds the person wants to receive, as check boxes (an unticked box turns the kind off)."""

    wanted = SelectMultipleField(choices=[], widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                 validate_choice=True)


class MarkReadForm(FlaskForm):
    """Only the CSRF token."""
