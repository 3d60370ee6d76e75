"""A button on the employer pages (a form of only its CSRF token) posted through ``portal.web.form_post``."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _


def expired(back: str) -> Callable[[int], ResponseReturnValue]:
    """``again`` for a button: its token was refused (the form had expired); say so, and go back to the page."""

    def again(status: int) -> ResponseReturnValue:
        flash(_("The form had expired. Please try again."), "error")
        return redirect(back)

    return again
