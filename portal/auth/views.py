"""Login (with its second step for accounts with two-step sign-in), logout, e-mail confirmation, password reset
and change, turning two-step sign-in on and off."""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import services, two_step
from portal.auth.emails import queue_confirmation, queue_password_reset
from portal.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ResendConfirmationForm,
    ResetPasswordForm,
    TwoStepCodeForm,
)
from portal.auth.models import User
from portal.auth.ratelimits import PENDING_EMAIL_KEY, login_limits, mail_limits
from portal.clock import utcnow
from portal.db import db
from portal.errors import ValidationFailed
from portal.mail import commit
from portal.web import attach_errors, safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data or "", form.password.data or "", now=utcnow())
        if user is None:
            form.form_errors.append(_("The e-mail address or the password is not right."))
        elif two_step.is_on(user) or two_step.required(user):
            # The password was right; the session is not logged in until the second step is done.
            _fresh_session()
            session[PENDING_KEY] = {"uid": user.id, "token": user.session_token,
                                    "since": int(utcnow().timestamp()), "next": request.args.get("next")}
            session[PENDING_EMAIL_KEY] = user.email
            return redirect(url_for("auth.two_step_code" if two_step.is_on(user) else "auth.two_step_setup"))
        else:
            return _log_in(user, request.args.get("next"))
    return render_template("auth/login.html", form=form), 200 if not form.errors and not form.form_errors else 422


# --- the second step ------------------------------------------------------------------------------------------

PENDING_KEY = "two_step"
PENDING_SECONDS = 600
ENROL_SECRET_KEY = "two_step_new_secret"


def _fresh_session() -> None:
    """A fresh session id at each step of a login (no fixation); the visitor's language stays."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _log_in(user: User, target: str | None, message: str | None = None):  # type: ignore[no-untyped-def]
    _fresh_session()
    login_user(user)
    user.last_login_at = utcnow()
    commit()
    if message:
        flash(message, "success")
    return redirect(safe_next(target))


def _pending_user() -> User | None:
    """The account whose password was right and that still owes its second step (for 10 minutes at most)."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or utcnow().timestamp() - pending.get("since", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("uid"))
    if user is None or not user.is_active or not secrets.compare_digest(user.session_token, str(pending.get("token"))):
        return None
    return user


def _start_again():  # type: ignore[no-untyped-def]
    _fresh_session()
    flash(_("Please log in again: the page waited too long."), "error")
    return redirect(url_for("auth.login"))


def _secret_to_enrol() -> str:
    """The new secret offered to this session's person until they confirm it (kept server-side, in the session)."""
    secret = session.get(ENROL_SECRET_KEY)
    if not isinstance(secret, str) or not secret:
        secret = session[ENROL_SECRET_KEY] = two_step.new_secret()
    return secret


def _enrol(user: User, form: TwoStepCodeForm) -> bool:
    """Turn two-step sign-in on if the code shows the person's app holds the offered secret."""
    if not form.validate_on_submit():
        return False
    if two_step.confirm_and_turn_on(db.session, user, _secret_to_enrol(), form.code.data, now=utcnow()):
        session.pop(ENROL_SECRET_KEY, None)
        return True
    form.code.errors = [_("This code is not right. Check that your app holds the key shown here, "
                          "and enter the code it shows now.")]
    return False


def _setup_page(user: User, form: TwoStepCodeForm):  # type: ignore[no-untyped-def]
    secret = _secret_to_enrol()
    uri = two_step.provisioning_uri(secret, user.email)
    return render_template("auth/two_step_setup.html", form=form, secret=secret, uri=uri,
                           qr=two_step.qr_data_uri(uri), required=two_step.required(user),
                           during_login=not current_user.is_authenticated), 422 if form.errors else 200


@bp.route("/login/two-step", methods=["GET", "POST"])
@login_limits
def two_step_code():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    user = _pending_user()
    if user is None:
        return _start_again()
    if not two_step.is_on(user):
        return redirect(url_for("auth.two_step_setup"))
    form = TwoStepCodeForm()
    if form.validate_on_submit():
        if two_step.check_code(db.session, user, form.code.data, now=utcnow()):
            return _log_in(user, session[PENDING_KEY].get("next"))
        form.code.errors = [_("This code is not right, or it was used already. Enter the code your app shows now.")]
    return render_template("auth/two_step_code.html", form=form), 422 if form.errors else 200


@bp.route("/login/two-step/setup", methods=["GET", "POST"])
@login_limits
def two_step_setup():  # type: ignore[no-untyped-def]
    """A fund administrator without a second factor sets one up before anything else."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.account_two_step"))
    user = _pending_user()
    if user is None:
        return _start_again()
    if two_step.is_on(user):
        return redirect(url_for("auth.two_step_code"))
    form = TwoStepCodeForm()
    if _enrol(user, form):
        return _log_in(user, session[PENDING_KEY].get("next"), _("Two-step sign-in is on."))
    return _setup_page(user, form)


@bp.route("/account/two-step", methods=["GET", "POST"])
@login_required
def account_two_step():  # type: ignore[no-untyped-def]
    user = db.session.get(User, current_user.id)
    assert user is not None
    if two_step.is_on(user):
        return render_template("auth/two_step_status.html", form=TwoStepCodeForm(formdata=None),
                               required=two_step.required(user), since=user.totp_enabled_at)
    form = TwoStepCodeForm()
    if _enrol(user, form):
        commit()
        flash(_("Two-step sign-in is on."), "success")
        return redirect(url_for("auth.account_two_step"))
    return _setup_page(user, form)


@bp.route("/account/two-step/off", methods=["POST"])
@login_limits  # wrong codes count as failed sign-ins: a stolen session cannot try them all
@login_required
def turn_two_step_off():  # type: ignore[no-untyped-def]
    user = db.session.get(User, current_user.id)
    assert user is not None
    if two_step.required(user):
        abort(403)
    if not two_step.is_on(user):
        return redirect(url_for("auth.account_two_step"))
    form = TwoStepCodeForm()
    if form.validate_on_submit():
        if two_step.check_code(db.session, user, form.code.data, now=utcnow()):
            two_step.turn_off(db.session, user, now=utcnow())
            commit()
            flash(_("Two-step sign-in is off."), "success")
            return redirect(url_for("auth.account_two_step"))
        form.code.errors = [_("This code is not right, or it was used already. Enter the code your app shows now.")]
    return render_template("auth/two_step_status.html", form=form, required=False, since=user.totp_enabled_at), 422


@bp.before_app_request
def fund_admins_set_up_two_step_first():  # type: ignore[no-untyped-def]
    """A fund administrator logged in without a second factor (a session older than the rule) sets one up first."""
    endpoint = request.endpoint or ""
    if ("_user_id" not in session or request.path.startswith("/api/") or endpoint.startswith("auth.")
            or endpoint in ("static", "main.set_language")):
        return None
    if current_user.is_authenticated and two_step.required(current_user) and not two_step.is_on(current_user):
        return redirect(url_for("auth.account_two_step"))
    return None


@bp.route("/logout", methods=["POST"])
def logout():  # type: ignore[no-untyped-def]
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You are logged out."), "success")
    return redirect(url_for("main.home"))


@bp.route("/confirm/<token>")
def confirm(token: str):  # type: ignore[no-untyped-def]
    user = services.confirm_email(
        db.session, current_app.config["SECRET_KEY"], token,
        max_age_hours=current_app.config["EMAIL_TOKEN_HOURS"], now=utcnow(),
    )
    if user is None:
        flash(_("This confirmation link is not valid or has expired. Log in to get a new one."), "error")
        return redirect(url_for("auth.login"))
    commit()
    flash(_("Thank you: your e-mail address is confirmed."), "success")
    return redirect(url_for("main.home"))


@bp.route("/confirm/resend", methods=["POST"])
@login_required
def resend_confirmation():  # type: ignore[no-untyped-def]
    form = ResendConfirmationForm()
    if form.validate_on_submit() and not current_user.is_confirmed:
        queue_confirmation(db.session, current_user)
        commit()
        flash(_("We sent you a new confirmation e-mail."), "success")
    return redirect(url_for("main.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@mail_limits
def forgot_password():  # type: ignore[no-untyped-def]
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = db.session.scalar(User.by_email(form.email.data or ""))
        if user is not None and user.is_active:
            queue_password_reset(db.session, user)
            commit()
        # The same answer whether or not the address has an account.
        flash(_("If an account exists for this address, we sent it a link to choose a new password."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):  # type: ignore[no-untyped-def]
    user = services.user_for_reset_token(
        db.session, current_app.config["SECRET_KEY"], token,
        max_age_minutes=current_app.config["RESET_TOKEN_MINUTES"],
    )
    if user is None:
        flash(_("This link is not valid or has expired. Ask for a new one."), "error")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(db.session, user, form.password.data or "", now=utcnow())
        except ValidationFailed as error:
            attach_errors(form, error)
        else:
            if user.confirmed_at is None:  # the link proves the address
                user.confirmed_at = utcnow()
            commit()
            logout_user()
            session.clear()
            flash(_("Your password is changed. You can log in with it now."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():  # type: ignore[no-untyped-def]
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = db.session.get(User, current_user.id)
        assert user is not None
        if services.authenticate(db.session, user.email, form.current_password.data or "", now=utcnow()) is None:
            form.current_password.errors = [_("This is not your current password.")]
        else:
            try:
                services.change_password(db.session, user, form.password.data or "", now=utcnow())
            except ValidationFailed as error:
                attach_errors(form, error)
            else:
                commit()
                # Every other session is revoked; this one logs in again with the new token.
                login_user(user)
                flash(_("Your password is changed. You were logged out everywhere else."), "success")
                return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)
