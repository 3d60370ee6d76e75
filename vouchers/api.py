"""JSON API of the vouchers package (API.md)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from portal.auth.emails import queue_confirmation
from portal.auth.schemas import ApiErrorSchema
from portal.clock import utcnow
from portal.db import db
from portal.mail import commit
from vouchers import services
from vouchers.schemas import BeneficiaryRegistrationSchema, EmployerRegistrationSchema, RegisteredAccountSchema

blp = Blueprint("vouchers_api", __name__, description="Beneficiaries, employers and vouchers")


@blp.route("/beneficiaries", methods=["POST"])
@blp.arguments(BeneficiaryRegistrationSchema)
@blp.response(201, RegisteredAccountSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="E-mail or national number already registered")
@blp.alt_response(422, schema=ApiErrorSchema, description="Invalid input, e.g. a wrong NISS")
def register_beneficiary(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Self-registration of a beneficiary. The account must confirm its e-mail address."""
    user = services.register_beneficiary(db.session, services.BeneficiaryRegistration(**data), now=utcnow())
    queue_confirmation(db.session, user)
    commit()
    return user


@blp.route("/employers", methods=["POST"])
@blp.arguments(EmployerRegistrationSchema)
@blp.response(201, RegisteredAccountSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="E-mail or enterprise already registered")
@blp.alt_response(422, schema=ApiErrorSchema, description="Invalid input, e.g. a wrong enterprise number or IBAN")
def register_employer(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Registration of an employer and its first user."""
    user = services.register_employer(db.session, services.EmployerRegistration(**data), now=utcnow())
    queue_confirmation(db.session, user)
    commit()
    return user
