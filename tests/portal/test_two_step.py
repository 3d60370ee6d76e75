"""Two-step sign-in (TOTP): required for fund administrators, offered to everyone, on the web and in the API."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest

from portal.auth import two_step
from portal.auth.models import User
from portal.clock import utcnow
from portal.permissions import Role
from tests.support.factories import PASSWORD, TOTP_SECRET, make_user
from tests.support.web import bearer, csrf_token, login, one_time_code, post_form

EN = {"Accept-Language": "en"}


def _code(offset: int = 0, secret: str = TOTP_SECRET) -> str:
    return two_step.code_at(secret, two_step.time_step(utcnow()) + offset)


def _token(client, email: str, **extra: str):
    return client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD, **extra})


def _logged_in(client) -> bool:
    return client.get("/account/password").status_code == 200


# --- the API ---------------------------------------------------------------------------------------------------


def test_the_token_needs_a_valid_otp_once(client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN)
    missing = _token(client, admin.email)
    assert missing.status_code == 401 and missing.get_json()["error"]["code"] == "otp_required"
    wrong = _token(client, admin.email, otp="000000" if _code() != "000000" else "111111")
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "otp_required"
    code = _code()
    right = _token(client, admin.email, otp=code)
    assert right.status_code == 201 and right.get_json()["token"]
    replayed = _token(client, admin.email, otp=code)
    assert replayed.status_code == 401 and replayed.get_json()["error"]["code"] == "otp_required"


def test_a_wrong_password_stays_invalid_credentials_even_with_a_right_code(client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN)
    response = client.post("/api/v1/auth/token", json={"email": admin.email, "password": "wrong password!",
                                                       "otp": _code()})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "invalid_credentials"
    # The code was not used up by the failed attempt.
    assert _token(client, admin.email, otp=_code()).status_code == 201


def test_a_step_either_side_is_accepted_not_two(client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN)
    for far in (-2, 3):
        assert _token(client, admin.email, otp=_code(far)).status_code == 401
    assert _token(client, admin.email, otp=_code(-1)).status_code == 201
    assert _token(client, admin.email, otp=_code(1)).status_code == 201
    # The step before the last one used is spent too: codes only move forward.
    assert _token(client, admin.email, otp=_code(0)).status_code == 401


def test_a_fund_admin_without_a_second_factor_gets_no_token(client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN, two_step=False)
    response = _token(client, admin.email, otp="123456")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "otp_required"


def test_accounts_without_two_step_need_no_otp_and_a_malformed_one_is_a_422(client, db_session):
    person = make_user(db_session)
    assert _token(client, person.email).status_code == 201
    assert _token(client, person.email, otp=None).status_code == 201
    malformed = _token(client, person.email, otp="12ab56")
    assert malformed.status_code == 422 and "otp" in malformed.get_json()["error"]["fields"]


def test_the_openapi_document_tells_of_the_otp(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = spec["components"]["schemas"]["TokenRequest"]
    assert "otp" in schema["properties"] and "otp" not in schema.get("required", [])


# --- the web login ---------------------------------------------------------------------------------------------


def test_the_web_login_asks_for_the_code_after_the_password(client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN, language="en")
    first = post_form(client, "/login", {"email": admin.email, "password": PASSWORD})
    assert first.status_code == 302 and first.headers["Location"] == "/login/two-step"
    assert not _logged_in(client)  # the password alone logs nobody in
    page = client.get("/login/two-step", headers=EN).get_data(as_text=True)
    field = re.search(r"<input[^>]*name=\"code\"[^>]*>", page)
    assert field and 'autocomplete="one-time-code"' in field.group(0) and 'inputmode="numeric"' in field.group(0)
    wrong = post_form(client, "/login/two-step", {"code": "000000" if _code() != "000000" else "111111"},
                      headers=EN)
    assert wrong.status_code == 422 and "This code is not right" in wrong.get_data(as_text=True)
    assert not _logged_in(client)
    right = post_form(client, "/login/two-step", {"code": _code()})
    assert right.status_code == 302 and right.headers["Location"] == "/"
    assert _logged_in(client)


def test_the_second_step_keeps_where_the_person_was_going(client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN)
    post_form(client, "/login?next=/admin/requests", {"email": admin.email, "password": PASSWORD})
    done = post_form(client, "/login/two-step", {"code": _code()})
    assert done.status_code == 302 and done.headers["Location"] == "/admin/requests"


def test_a_code_typed_with_a_space_works_and_only_once(app, client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN)
    code = _code()
    post_form(client, "/login", {"email": admin.email, "password": PASSWORD})
    assert post_form(client, "/login/two-step", {"code": f"{code[:3]} {code[3:]}"}).status_code == 302
    other = app.test_client()
    post_form(other, "/login", {"email": admin.email, "password": PASSWORD})
    assert post_form(other, "/login/two-step", {"code": code}).status_code == 422
    assert not _logged_in(other)


def test_the_second_step_without_a_right_password_first_goes_back_to_the_login(client, db_session):
    response = client.get("/login/two-step")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    posted = post_form(client, "/login/two-step", {"code": _code()}, token_from="/login")
    assert posted.status_code == 302 and urlsplit(posted.headers["Location"]).path == "/login"


def test_a_password_changed_meanwhile_ends_the_waiting_second_step(app, client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN)
    post_form(client, "/login", {"email": admin.email, "password": PASSWORD})
    admin.session_token = "rotated-by-a-password-change"
    db_session.flush()
    response = post_form(client, "/login/two-step", {"code": _code()})
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    assert not _logged_in(client)


def test_the_test_helpers_sign_in_with_the_code(app, client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN)
    assert login(client, admin.email).status_code == 302 and _logged_in(client)
    for _ in range(3):  # more sign-ins than codes in the window: the helper makes room
        assert client.get("/api/v1/me", headers=bearer(app.test_client(), admin.email)).status_code == 200
    assert one_time_code(app, make_user(db_session).email) is None


# --- setting it up ---------------------------------------------------------------------------------------------


def _shown_secret(page: str) -> tuple[str, str]:
    secret = re.search(r'id="two-step-secret">([A-Z2-7]+)<', page)
    uri = re.search(r'id="two-step-uri">([^<]+)<', page)
    assert secret and uri
    return secret.group(1), uri.group(1).replace("&amp;", "&")


def test_a_fund_admin_without_a_second_factor_sets_it_up_before_anything_else(client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN, two_step=False, language="en")
    first = post_form(client, "/login", {"email": admin.email, "password": PASSWORD})
    assert first.status_code == 302 and first.headers["Location"] == "/login/two-step/setup"
    assert not _logged_in(client)
    assert urlsplit(client.get("/admin/requests").headers["Location"]).path == "/login"
    page = client.get("/login/two-step/setup", headers=EN).get_data(as_text=True)
    assert "Set up two-step sign-in" in page and 'src="data:image/svg+xml' in page
    secret, uri = _shown_secret(page)
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp" and admin.email in unquote(parts.path)
    assert parse_qs(parts.query)["secret"] == [secret]
    # The same secret on every view of the page, until it is confirmed.
    assert _shown_secret(client.get("/login/two-step/setup").get_data(as_text=True))[0] == secret
    wrong = post_form(client, "/login/two-step/setup", {"code": _code(secret=two_step.new_secret())}, headers=EN)
    assert wrong.status_code == 422 and "This code is not right" in wrong.get_data(as_text=True)
    assert not _logged_in(client) and db_session.get(User, admin.id).totp_enabled_at is None
    done = post_form(client, "/login/two-step/setup", {"code": pyotp.TOTP(secret).now()})
    # Logged in, and shown the recovery codes once (tests/portal/test_recovery_codes.py), with the way on.
    assert done.status_code == 200 and 'id="recovery-codes"' in done.get_data(as_text=True) and _logged_in(client)
    admin = db_session.get(User, admin.id)
    assert admin.totp_secret == secret and admin.totp_enabled_at is not None
    # From now on the code is asked at every sign-in.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    again = post_form(client, "/login", {"email": admin.email, "password": PASSWORD})
    assert again.headers["Location"] == "/login/two-step"


def test_a_fund_admin_session_without_a_second_factor_is_sent_to_set_it_up(client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN, language="en")
    login(client, admin.email)
    assert client.get("/admin/requests").status_code == 200
    admin.totp_secret = admin.totp_enabled_at = None  # as for a session older than the rule
    db_session.flush()
    response = client.get("/admin/requests")
    assert response.status_code == 302 and response.headers["Location"] == "/account/two-step"
    assert client.get("/api/v1/me").status_code == 200  # the API is judged on its own (no token without the code)
    assert "Set up two-step sign-in" in client.get("/account/two-step", headers=EN).get_data(as_text=True)


def test_anyone_may_turn_it_on_and_off_from_their_account(app, client, db_session):
    person = make_user(db_session, Role.PROVIDER_ADMIN, language="en")
    login(client, person.email)
    assert "/account/two-step" in client.get("/account/password").get_data(as_text=True)
    page = client.get("/account/two-step", headers=EN).get_data(as_text=True)
    secret, _uri = _shown_secret(page)
    on = post_form(client, "/account/two-step", {"code": pyotp.TOTP(secret).now()})
    assert on.status_code == 200 and 'id="recovery-codes"' in on.get_data(as_text=True)
    assert db_session.get(User, person.id).totp_enabled_at is not None
    assert "Two-step sign-in is on since" in client.get("/account/two-step", headers=EN).get_data(as_text=True)
    # The API now wants the code too.
    assert _token(app.test_client(), person.email).get_json()["error"]["code"] == "otp_required"
    # Turning it off takes a fresh code (the one used to turn it on is spent).
    assert post_form(client, "/account/two-step/off", {"code": pyotp.TOTP(secret).now()}).status_code == 422
    off = post_form(client, "/account/two-step/off", {"code": two_step.code_at(secret, two_step.time_step(utcnow()) + 1)})
    assert off.status_code == 302
    person = db_session.get(User, person.id)
    assert person.totp_secret is None and person.totp_enabled_at is None
    assert _token(app.test_client(), person.email).status_code == 201


def test_a_fund_admin_cannot_turn_it_off(client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN, language="en")
    login(client, admin.email)
    page = client.get("/account/two-step", headers=EN).get_data(as_text=True)
    assert "cannot turn it off" in page and "/account/two-step/off" not in page
    assert post_form(client, "/account/two-step/off", {"code": one_time_code(client.application, admin.email)},
                     token_from="/account/two-step").status_code == 403
    assert db_session.get(User, admin.id).totp_enabled_at is not None


# --- one sign-in counter, that an attacker elsewhere cannot spend ----------------------------------------------

ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}


def test_web_and_api_share_one_counter_per_account(client, db_session):
    person = make_user(db_session)
    codes = [post_form(client, "/login", {"email": person.email, "password": "wrong guess!"}).status_code
             for _ in range(3)]
    codes += [client.post("/api/v1/auth/token", json={"email": person.email, "password": "wrong guess!"}).status_code
              for _ in range(2)]
    assert codes == [422, 422, 422, 401, 401]
    assert _token(client, person.email).status_code == 429
    assert login(client, person.email).status_code == 429


def test_wrong_passwords_from_elsewhere_do_not_lock_the_owner_out(client, db_session):
    person = make_user(db_session)
    attempts = [client.post("/api/v1/auth/token", json={"email": person.email, "password": "guess!"},
                            environ_base=ATTACKER).status_code for _ in range(6)]
    attempts.append(post_form(client, "/login", {"email": person.email, "password": "guess!"},
                              environ_base=ATTACKER).status_code)
    assert attempts == [401] * 5 + [429, 429]
    assert login(client, person.email).status_code == 302  # the owner, from their own address


def test_signing_in_successfully_uses_up_nothing(app, db_session):
    person = make_user(db_session)
    for _ in range(7):
        assert login(app.test_client(), person.email).status_code == 302


def test_wrong_codes_count_against_the_account(client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN)
    bad = "000000" if _code() != "000000" else "111111"
    post_form(client, "/login", {"email": admin.email, "password": PASSWORD})
    codes = [post_form(client, "/login/two-step", {"code": bad}).status_code for _ in range(5)]
    assert codes == [422] * 5
    assert post_form(client, "/login/two-step", {"code": _code()}).status_code == 429
    assert _token(client, admin.email, otp=_code()).status_code == 429


@pytest.mark.parametrize("role", [Role.BENEFICIARY, Role.EMPLOYER, Role.COACH])
def test_other_accounts_sign_in_with_their_password_alone(client, db_session, role):
    person = make_user(db_session, role)
    assert post_form(client, "/login", {"email": person.email, "password": PASSWORD}).headers["Location"] == "/"
