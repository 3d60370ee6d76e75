"""Employer API before acting: registration (the same answer whatever is known), the confirmation e-mail again, and
the requests to act for a company with the code of the fund's letter."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from portal.api_views import endpoint
from portal.auth.ratelimits import registration_limits
from portal.clock import utcnow
from portal.db import db
from portal.errors import Conflict, json_error
from portal.mail import commit
from portal.permissions import Permission
from vouchers.employers.company_access import claims, domain, emails, registration
from vouchers.employers.company_access.limits import code_limits, resend_limits
from vouchers.employers.company_access.models import CLAIM_STATUSES
from vouchers.requests.schemas import EmployerRegistrationSchema

blp = Blueprint("employer_access_api", __name__, description="Employers: registration, and proving that one acts "
                                                             "for a company")

REGISTERED_MESSAGE = ("Check your mailbox: we sent an e-mail to the address given. Open its link to confirm the "
                      "address; the fund then sends a letter with a code to the company's registered office.")


class RegistrationAnswerSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["check_your_mailbox"]})
    message = fields.String(required=True)


class OwnershipClaimSchema(Schema):
    id = fields.Integer(required=True)
    employer_id = fields.Integer(required=True)
    company_name = fields.String(required=True)
    enterprise_number = fields.String(required=True, metadata={"description": "As 0403.170.701."})
    status = fields.String(required=True, metadata={
        "enum": [s for s in CLAIM_STATUSES if s != "replaced"] + ["expired"],
        "description": "`awaiting_email`: the account's address is not confirmed yet; `letter_due`: the fund "
                       "prepares the letter; `letter_sent`: type its code; `expired`: the code no longer works "
                       f"({domain.CODE_VALID_DAYS} days after sending), ask a new letter; `locked`: "
                       f"{domain.MAX_WRONG_CODES} wrong codes, ask a new letter; `proven`: the account acts for "
                       "the company; `withdrawn`: closed, the account acts for another company."})
    created_at = fields.DateTime(required=True)
    letter_sent_at = fields.DateTime(allow_none=True, required=True)
    expires_at = fields.DateTime(allow_none=True, required=True, metadata={
        "description": "Until when the code of the letter sent works."})
    attempts_left = fields.Integer(required=True)
    may_ask_new_letter = fields.Boolean(required=True)


class OwnershipClaimPageSchema(Schema):
    items = fields.List(fields.Nested(OwnershipClaimSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True, metadata={"description": "Always null: one page."})


class CodeSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40), metadata={
        "description": "As printed on the letter; spaces and dashes are ignored, small letters too."})


def _claim(view: claims.ClaimView) -> dict[str, Any]:
    return {"id": view.id, "employer_id": view.employer_id, "company_name": view.company_name,
            "enterprise_number": view.enterprise_number, "status": view.status, "created_at": view.created_at,
            "letter_sent_at": view.letter_sent_at, "expires_at": view.expires_at,
            "attempts_left": view.attempts_left, "may_ask_new_letter": view.may_ask_new_letter}


@endpoint(blp, "/employers", method="POST", public=True, body=EmployerRegistrationSchema,
          response=(202, RegistrationAnswerSchema),
          refusals={422: "Input wrong on its face: an invalid enterprise number, IBAN or e-mail address, a weak "
                         "password",
                    429: "Too many registrations from this client or for this address"},
          limits=(registration_limits,), commits=False)  # the view commits the registration and its mail
def register_employer(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Register an employer and its first user. The answer is the same whether or not the e-mail address or the
    company is known (no account id is returned): what happened is said only by e-mail to the address given. A new
    account must confirm its address, and acts for the company only once it typed the code of the letter the fund
    sends to the company's registered office (`/employer/ownership-claims`); a company already registered is
    never taken over, a colleague's invitation is the other way in."""
    registered = registration.register_employer(db.session, registration.EmployerRegistration(**data), now=utcnow())
    emails.queue_registration_mail(db.session, registered)
    commit()
    return {"status": "check_your_mailbox", "message": REGISTERED_MESSAGE}


@endpoint(blp, "/employer/confirmation-email", method="POST", access=(Permission.COMPANY_CLAIM,),
          response=(202, RegistrationAnswerSchema),
          refusals={409: "The address is confirmed already (`already_confirmed`)", 429: "Sent again too often"},
          limits=(resend_limits,), commits=False)  # the view commits the mail
def send_confirmation_again():  # type: ignore[no-untyped-def]
    """Send the link that confirms the account's e-mail address again. Until it is confirmed, declaring, importing,
    paying and inviting answer 403 `email_not_confirmed`."""
    if current_user.is_confirmed:
        raise Conflict("This e-mail address is confirmed already.", code="already_confirmed")
    emails.queue_confirmation(db.session, current_user)
    commit()
    return {"status": "check_your_mailbox", "message": "We sent the link again."}


@endpoint(blp, "/employer/ownership-claims", access=(Permission.COMPANY_CLAIM,),
          response=(200, OwnershipClaimPageSchema))
def list_claims():  # type: ignore[no-untyped-def]
    """The caller's requests to act for a company, newest first. Until one is `proven`, an account that acts for
    no company gets 403 `ownership_not_proven` when it declares, imports, pays or invites."""
    return {"items": [_claim(view) for view in claims.claims_of(db.session, current_user, now=utcnow())],
            "next_cursor": None}


@endpoint(blp, "/employer/ownership-claims/<int:ownership_claim_id>/code", method="POST",
          access=(Permission.COMPANY_CLAIM,), body=CodeSchema, response=(200, OwnershipClaimSchema),
          refusals={404: "Not found, or not yours",
                    409: "No code to type: `letter_not_sent`, `code_expired`, `too_many_wrong_codes`, "
                         "`already_proven`, `claim_closed`, `other_company`",
                    422: "`wrong_code`, with `attempts_left` beside `fields`",
                    429: "Too many wrong codes from this account"},
          limits=(code_limits,), commits=False)  # the view commits a wrong code too, before it answers 422
def enter_code(data: dict[str, Any], ownership_claim_id: int):  # type: ignore[no-untyped-def]
    """Type the code of the letter sent to the company's registered office. The right code makes the account one of
    the company's users (it declares and pays for it); each wrong one is counted, and after
    the letter's tries (`attempts_left` 0) only a new letter helps."""
    proof = claims.prove(db.session, current_user, ownership_claim_id, data["code"], now=utcnow())
    commit()  # a wrong code is counted too
    if not proof.proven:
        message = "This is not the code of the letter."
        return json_error(422, message, "wrong_code", {"code": [message]}, {"attempts_left": proof.attempts_left})
    return _claim(claims.view_of(db.session, proof.claim, now=utcnow()))


@endpoint(blp, "/employer/ownership-claims/<int:ownership_claim_id>/letter", method="POST",
          access=(Permission.COMPANY_CLAIM,), response=(202, OwnershipClaimSchema),
          response_description="The letter is asked for: the claim waiting for it (a new one when the last letter's "
                               "code no longer works)",
          refusals={404: "Not found, or not yours",
                    409: "A letter is on its way or its code still works (`letter_pending`), the address is not "
                         "confirmed (`letter_not_sent`), or the request is closed"},
          commits=False)  # the view commits before it builds the answer
def ask_letter(ownership_claim_id: int):  # type: ignore[no-untyped-def]
    """Ask the fund for the letter: a new one once the last one's code has expired or was mistyped too often."""
    claim = claims.ask_letter(db.session, current_user, ownership_claim_id, now=utcnow())
    commit()
    return _claim(claims.view_of(db.session, claim, now=utcnow()))
