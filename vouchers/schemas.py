"""API schemas for the vouchers package. They validate requests and generate the OpenAPI document."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

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
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=256))
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    niss = fields.String(required=True, validate=validate.Length(min=11, max=20),
                         metadata={"description": "National register (NISS) or BIS number; separators allowed."})
    language = fields.String(load_default="fr", validate=validate.OneOf(LANGUAGES))


class EmployerRegistrationSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
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
