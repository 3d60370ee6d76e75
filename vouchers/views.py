"""Registration pages for beneficiaries and employers."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from portal.auth.emails import queue_confirmation
from portal.clock import utcnow
from portal.db import db
from portal.errors import DomainError
from portal.mail import commit
from portal.web import attach_errors
from vouchers import services
from vouchers.forms import BeneficiaryRegistrationForm, EmployerRegistrationForm

bp = Blueprint("vouchers", __name__)


@bp.route("/register", methods=["GET", "POST"])
def register_beneficiary():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = BeneficiaryRegistrationForm()
    if form.validate_on_submit():
        data = services.BeneficiaryRegistration(
            email=form.email.data or "", password=form.password.data or "", first_name=form.first_name.data or "",
            last_name=form.last_name.data or "", niss=form.niss.data or "", language=form.language.data or "fr",
        )
        try:
            user = services.register_beneficiary(db.session, data, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            attach_errors(form, error)
        else:
            queue_confirmation(db.session, user)
            commit()
            login_user(user)
            flash(_("Welcome! Your account is created. We sent you an e-mail to confirm your address."), "success")
            return redirect(url_for("main.home"))
    status = 422 if form.is_submitted() else 200
    return render_template("vouchers/register_beneficiary.html", form=form), status


@bp.route("/register/employer", methods=["GET", "POST"])
def register_employer():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = EmployerRegistrationForm()
    if form.validate_on_submit():
        data = services.EmployerRegistration(
            email=form.email.data or "", password=form.password.data or "",
            company_name=form.company_name.data or "", enterprise_number=form.enterprise_number.data or "",
            onss_number=form.onss_number.data or "", address=form.address.data or "", phone=form.phone.data or "",
            iban=form.iban.data or "", first_name=form.first_name.data or "", last_name=form.last_name.data or "",
            language=form.language.data or "fr",
        )
        try:
            user = services.register_employer(db.session, data, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            attach_errors(form, error)
        else:
            queue_confirmation(db.session, user)
            commit()
            login_user(user)
            flash(_("Welcome! Your company is registered. We sent you an e-mail to confirm your address."), "success")
            return redirect(url_for("main.home"))
    status = 422 if form.is_submitted() else 200
    return render_template("vouchers/register_employer.html", form=form), status
