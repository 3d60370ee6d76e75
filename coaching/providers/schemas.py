"""API schemas of the fund's administration: providers, payout batches, the fund's position, the audit log."""

from __future__ import annotations

from datetime import date

from marshmallow import Schema, fields, validate

from coaching.marketplace.domain import REGION_CODES
from coaching.providers.services.listing import PROVIDER_LANGUAGES, QUALITY_LABELS
from portal.auth.email_rule import EmailAddressField
from portal.schema_fields import Cents, Count, Id
from portal.search import MAX_SEARCH


class ProviderUpdateSchema(Schema):
    """Only the fields sent change (PATCH)."""

    quality_label = fields.String(validate=validate.Length(min=1, max=100),
                                  metadata={"enum": list(QUALITY_LABELS)})
    label_valid_until_on = fields.Date(metadata={
        "description": "Last day the label is valid. Any date is taken, a past one too: a provider whose label has "
                       "expired is not offered (search, new requests) until it is renewed."})
    iban = fields.String(validate=validate.Length(min=1, max=42))
    regions = fields.List(fields.String(), validate=validate.Length(min=1, max=len(REGION_CODES)))
    languages = fields.List(fields.String(), validate=validate.Length(min=1, max=4))


class ProviderCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    enterprise_number = fields.String(required=True, validate=validate.Length(min=1, max=20),
                                      metadata={"description": "BCE/KBO number, e.g. 0403.170.701"})
    quality_label = fields.String(required=True, validate=validate.Length(min=1, max=100),
                                  metadata={"description": "One of the labels the fund accepts.",
                                            "enum": list(QUALITY_LABELS)})
    label_valid_until_on = fields.Date(required=True, metadata={"description": "Last day the label is valid."})
    iban = fields.String(required=True, validate=validate.Length(min=1, max=42))
    regions = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=len(REGION_CODES)),
                          metadata={"description": "Region codes: " + ", ".join(REGION_CODES)})
    languages = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=4),
                            metadata={"description": "Language codes: " + ", ".join(PROVIDER_LANGUAGES)})
    admin_email = EmailAddressField(required=True, validate=validate.Length(max=254),
                                    metadata={"description": "The provider's first administrator; an invitation is sent."})
    admin_name = fields.String(load_default="", validate=validate.Length(max=200))
    admin_language = fields.String(load_default=None, allow_none=True,
                                   validate=validate.OneOf(list(PROVIDER_LANGUAGES)),
                                   metadata={"description": "Language of the invitation; the first of `languages` "
                                                            "the portal speaks by default."})


class ProviderSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    enterprise_number = fields.String(required=True)
    quality_label = fields.String(required=True)
    label_valid_until_on = fields.Date(allow_none=True, required=True)
    iban = fields.String(required=True)
    regions = fields.List(fields.String(), required=True)
    languages = fields.List(fields.String(), required=True)
    listed_at = fields.DateTime(format="iso", allow_none=True)
    delisted_at = fields.DateTime(format="iso", allow_none=True)
    admin_user_id = fields.Integer(allow_none=True, metadata={"description": "Set when the provider is created."})


class ProviderSearchSchema(Schema):
    q = fields.String(load_default=None, validate=validate.Length(max=MAX_SEARCH), metadata={
        "description": "Search: a provider's name (each word, any case, with or without accents), its enterprise "
                       "number in any format (BE 0403.170.701, 0403170701) or its number."})


class ProviderListSchema(Schema):
    items = fields.List(fields.Nested(ProviderSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class DelistSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class OfferCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    individual_hours = Count(1000, required=True)
    collective_sessions = Count(1000, required=True)
    individual_unit_cents = Cents(load_default=None, allow_none=True,
                                  metadata={"description": "Default: the fund's setting (15000)."})
    collective_unit_cents = Cents(load_default=None, allow_none=True,
                                  metadata={"description": "Default: the fund's setting (15000)."})


class OfferSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    individual_hours = fields.Integer()
    collective_sessions = fields.Integer()
    individual_unit_cents = fields.Integer()
    collective_unit_cents = fields.Integer()
    cost_cents = fields.Integer()
    total_minutes = fields.Method("_total_minutes")
    active = fields.Boolean()

    def _total_minutes(self, offer) -> int:  # type: ignore[no-untyped-def]
        return offer.individual_hours * 60 + offer.collective_sessions * 210


class OfferListSchema(Schema):
    items = fields.List(fields.Nested(OfferSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class CoachCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = EmailAddressField(required=True)
    timezone = fields.String(load_default="Europe/Brussels")
    language = fields.String(load_default="fr", validate=validate.OneOf(["fr", "nl", "de", "en"]))


class CoachSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    name = fields.String(attribute="display_name")
    email = fields.String()
    timezone = fields.String()
    calendar_url = fields.String(metadata={"description": "The secret iCalendar feed URL."})


class CoachListSchema(Schema):
    items = fields.List(fields.Nested(CoachSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class AcceptSchema(Schema):
    offer_id = Id(required=True)


class ProviderVoucherSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    status = fields.String()
    value_cents = fields.Integer()
    balance_cents = fields.Integer()
    spent_cents = fields.Integer()
    valid_from_on = fields.Date()
    valid_until_on = fields.Date()
    mix = fields.Dict(allow_none=True)
    beneficiary_name = fields.String()
    pending_acceptance = fields.Boolean(metadata={"description": "A provider change waiting for this provider."})


class ProviderVoucherQuerySchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(
        ["approved", "in_progress", "completed", "expired", "withdrawn"]))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


class ProviderVoucherListSchema(Schema):
    items = fields.List(fields.Nested(ProviderVoucherSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


#: Dates the calendar answers for; anything else is a clean 422, never an overflow.
EARLIEST_ON, LATEST_ON = date(2000, 1, 1), date(2100, 12, 31)
