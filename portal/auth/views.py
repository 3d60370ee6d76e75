"""Login (with its second step for accounts with two-step sign-in: a code from the app or a recovery code, and a
fund administrator's first set-up), logout, e-mail confirmation, password reset and change. The account's own
two-step pages are in ``portal.auth.two_step_views``, on this blueprint."""

from __future__ import annotations

import secrets
from urllib.parse import quote

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import recovery, services, two_step
from portal.auth.emails import queue_confirmation, queue_password_reset
from portal.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    RecoveryCodeForm,
    ResendConfirmationForm,
    ResetPasswordForm,
    TwoStepCodeForm,
)
from portal.auth.models import User
from portal.auth.ratelimits import (
    PENDING_EMAIL_KEY,
    confirmation_resend_limits,
    login_limits,
    mail_limits,
)
from portal.auth.session_start import fresh_session
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
    """A fresh session id at each step of a login (no fixation): ``portal.auth.session_start``."""
    fresh_session()


def _start_session(user: User) -> None:
    _fresh_session()
    login_user(user)
    user.last_login_at = utcnow()
    commit()


def _log_in(user: User, target: str | None, message: str | None = None,  # type: ignore[no-untyped-def]
            category: str = "success"):
    _start_session(user)
    if message:
        flash(message, category)
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


def secret_to_enrol() -> str:
    """The new secret offered to this session's person until they confirm it (kept server-side, in the session)."""
    secret = session.get(ENROL_SECRET_KEY)
    if not isinstance(secret, str) or not secret:
        secret = session[ENROL_SECRET_KEY] = two_step.new_secret()
    return secret


def new_app_code_wrong() -> str:
    return _("This code is not right. Check that your app holds the key shown here, and enter the code it shows now.")


def enrol(user: User, form: TwoStepCodeForm) -> list[str] | None:
    """Turn two-step sign-in on if the code shows the person's app holds the offered secret: the recovery codes."""
    if not form.validate_on_submit():
        return None
    codes = two_step.confirm_and_turn_on(db.session, user, secret_to_enrol(), form.code.data, now=utcnow())
    if codes:
        session.pop(ENROL_SECRET_KEY, None)
        return codes
    form.code.errors = [new_app_code_wrong()]
    return None


def setup_page(user: User, form: TwoStepCodeForm, *, new_app: bool = False):  # type: ignore[no-untyped-def]
    secret = secret_to_enrol()
    uri = two_step.provisioning_uri(secret, user.email)
    return render_template("auth/two_step_setup.html", form=form, secret=secret, uri=uri,
                           qr=two_step.qr_data_uri(uri), required=two_step.required(user), new_app=new_app,
                           during_login=not current_user.is_authenticated), 422 if form.errors else 200


def codes_page(user: User, codes: list[str], continue_to: str, *,  # type: ignore[no-untyped-def]
               turned_on: bool = False):
    """The recovery codes, in clear this once: to print, or to download as a text file (a data: link, so the
    portal keeps no readable copy anywhere)."""
    text = "\r\n".join([_("Return to Work Fund: recovery codes for %(email)s", email=user.email),
                         _("Each code works once, in place of a code from your authenticator app."), "", *codes, ""])
    return render_template("auth/recovery_codes.html", codes=codes, continue_to=continue_to, turned_on=turned_on,
                           download="data:text/plain;charset=utf-8," + quote(text))


@bp.route("/login/two-step", methods=["GET", "POST"])
@login_limits
def two_step_code():  # type: ignore[no-untyped-def]
    return _second_step(TwoStepCodeForm, "auth/two_step_code.html")


@bp.route("/login/two-step/recovery", methods=["GET", "POST"])
@login_limits
def two_step_recovery():  # type: ignore[no-untyped-def]
    """The second step with a recovery code, for someone without their authenticator app."""
    return _second_step(RecoveryCodeForm, "auth/two_step_recovery.html")


def _second_step(form_class: type[TwoStepCodeForm | RecoveryCodeForm], template: str):  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    user = _pending_user()
    if user is None:
        return _start_again()
    if not two_step.is_on(user):
        return redirect(url_for("auth.two_step_setup"))
    form = form_class()
    if form.validate_on_submit():
        used = two_step.check_second_factor(db.session, user, form.code.data, now=utcnow())
        if used == "recovery":  # the app may be lost: straight to where it is set up again
            left = recovery.codes_left(db.session, user.id)
            return _log_in(user, url_for("auth.account_two_step"), ngettext(
                "You signed in with a recovery code: %(num)d is left. If your authenticator app is lost, set up a "
                "new one here, and make new recovery codes.",
                "You signed in with a recovery code: %(num)d are left. If your authenticator app is lost, set up a "
                "new one here, and make new recovery codes.", left), "warning")
        if used:
            return _log_in(user, session[PENDING_KEY].get("next"))
        form.code.errors = [_("This code is not right, or it was used already.")]
    return render_template(template, form=form), 422 if form.errors else 200


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
    codes = enrol(user, form)
    if codes:
        target = safe_next(session[PENDING_KEY].get("next"))
        _start_session(user)
        return codes_page(user, codes, target, turned_on=True)
    return setup_page(user, form)


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
@confirmation_resend_limits
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
