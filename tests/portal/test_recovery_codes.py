"""Recovery codes: made when two-step sign-in is turned on, shown once, stored hashed, each usable once in place of
a code from the app (web and API); new ones on request; the way back in for someone who lost their phone."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import pyotp
from sqlalchemy import func, select

from portal.auth import recovery, two_step
from portal.auth.models import RecoveryCode, User
from portal.clock import utcnow
from portal.permissions import Role
from tests.support.factories import PASSWORD, TOTP_SECRET, make_user
from tests.support.web import login, one_time_code, post_form

EN = {"Accept-Language": "en"}
SHAPE = re.compile(r"^[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}$")


def _codes_on(page: str) -> list[str]:
    listed = re.search(r'<ol class="recovery-codes" id="recovery-codes">(.*?)</ol>', page, re.DOTALL)
    assert listed, "no recovery codes on the page"
    return re.findall(r"<code>([^<]+)</code>", listed.group(1))


def _make_codes(db_session, user: User) -> list[str]:
    codes = recovery.replace_codes(db_session, user, now=utcnow())
    db_session.flush()
    return codes


def _stored(db_session, user_id: int, *, unused_only: bool = False) -> int:
    query = select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user_id)
    if unused_only:
        query = query.where(RecoveryCode.used_at.is_(None))
    return db_session.scalar(query)


def _token(client, email: str, otp: str | None = None):
    return client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD, "otp": otp})


def _logged_in(client) -> bool:
    return client.get("/account/password").status_code == 200


# --- the codes themselves --------------------------------------------------------------------------------------


def test_ten_codes_of_the_expected_shape_stored_only_as_argon2_hashes(db_session):
    person = make_user(db_session, Role.FUND_ADMIN)
    codes = _make_codes(db_session, person)
    assert len(codes) == recovery.HOW_MANY == 10 and len(set(codes)) == 10
    assert all(SHAPE.match(code) for code in codes)
    rows = db_session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == person.id)).all()
    assert len(rows) == 10
    for row in rows:
        assert row.code_hash.startswith("$argon2id$")
        assert not any(code.replace("-", "") in row.code_hash for code in codes)


def test_what_people_type_is_read_leniently_and_garbage_is_no_code():
    assert recovery.clean("7KQ2 MX9D-p4ft") == "7kq2mx9dp4ft"
    for text in (None, "", "123456", "7kq2-mx9d-p4f", "7kq2-mx9d-p4ft-2", "0kq2-mx9d-p4ft", "7kq2-mx9d-p4f\u00e9"):
        assert recovery.clean(text) is None


def test_each_code_works_once_and_only_for_its_account(db_session):
    person, other = make_user(db_session, Role.FUND_ADMIN), make_user(db_session, Role.FUND_ADMIN)
    codes = _make_codes(db_session, person)
    _make_codes(db_session, other)
    now = utcnow()
    assert not recovery.use_code(db_session, other, codes[0], now=now)
    assert recovery.use_code(db_session, person, codes[0].upper().replace("-", " "), now=now)
    assert not recovery.use_code(db_session, person, codes[0], now=now)
    assert recovery.codes_left(db_session, person.id) == 9
    assert two_step.check_second_factor(db_session, person, codes[1], now=now) == "recovery"
    assert two_step.check_second_factor(db_session, person, codes[1], now=now) is None


# --- shown once, when two-step sign-in is turned on ------------------------------------------------------------


def test_turning_it_on_shows_the_codes_once_to_print_or_download(client, db_session):
    person = make_user(db_session, Role.COACH, language="en")
    login(client, person.email)
    secret = re.search(r'id="two-step-secret">([A-Z2-7]+)<', client.get("/account/two-step").get_data(as_text=True))
    assert secret
    shown = post_form(client, "/account/two-step", {"code": pyotp.TOTP(secret.group(1)).now()}, headers=EN)
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "Two-step sign-in is on." in page and "the only time" in page
    codes = _codes_on(page)
    assert len(codes) == 10 and all(SHAPE.match(code) for code in codes)
    download = re.search(r'href="(data:text/plain;charset=utf-8,[^"]+)"[^>]*download="recovery-codes.txt"', page)
    assert download and all(code in unquote(download.group(1)) for code in codes)
    assert shown.headers["Cache-Control"] == "no-store"
    # Never again: the account's page only counts them.
    status = client.get("/account/two-step", headers=EN).get_data(as_text=True)
    assert not any(code in status for code in codes)
    assert "You have 10 unused recovery codes" in status
    assert _stored(db_session, person.id) == 10


# --- in place of the app's code ---------------------------------------------------------------------------------


def test_a_fund_admin_who_lost_the_phone_signs_in_with_a_recovery_code_and_moves_to_a_new_app(app, client,
                                                                                              db_session):
    admin = make_user(db_session, Role.FUND_ADMIN, language="en")
    codes = _make_codes(db_session, admin)
    first = post_form(client, "/login?next=/admin/requests", {"email": admin.email, "password": PASSWORD})
    assert first.headers["Location"] == "/login/two-step"
    assert "/login/two-step/recovery" in client.get("/login/two-step", headers=EN).get_data(as_text=True)
    page = client.get("/login/two-step/recovery", headers=EN).get_data(as_text=True)
    field = re.search(r"<input[^>]*name=\"code\"[^>]*>", page)
    assert field and "inputmode" not in field.group(0)  # letters, not a numeric keypad
    wrong = post_form(client, "/login/two-step/recovery", {"code": "2222-2222-2222"}, headers=EN)
    assert wrong.status_code == 422 and "This code is not right" in wrong.get_data(as_text=True)
    assert not _logged_in(client)

    done = post_form(client, "/login/two-step/recovery", {"code": codes[3]}, headers=EN)
    # Logged in, and sent where a new app is set up rather than where they were going.
    assert done.status_code == 302 and done.headers["Location"] == "/account/two-step"
    status = client.get("/account/two-step", headers=EN).get_data(as_text=True)
    assert "You signed in with a recovery code: 9 are left." in status and _logged_in(client)
    assert "You have 9 unused recovery codes" in status

    # The same code is spent, for anyone.
    other = app.test_client()
    post_form(other, "/login", {"email": admin.email, "password": PASSWORD})
    assert post_form(other, "/login/two-step/recovery", {"code": codes[3]}).status_code == 422

    # A new app: the password and a code from it. The old app's codes stop working; the recovery codes stay.
    new_page = client.get("/account/two-step/new-app", headers=EN).get_data(as_text=True)
    new_secret = re.search(r'id="two-step-secret">([A-Z2-7]+)<', new_page).group(1)
    refused = post_form(client, "/account/two-step/new-app",
                        {"password": "not my password", "code": pyotp.TOTP(pyotp.random_base32()).now()}, headers=EN)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "This is not your current password." in body and "Check that your app holds the key" in body
    assert db_session.get(User, admin.id).totp_secret == TOTP_SECRET
    moved = post_form(client, "/account/two-step/new-app", {"password": PASSWORD,
                                                            "code": pyotp.TOTP(new_secret).now()})
    assert moved.status_code == 302 and moved.headers["Location"] == "/account/two-step"
    admin = db_session.get(User, admin.id)
    assert admin.totp_secret == new_secret and two_step.required(admin) and two_step.is_on(admin)
    assert recovery.codes_left(db_session, admin.id) == 9
    old_code = two_step.code_at(TOTP_SECRET, two_step.time_step(utcnow()) + 1)
    assert _token(app.test_client(), admin.email, old_code).status_code == 401
    assert _token(app.test_client(), admin.email, two_step.code_at(new_secret, two_step.time_step(utcnow()) + 1)
                  ).status_code == 201


def test_the_app_code_form_takes_a_recovery_code_too(client, db_session):
    person = make_user(db_session, Role.PROVIDER_ADMIN, two_step=True)
    codes = _make_codes(db_session, person)
    post_form(client, "/login", {"email": person.email, "password": PASSWORD})
    done = post_form(client, "/login/two-step", {"code": codes[0].upper().replace("-", "")})
    assert done.status_code == 302 and _logged_in(client)


def test_the_api_takes_a_recovery_code_as_otp_once(client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN)
    codes = _make_codes(db_session, admin)
    assert _token(client, admin.email, "2222-2222-2222").get_json()["error"]["code"] == "otp_required"
    granted = _token(client, admin.email, codes[5])
    assert granted.status_code == 201 and granted.get_json()["token"]
    again = _token(client, admin.email, codes[5])
    assert again.status_code == 401 and again.get_json()["error"]["code"] == "otp_required"
    assert _token(client, admin.email, codes[6].replace("-", "")).status_code == 201
    assert recovery.codes_left(db_session, admin.id) == 8
    malformed = _token(client, admin.email, "abcd-efgh")
    assert malformed.status_code == 422 and "otp" in malformed.get_json()["error"]["fields"]


def test_an_account_without_two_step_has_no_use_for_a_recovery_code(db_session):
    person = make_user(db_session)
    codes = _make_codes(db_session, person)  # left over, e.g. from before it was turned off by hand
    assert two_step.check_second_factor(db_session, person, codes[0], now=utcnow()) is None


# --- new codes, and turning it off ------------------------------------------------------------------------------


def test_new_codes_take_a_right_code_and_void_the_old_ones(app, client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN, language="en")
    old = _make_codes(db_session, admin)
    login(client, admin.email)
    wrong = post_form(client, "/account/two-step/recovery-codes", {"new_codes-code": "000000"},
                      token_from="/account/two-step", headers=EN)
    assert wrong.status_code == 422 and "This code is not right" in wrong.get_data(as_text=True)
    assert _stored(db_session, admin.id) == 10 and recovery.use_code(db_session, admin, old[0], now=utcnow())
    made = post_form(client, "/account/two-step/recovery-codes",
                     {"new_codes-code": one_time_code(app, admin.email)}, token_from="/account/two-step", headers=EN)
    new = _codes_on(made.get_data(as_text=True))
    assert made.status_code == 200 and len(new) == 10 and not set(new) & set(old)
    assert "Two-step sign-in is on." not in made.get_data(as_text=True)
    assert _stored(db_session, admin.id) == 10
    assert not recovery.use_code(db_session, admin, old[1], now=utcnow())
    assert recovery.use_code(db_session, admin, new[1], now=utcnow())


def test_no_codes_left_is_said_plainly(client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN, language="en")  # made with a secret only, as by create-user
    login(client, admin.email)
    page = client.get("/account/two-step", headers=EN).get_data(as_text=True)
    assert "You have no recovery code left" in page and 'name="new_codes-code"' in page


def test_turning_it_off_removes_the_codes(client, db_session):
    person = make_user(db_session, Role.EMPLOYER, two_step=True)
    codes = _make_codes(db_session, person)
    login(client, person.email)
    off = post_form(client, "/account/two-step/off", {"code": codes[2]}, token_from="/account/two-step")
    assert off.status_code == 302 and _stored(db_session, person.id) == 0
    person = db_session.get(User, person.id)
    assert person.totp_secret is None and not two_step.is_on(person)


def test_a_fund_admin_keeps_the_obligation_whatever_the_codes(client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN, language="en")
    codes = _make_codes(db_session, admin)
    login(client, admin.email)
    assert post_form(client, "/account/two-step/off", {"code": codes[0]},
                     token_from="/account/two-step").status_code == 403
    assert two_step.is_on(db_session.get(User, admin.id)) and _stored(db_session, admin.id, unused_only=True) == 10
    # And without the app or a code, nothing opens: the password alone still gets no token.
    stranger = client.application.test_client()
    assert _token(stranger, admin.email).get_json()["error"]["code"] == "otp_required"
    assert urlsplit(post_form(stranger, "/login",
                              {"email": admin.email, "password": PASSWORD}).headers["Location"]).path \
        == "/login/two-step"
