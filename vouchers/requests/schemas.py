"""API schemas for the vouchers package. They validate requests and generate the OpenAPI document."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from portal.auth.email_rule import EmailAddressField
from portal.errors import ValidationFailed
from portal.schema_fields import Id
from portal.search import MAX_SEARCH
from vouchers.requests.services.accounts import BeneficiaryRegistration
from vouchers.requests.services.registration import check_form

LANGUAGES = ("fr", "nl", "de", "en")


class AddressSchema(Schema):
    street = fields.String(required=True, validate=validate.Length(min=1, max=200))
    number = fields.String(required=True, validate=validate.Length(min=1, max=20))
    box = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    postcode = fields.String(required=True, validate=validate.Regexp(r"^\d{4}$|^[A-Za-z0-9 -]{3,10}$"))
    municipality = fields.String(required=True, validate=validate.Length(min=1, max=100))
    country = fields.String(load_default="BE", validate=validate.Length(min=2, max=60))


def address_text(address: dict[str, Any]) -> str:
    line1 = f"{address['street']} {address['number']}"
    if address.get("box"):
        line1 += f" bte {address['box']}"
    return f"{line1}\n{address['postcode']} {address['municipality']}\n{address.get('country') or 'BE'}"


class AddressOrText(fields.Field):
    """An address as a structured object (like voucher requests) or as free text."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str):
            if not value.strip() or len(value) > 500:
                raise ValidationError("Enter the address (at most 500 characters).")
            return value.strip()
        if isinstance(value, dict):
            return address_text(AddressSchema().load(value))
        raise ValidationError("Give the address as text or as {street, number, box?, postcode, municipality, country}.")


class BeneficiaryRegistrationSchema(Schema):
    email = EmailAddressField(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=256))
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    niss = fields.String(required=True, validate=validate.Length(min=11, max=20),
                         metadata={"description": "National register (NISS) or BIS number; separators allowed."})
    language = fields.String(load_default="fr", validate=validate.OneOf(LANGUAGES))

    @validates_schema(skip_on_field_errors=False)
    def _as_the_registration_checks(self, data: dict[str, Any], **kwargs: Any) -> None:
        """What the registration itself checks (the number's check digits, a password that is the address...), told
        with the body's other mistakes rather than after them: for the fields that passed their own checks."""
        passed = {name: value for name, value in data.items() if isinstance(value, str)}
        try:
            check_form(BeneficiaryRegistration(**{name: passed.get(name, "") for name in
                                                  ("email", "password", "first_name", "last_name", "niss")}))
        except ValidationFailed as error:
            problems = {name: list(messages) for name, messages in error.fields.items() if name in passed}
            if problems:
                raise ValidationError(problems) from error


class EmployerRegistrationSchema(Schema):
    email = EmailAddressField(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=256))
    company_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    enterprise_number = fields.String(required=True, validate=validate.Length(min=10, max=20),
                                      metadata={"description": "BCE/KBO number, e.g. 0403.170.701"})
    onss_number = fields.String(required=True, validate=validate.Length(min=9, max=20))
    address = AddressOrText(required=True, metadata={
        "description": "Free text, or an object {street, number, box?, postcode, municipality, country}.",
        "oneOf": [{"type": "string"}, {"type": "object"}]})
    phone = fields.String(required=True, validate=validate.Length(min=1, max=40))
    iban = fields.String(required=True, validate=validate.Length(min=15, max=42))
    first_name = fields.String(load_default="", validate=validate.Length(max=100))
    last_name = fields.String(load_default="", validate=validate.Length(max=100))
    language = fields.String(load_default="fr", validate=validate.OneOf(LANGUAGES))


class RegisteredAccountSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True)
    employer_id = fields.Integer(allow_none=True)


SCHEMES = ("employee", "job_seeker", "self_employed")


class EligibilityQuerySchema(Schema):
    force_majeure = fields.Boolean(required=True)
    contract_end_on = fields.Date(load_default=None, allow_none=True)
    incapacity_start_on = fields.Date(load_default=None, allow_none=True)
    benefits_scheme = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SCHEMES))
    in_approved_retraining = fields.Boolean(load_default=False)
    in_professional_rehabilitation = fields.Boolean(load_default=False)


class ReasonSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)


class EligibilityVerdictSchema(Schema):
    eligible = fields.Boolean(required=True)
    route = fields.String(allow_none=True, required=True, metadata={"enum": ["A", "B", None]})
    apply_by_on = fields.Date(allow_none=True, required=True,
                              metadata={"description": "Route A: the last day (inclusive) to apply."})
    reasons = fields.List(fields.Nested(ReasonSchema), required=True)


class VoucherRequestCreateSchema(Schema):
    provider_id = Id(required=True)
    insurer_code = fields.Integer(required=True, validate=validate.OneOf([100, 200, 300, 400, 500, 600, 900]))
    initiative = fields.String(required=True, validate=validate.OneOf(["own", "coordinator"]))
    force_majeure = fields.Boolean(required=True)
    contract_end_on = fields.Date(load_default=None, allow_none=True)
    incapacity_start_on = fields.Date(load_default=None, allow_none=True)
    benefits_scheme = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SCHEMES))
    in_approved_retraining = fields.Boolean(load_default=False)
    in_professional_rehabilitation = fields.Boolean(load_default=False)
    planned_start_on = fields.Date(load_default=None, allow_none=True)
    planned_end_on = fields.Date(load_default=None, allow_none=True)
    address = fields.Nested(AddressSchema, required=True)


class CompleteRequestSchema(VoucherRequestCreateSchema):
    """The answer to the fund's question; any field of the request may be corrected beside it (a field left
    out keeps its value; an address is replaced whole)."""

    answer = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                           metadata={"description": "The answer to the fund's question, in plain words."})


#: Every field of the request is optional when answering; only ``answer`` is required.
COMPLETE_PARTIAL = tuple(VoucherRequestCreateSchema._declared_fields)


class VoucherWithdrawSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class TimelineEntrySchema(Schema):
    changed_at = fields.DateTime(format="iso", attribute="at", metadata={"description": "When the status changed."})
    object_type = fields.String()
    from_status = fields.String(attribute="from_state", allow_none=True)
    to_status = fields.String(attribute="to_state", allow_none=True)
    reason = fields.String(allow_none=True)


class VoucherRequestSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)
    route = fields.String(allow_none=True)
    submitted_on = fields.Date(allow_none=True)
    decision_due_on = fields.Date(allow_none=True)
    days_left = fields.Integer(allow_none=True, metadata={
        "description": "Days until decision_due_on (0 on day 45, negative when overdue); null once decided."})
    clock_state = fields.String(allow_none=True, metadata={"enum": ["on_time", "due_soon", "overdue", "paused", None]})
    is_overdue = fields.Boolean()
    provider_id = fields.Integer(allow_none=True)
    insurer_code = fields.Integer(allow_none=True)
    initiative = fields.String()
    decided_on = fields.Date(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    appeal_by_on = fields.Date(allow_none=True, metadata={
        "description": "Rejected requests: the last day to appeal to the labour court."})
    waiting_list_position = fields.Integer(allow_none=True)
    voucher_id = fields.Integer(allow_none=True)
    timeline = fields.List(fields.Nested(TimelineEntrySchema))


class VoucherRequestCreatedSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)
    submitted_on = fields.Date(required=True)
    decision_due_on = fields.Date(required=True)
    route = fields.String(required=True)


class WithdrawSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class MixSchema(Schema):
    individual_hours = fields.Integer()
    collective_sessions = fields.Integer()
    individual_unit_cents = fields.Integer()
    collective_unit_cents = fields.Integer()


class VoucherSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    status = fields.String(required=True)
    value_cents = fields.Integer(required=True)
    spent_cents = fields.Integer(required=True, metadata={"description": "Cost of the sessions delivered."})
    committed_cents = fields.Integer(required=True, metadata={"description": "Cost of sessions scheduled, not yet delivered."})
    balance_cents = fields.Integer(required=True, metadata={"description": "value - spent - committed."})
    valid_from_on = fields.Date(required=True)
    valid_until_on = fields.Date(required=True, metadata={"description": "Last day of validity, inclusive."})
    provider_id = fields.Integer(required=True)
    pending_provider_id = fields.Integer(allow_none=True)
    mix = fields.Nested(MixSchema, allow_none=True, required=True,
                        metadata={"description": "Fixed by the provider at the first interview; null before."})
    individual_minutes_used = fields.Integer(required=True)
    collective_sessions_used = fields.Integer(required=True)
    request_id = fields.Integer()


class AdminRequestQuerySchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(
        ["submitted", "info_requested", "approved", "waitlisted", "rejected", "withdrawn"]))
    route = fields.String(load_default=None, validate=validate.OneOf(["A", "B"]))
    overdue = fields.Boolean(load_default=None, allow_none=True)
    due_before = fields.Date(load_default=None, metadata={"description": "decision_due_on strictly before this day."})
    initiative = fields.String(load_default=None, validate=validate.OneOf(["own", "coordinator"]))
    insurer_code = fields.Integer(load_default=None, validate=validate.OneOf([100, 200, 300, 400, 500, 600, 900]))
    q = fields.String(load_default=None, validate=validate.Length(max=MAX_SEARCH), metadata={
        "description": "Search: the member's name (each word, any case, with or without accents) or national "
                       "number (NISS, with or without dots and dashes), the request's or its voucher's number, the "
                       "voucher's code (TNW-XXXX-XXXX), or the enterprise number of the provider it names."})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


class AdminRequestItemSchema(VoucherRequestSchema):
    beneficiary_name = fields.String()
    coordinator_id = fields.Integer(allow_none=True, metadata={
        "description": "The mutual insurer's coordinator who filed the request for the member, if one did."})
    consent_on = fields.Date(allow_none=True, metadata={"description": "When the member consented to it."})

    class Meta:
        exclude = ("timeline",)


class AdminRequestPageSchema(Schema):
    items = fields.List(fields.Nested(AdminRequestItemSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject", "request_info"]))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    medical_check_ok = fields.Boolean(load_default=None, allow_none=True, metadata={
        "description": "Own-initiative requests: the medical compatibility check, yes or no (no medical content)."})


class DecisionResultSchema(VoucherRequestSchema):
    """The updated request; on approval its new voucher is included."""

    voucher = fields.Nested(VoucherSchema, allow_none=True, required=True)


class BeneficiaryRegisteredSchema(Schema):
    """The answer to every well-formed registration: the same body whether or not the address was known."""

    email = fields.String(required=True, metadata={"description": "The address given, as the portal writes it."})
    status = fields.String(required=True, metadata={"enum": ["registered"]})
    message = fields.String(required=True)


class ConfirmationSentSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["check_your_mailbox"]})
    message = fields.String(required=True)


class DeclaredDismissalSchema(Schema):
    """What an employer declared about the caller's own NISS, to start a request from; only for a proven NISS."""

    force_majeure = fields.Boolean(required=True, metadata={"description": "Always true: a declaration is one."})
    contract_end_on = fields.Date(required=True)
    declared_on = fields.Date(required=True)
