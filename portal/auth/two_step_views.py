"""The account's two-step sign-in pages: turning it on (and seeing the recovery codes once), making new recovery
codes, moving to a new phone or app, turning it off. Its routes are on the ``auth`` blueprint; the pages of the
sign-in itself, and what both share, are in ``portal.auth.views``."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.auth import recovery, two_step
from portal.auth.forms import NewAppForm, TwoStepCodeForm
from portal.auth.models import User
from portal.auth.passwords import verify_password
from portal.auth.ratelimits import login_limits
from portal.auth.views import (
    ENROL_SECRET_KEY,
    bp,
    codes_page,
    enrol,
    new_app_code_wrong,
    secret_to_enrol,
    setup_page,
)
from portal.clock import utcnow
from portal.db import db
from portal.mail import commit


@bp.route("/account/two-step", methods=["GET", "POST"])
@login_required
def account_two_step():  # type: ignore[no-untyped-def]
    user = db.session.get(User, current_user.id)
    assert user is not None
    if two_step.is_on(user):
        return _status_page(user)
    form = TwoStepCodeForm()
    codes = enrol(user, form)
    if codes:
        commit()
        return codes_page(user, codes, url_for("auth.account_two_step"), turned_on=True)
    return setup_page(user, form)


def _status_page(user: User, *, off_form: TwoStepCodeForm | None = None,  # type: ignore[no-untyped-def]
                 codes_form: TwoStepCodeForm | None = None):
    return render_template(
        "auth/two_step_status.html", required=two_step.required(user), since=user.totp_enabled_at,
        form=off_form or TwoStepCodeForm(formdata=None), codes_form=codes_form or _new_codes_form(formdata=None),
        codes_left=recovery.codes_left(db.session, user.id), codes_made_at=recovery.codes_made_at(db.session, user.id),
    ), 422 if (off_form and off_form.errors) or (codes_form and codes_form.errors) else 200


def _new_codes_form(**kwargs) -> TwoStepCodeForm:  # type: ignore[no-untyped-def]
    return TwoStepCodeForm(prefix="new_codes", **kwargs)


def _wrong_code() -> list[str]:
    return [_("This code is not right, or it was used already. Enter the code your app shows now.")]


@bp.route("/account/two-step/recovery-codes", methods=["POST"])
@login_limits  # wrong codes count as failed sign-ins, as for turning it off
@login_required
def new_recovery_codes():  # type: ignore[no-untyped-def]
    """New recovery codes (the old ones stop working), after a code that proves the second factor."""
    user = db.session.get(User, current_user.id)
    assert user is not None
    if not two_step.is_on(user):
        return redirect(url_for("auth.account_two_step"))
    form = _new_codes_form()
    if form.validate_on_submit():
        if two_step.check_second_factor(db.session, user, form.code.data, now=utcnow()):
            codes = recovery.replace_codes(db.session, user, now=utcnow())
            commit()
            return codes_page(user, codes, url_for("auth.account_two_step"))
        form.code.errors = _wrong_code()
    return _status_page(user, codes_form=form)


@bp.route("/account/two-step/new-app", methods=["GET", "POST"])
@login_limits
@login_required
def two_step_new_app():  # type: ignore[no-untyped-def]
    """Two-step sign-in moved to a new phone or app (the old one lost or replaced): the password and a code from
    the new app; the recovery codes stay."""
    user = db.session.get(User, current_user.id)
    assert user is not None
    if not two_step.is_on(user):
        return redirect(url_for("auth.account_two_step"))
    form = NewAppForm()
    if form.validate_on_submit():
        now, secret = utcnow(), secret_to_enrol()
        if not verify_password(user.password_hash, form.password.data or ""):
            form.password.errors = [_("This is not your current password.")]
        if two_step.matching_step(secret, form.code.data, now=now) is None:
            form.code.errors = [new_app_code_wrong()]
        if not form.errors and two_step.move_to_new_app(db.session, user, secret, form.code.data, now=now):
            session.pop(ENROL_SECRET_KEY, None)
            commit()
            flash(_("Your new authenticator app is set up: from now on, use its codes. The old app's no longer work."),
                  "success")
            return redirect(url_for("auth.account_two_step"))
    return setup_page(user, form, new_app=True)


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
        if two_step.check_second_factor(db.session, user, form.code.data, now=utcnow()):
            two_step.turn_off(db.session, user, now=utcnow())
            commit()
            flash(_("Two-step sign-in is off."), "success")
            return redirect(url_for("auth.account_two_step"))
        form.code.errors = _wrong_code()
    return _status_page(user, off_form=form)


