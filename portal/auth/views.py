"""Login, logout, e-mail confirmation, password reset and change."""

from __future__ import annotations

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
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import services
from portal.auth.emails import queue_confirmation, queue_password_reset
from portal.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ResendConfirmationForm,
    ResetPasswordForm,
)
from portal.auth.models import User
from portal.auth.ratelimits import login_limits
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
        else:
            lang = session.get("lang")
            session.clear()  # a fresh session id on login: no fixation
            if lang:
                session["lang"] = lang
            login_user(user)
            commit()
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), 200 if not form.errors and not form.form_errors else 422


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
@login_limits
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
