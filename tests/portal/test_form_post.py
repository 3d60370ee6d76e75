"""portal.web.form_post: what a refusal answers (the form again with its status, or a flash and a way back)."""

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


def _post(app: Flask, action: Any, data: dict[str, str] | None = None, **options: Any) -> tuple[Any, NameForm, list]:
    with app.test_request_context("/", method="POST", data={"name": "Ann"} if data is None else data):
        form = NameForm(meta={"csrf": False})
        answer = form_post(form, action, done=lambda result: ("done", 200), again=lambda status: ("again", status),
                           **options)
        return answer, form, get_flashed_messages(with_categories=True)


def _refuse(error: DomainError) -> Any:
    def action() -> None:
        db.session.add(User(email="flushed@example.org"))  # to be undone
        raise error
    return action


def test_a_refusal_is_put_on_the_form_with_its_status(app, db_session):
    answer, form, flashes = _post(app, _refuse(Conflict("Taken.", fields={"name": ["Taken."]})))
    assert answer == ("again", 409)
    assert form.name.errors == ["Taken."] and flashes == []
    assert not db.session.new


def test_refusal_status_is_the_status_of_every_refusal(app, db_session):
    answer, form, _flashes = _post(app, _refuse(NotFound("Gone.")), errors=(DomainError,), refusal_status=422)
    assert answer == ("again", 422)
    assert "Gone." in form.form_errors


def test_an_invalid_form_keeps_its_422_with_a_refusal_status(app, db_session):
    answer, form, _flashes = _post(app, _refuse(Conflict("never called")), data={"name": ""}, refusal_status=418)
    assert answer == ("again", 422)
    assert form.name.errors


def test_a_flashed_refusal_goes_back_with_its_reason(app, db_session):
    answer, form, flashes = _post(app, _refuse(Conflict("Someone decided it first.")), flashed=(Conflict,),
                                  back="/somewhere")
    assert answer.status_code == 302 and answer.location == "/somewhere"
    assert flashes == [("error", "Someone decided it first.")]
    assert not form.errors and not db.session.new


def test_a_flashed_kind_is_checked_before_the_form_errors(app, db_session):
    """A ValidationFailed is flashed when it is named there, though the form's errors name it too."""
    _answer, _form, flashes = _post(app, _refuse(ValidationFailed("No.")), errors=(DomainError,),
                                    flashed=(ValidationFailed,), back="/back")
    assert flashes == [("error", "No.")]


def test_a_refusal_of_no_listed_kind_goes_to_the_error_handler(app, db_session):
    with pytest.raises(NotFound):
        _post(app, _refuse(NotFound("Gone.")), errors=(), flashed=(Conflict,), back="/back")
