"""One e-mail rule for the API, the forms and the operator's command (portal/auth/email_rule.py): an address one of
them refuses, all refuse; and signing in only looks an address up, on the web as in the API."""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm
from marshmallow import Schema
from sqlalchemy import select
from wtforms import EmailField

from portal.auth.email_rule import EmailAddress, EmailAddressField, email_problem
from portal.auth.models import User
from portal.auth.services import plausible_email
from tests.support.factories import PASSWORD, make_user, new_niss
from tests.support.web import post_form

EN = {"Accept-Language": "en"}
GOOD = ["someone@example.be", "Jan.Peeters+tnw@Sub.Mutualite.BE", "a_b-c@xn--bcher-kva.be", "x@hb.be"]
BAD = ["x@hb.test", "x@hb.invalid", "x@localhost", "x@hb", "x", "x@", "@hb.be", "a..b@hb.be", "a b@hb.be",
       "\"a b\"@hb.be", "a@[192.0.2.1]", "jöhn@hb.be", "john@bücher.be", "a@hb.be\u0000", "a@hb.be\nBcc: b@hb.be",
       "a@" + ".".join(["b" * 63] * 4) + ".be"]  # 260 characters: more than an address may have


class _Form(FlaskForm):
    class Meta:
        csrf = False

    email = EmailField(validators=[EmailAddress()])


class _Schema(Schema):
    email = EmailAddressField(required=True)


@pytest.mark.parametrize("address", GOOD + BAD)
def test_the_rule_the_form_validator_the_schema_and_the_services_agree(app, address):
    accepted = email_problem(address) is None
    assert accepted == (address in GOOD)
    assert plausible_email(address) == accepted
    assert (not _Schema().validate({"email": address})) == accepted
    with app.test_request_context(method="POST", data={"email": address}):
        assert _Form().validate() == accepted


def test_the_api_refuses_what_the_forms_refuse(client, db_session):
    response = client.post("/api/v1/beneficiaries", json={
        "email": "x@hb.test", "password": PASSWORD, "first_name": "Lea", "last_name": "Peeters", "niss": new_niss(),
        "language": "nl"})
    assert response.status_code == 422 and "email" in response.get_json()["error"]["fields"]
    assert db_session.scalar(select(User).where(User.email == "x@hb.test")) is None


def test_the_registration_form_refuses_it_too(client, db_session):
    response = post_form(client, "/register", {
        "email": "x@hb.test", "password": PASSWORD, "password_repeat": PASSWORD, "first_name": "Lea",
        "last_name": "Peeters", "niss": new_niss(), "language": "en"}, headers=EN)
    assert response.status_code == 422 and "This e-mail address is not valid." in response.get_data(as_text=True)
    assert db_session.scalar(select(User).where(User.email == "x@hb.test")) is None


def test_the_command_refuses_it_too(app, db_session):
    result = app.test_cli_runner().invoke(args=["create-user", "--role", "fund_admin", "--email", "x@hb.test",
                                                "--password", "long enough password"])
    assert result.exit_code != 0 and "This e-mail address is not valid." in result.output
    assert db_session.scalar(select(User).where(User.email == "x@hb.test")) is None
    good = app.test_cli_runner().invoke(args=["create-user", "--role", "fund_admin", "--email", "x@hb.be",
                                              "--password", "long enough password"])
    assert good.exit_code == 0, good.output


def test_signing_in_looks_the_address_up_on_the_web_as_in_the_api(app, client, db_session):
    """An account whose address an older rule let in signs in on both, as before; only recording is judged."""
    person = make_user(db_session)
    person.email = "older@hb.test"
    db_session.flush()
    assert app.test_client().post("/api/v1/auth/token", json={"email": "older@hb.test", "password": PASSWORD}
                                  ).status_code == 201
    signed_in = post_form(client, "/login", {"email": "Older@hb.test", "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"
    wrong = post_form(app.test_client(), "/login", {"email": "not an address", "password": PASSWORD}, headers=EN)
    assert wrong.status_code == 422 and "The e-mail address or the password is not right." in wrong.get_data(
        as_text=True)
