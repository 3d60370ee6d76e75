"""portal.web.form_post's ``refusal``: a page that answers a refusal itself (its own page, a reason on one field)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, get_flashed_messages
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from portal.auth.models import User
from portal.db import db
from portal.errors import Conflict, DomainError, NotFound, ValidationFailed
from portal.web import form_post


class NameForm(FlaskForm):
    name = StringField(validators=[DataRequired()])


def _refuse(error: DomainError) -> Any:
    def action() -> None:
        db.session.add(User(email="flushed@example.org"))  # to be undone
        raise error
    return action


def _post(app: Flask, action: Any, **options: Any) -> tuple[Any, NameForm, list, list]:
    seen: list[DomainError] = []

    def refusal(error: DomainError) -> Any:
        seen.append(error)
        assert not db.session.new, "what the action flushed is undone before the refusal answers"
        return "own page", error.status

    with app.test_request_context("/", method="POST", data={"name": "Ann"}):
        form = NameForm(meta={"csrf": False})
        answer = form_post(form, action, done=lambda result: ("done", 200), again=lambda status: ("again", status),
                           refusal=refusal, **options)
        return answer, form, seen, get_flashed_messages(with_categories=True)


def test_the_refusal_answers_instead_of_the_form(app, db_session):
    error = NotFound("This link no longer works.")
    answer, form, seen, flashes = _post(app, _refuse(error), errors=(DomainError,))
    assert answer == ("own page", 404) and seen == [error]
    assert not form.errors and not form.form_errors and flashes == []  # nothing put on the form, nothing flashed
    assert not db.session.new


def test_a_kind_not_listed_in_errors_still_goes_to_the_error_handler(app, db_session):
    with pytest.raises(NotFound):
        _post(app, _refuse(NotFound("Gone.")))  # FORM_ERRORS by default


def test_a_flashed_kind_is_flashed_not_given_to_the_refusal(app, db_session):
    answer, _form, seen, flashes = _post(app, _refuse(Conflict("Decided first.")), errors=(DomainError,),
                                         flashed=(Conflict,), back="/back")
    assert answer.status_code == 302 and seen == [] and flashes == [("error", "Decided first.")]


def test_a_refusal_can_send_the_error_on_to_the_error_handler(app, db_session):
    def refusal(error: DomainError) -> Any:
        raise error

    with app.test_request_context("/", method="POST", data={"name": "Ann"}):
        form = NameForm(meta={"csrf": False})
        with pytest.raises(ValidationFailed):
            form_post(form, _refuse(ValidationFailed("No.")), done=lambda result: ("done", 200),
                      again=lambda status: ("again", status), refusal=refusal)
        assert not db.session.new


def test_an_invalid_form_is_shown_again_without_the_refusal(app, db_session):
    with app.test_request_context("/", method="POST", data={"name": ""}):
        form = NameForm(meta={"csrf": False})
        answer = form_post(form, _refuse(Conflict("never called")), done=lambda result: ("done", 200),
                           again=lambda status: ("again", status), refusal=lambda error: ("own page", 0))
    assert answer == ("again", 422)


def test_success_commits_and_answers_done_without_the_refusal(app, db_session):
    answer, _form, seen, _flashes = _post(app, lambda: 7)
    assert answer == ("done", 200) and seen == []
