"""Small helpers shared by the HTML views."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import Field

from portal.db import db
from portal.errors import N_, Conflict, DomainError, ValidationFailed
from portal.mail import commit
from portal.schema_fields import MAX_ID

T = TypeVar("T")


def safe_next(target: str | None, default_endpoint: str = "main.home") -> str:
    """Only same-site paths are followed after login, never another host."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for(default_endpoint)


def attach_errors(form: FlaskForm, error: DomainError) -> None:
    """Show a service's field errors next to the fields, keeping what was typed."""
    placed = False
    for name, problems in error.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            existing = list(field.errors) if isinstance(field.errors, (list, tuple)) else []
            field.errors = existing + [gettext(p) for p in problems]
            placed = True
    if not placed:
        form.form_errors.append(gettext(error.message))


#: Errors a person can fix on the same page; 403/404 go to the error pages.
FORM_ERRORS = (ValidationFailed, Conflict)

#: Rows a page of the fund's lists shows.
PAGE_SIZE = 50


def refused(form: FlaskForm, error: DomainError, aliases: dict[str, str] | None = None) -> int:
    """Undo what the service flushed, put its reasons on the form, and return the page's status.

    Reasons about a field the form does not have (a provider's IBAN, an offer's cost) go to the top of the form,
    so nothing the service said is lost. ``aliases`` renames the service's field names to the form's.
    """
    db.session.rollback()
    if aliases:
        error.fields = {aliases.get(name, name): problems for name, problems in error.fields.items()}
    attach_errors(form, error)
    headline = gettext(error.message)
    if headline not in form.form_errors:
        form.form_errors.insert(0, headline)
    for name, problems in error.fields.items():
        if not isinstance(getattr(form, name, None), Field):
            form.form_errors.extend(gettext(p) for p in problems if gettext(p) not in form.form_errors)
    return error.status


def page_arg(name: str = "before") -> int | None:
    """A positive id from the query string for keyset paging; anything else (past the database's 32-bit ids
    too) starts at the first page."""
    value = request.args.get(name, type=int)
    return value if value and 0 < value <= MAX_ID else None


def form_post(form: FlaskForm, action: Callable[[], T], *, done: Callable[[T], ResponseReturnValue],
              again: Callable[[int], ResponseReturnValue], errors: tuple[type[DomainError], ...] = FORM_ERRORS,
              aliases: dict[str, str] | None = None, refusal_status: int | None = None,
              flashed: tuple[type[DomainError], ...] = (), back: str | None = None,
              refusal: Callable[[DomainError], ResponseReturnValue] | None = None) -> ResponseReturnValue:
    """The shape of every HTML form post, so that a view says only what it does.

    A GET, or a form that fails its own checks, is shown again (``again(status)``: 200, or 422 with every
    problem at once and what was typed). Otherwise ``action`` calls the service; a refusal it raises is put on
    the form the same way (with the error's status, or ``refusal_status`` for a page that always answered one).
    A refusal of a kind in ``flashed`` is not the form's to show (the situation changed under it): what was
    flushed is undone, its reason is flashed and the person goes ``back``. A page whose refusals are neither
    (a link that no longer works has its own page, a reason belongs next to one field) answers them itself: what
    was flushed is undone, then ``refusal(error)`` answers instead of ``again``. On success the request's one
    commit happens, then ``done(result)`` answers, usually through ``saved``.
    """
    if flashed and back is None:
        raise TypeError("a flashed refusal needs a page to go back to")
    if not form.validate_on_submit():
        return again(422 if form.is_submitted() else 200)
    try:
        result = action()
    except flashed as error:
        db.session.rollback()
        flash(gettext(error.message), "error")
        return redirect(back)
    except errors as error:
        if refusal is not None:
            db.session.rollback()
            return refusal(error)
        status = refused(form, error, aliases)
        return again(refusal_status or status)
    commit()
    return done(result)


def saved(message: str, target: str) -> ResponseReturnValue:
    """Tell the person it is done, and go where they carry on."""
    flash(message, "success")
    return redirect(target)


def expired_button(back: str, message: str = N_("The form had expired. Please try again.")
                   ) -> Callable[[int], ResponseReturnValue]:
    """``again`` for a button (a form of only its CSRF token) whose token was refused: say the form had expired
    (``message``, a msgid), and go back to the page it was on."""

    def again(_status: int) -> ResponseReturnValue:
        flash(gettext(message), "error")
        return redirect(back)

    return again
