"""The one rule for what an e-mail address is, wherever the portal records one: the API's schemas, the web forms,
the operator's command and the services behind them all (``create_user`` checks it too, so nothing slips past).

An address is what the ``email-validator`` library accepts as a syntactically valid, deliverable-looking
address, without asking the DNS: a dotted domain that is not a special-use name (``.test``, ``.invalid``,
``.localhost`` and the like, which can never receive mail), no quoted local part or IP literal, at most 254
characters. It must also be ASCII: the portal sends through plain SMTP (an internationalised domain is written
in its ``xn--`` form).

Signing in and asking for a new password do not judge an address: they only look it up, on the web as in the
API, so an account is never locked out by a rule it predates.
"""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext
from marshmallow import ValidationError as SchemaValidationError
from marshmallow import fields, validate
from wtforms.validators import ValidationError as FormValidationError

from portal.errors import N_

MAX_LENGTH = 254
NOT_VALID = N_("This e-mail address is not valid.")
TOO_LONG = N_("This e-mail address is too long.")


def email_problem(address: str | None) -> str | None:
    """Why this is no e-mail address the portal can use (an English message, to translate for pages), or None."""
    text = (address or "").strip()
    if len(text) > MAX_LENGTH:
        return TOO_LONG
    if not text or not text.isascii():
        return NOT_VALID
    try:
        validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return NOT_VALID
    return None


def is_email(address: str | None) -> bool:
    return email_problem(address) is None


class EmailAddress:
    """The rule as a WTForms validator (an empty field is left to DataRequired or Optional)."""

    def __call__(self, form: Any, field: Any) -> None:
        if field.data and (problem := email_problem(field.data)):
            raise FormValidationError(gettext(problem))


def _check_for_schema(value: str) -> None:
    if problem := email_problem(value):
        raise SchemaValidationError(problem)


class EmailAddressField(fields.Email):
    """The rule as a marshmallow field: an ``email`` string in the OpenAPI document, checked by ``email_problem``
    instead of marshmallow's own, laxer pattern."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, validate.Email)] + [_check_for_schema]
