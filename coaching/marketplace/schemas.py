"""API schemas of the public marketplace: they validate the filters and generate the OpenAPI document.

Names start with ``Marketplace`` so they never collide with other schemas in the one document.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from coaching.marketplace.domain import (
    LANGUAGE_CODES,
    MODES,
    REGION_CODES,
    THEME_TOPICS,
)
from coaching.marketplace.services.search import (
    MAX_PAGE_SIZE,
    MIN_CLOSED_VOUCHERS_FOR_OUTCOMES,
)


class MarketplaceSearchQuerySchema(Schema):
    region = fields.String(load_default=None, validate=validate.OneOf(REGION_CODES),
                           metadata={"description": "Region or province code of a contact point, e.g. `liege`."})
    place = fields.String(load_default=None, validate=validate.Length(min=1, max=100), metadata={
        "description": "A Belgian postcode (mapped to its region) or a municipality name, e.g. `4700` or `Namur`."})
    language = fields.String(load_default=None, validate=validate.OneOf(LANGUAGE_CODES),
                             metadata={"description": "Coaching language at the contact point."})
    mode = fields.String(load_default=None, validate=validate.OneOf(MODES))
    theme = fields.String(load_default=None, validate=validate.OneOf(THEME_TOPICS),
                          metadata={"description": "A topic of the provider's catalogue."})
    q = fields.String(load_default=None, validate=validate.Length(max=200),
                      metadata={"description": "Free text in the name, description or catalogue titles."})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))
    cursor = fields.String(load_default=None)


class MarketplaceContactPointSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    street = fields.String(required=True)
    postcode = fields.String(required=True)
    municipality = fields.String(required=True)
    region = fields.String(required=True, metadata={"enum": list(REGION_CODES)})
    languages = fields.List(fields.String(), required=True)
    onsite = fields.Boolean(required=True)
    online = fields.Boolean(required=True)


class MarketplaceOfferSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    individual_hours = fields.Integer(required=True)
    collective_sessions = fields.Integer(required=True, metadata={"description": "Each lasts 3.5 hours."})
    individual_unit_cents = fields.Integer(required=True)
    collective_unit_cents = fields.Integer(required=True)
    cost_cents = fields.Integer(required=True)


class MarketplaceThemeSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    topic = fields.String(required=True, metadata={"enum": list(THEME_TOPICS)})
    kind = fields.String(required=True, metadata={"enum": ["individual", "collective"]})
    language = fields.String(required=True)


class MarketplaceProviderSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    languages = fields.List(fields.String(), required=True)
    regions = fields.List(fields.String(), required=True, metadata={"description": "Every region it is present in."})
    contact_points = fields.List(fields.Nested(MarketplaceContactPointSchema), required=True, metadata={
        "description": "Up to three contact points matching the filters, nearest first."})
    matching_contact_points = fields.Integer(required=True)
    offers = fields.List(fields.Nested(MarketplaceOfferSchema), required=True)


class MarketplaceProviderPageSchema(Schema):
    items = fields.List(fields.Nested(MarketplaceProviderSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class MarketplaceOutcomesSchema(Schema):
    vouchers_completed = fields.Integer(required=True)
    closed_vouchers = fields.Integer(required=True, metadata={"description": "Completed, expired or withdrawn."})
    finished_percent = fields.Integer(required=True, metadata={
        "description": "Share of closed vouchers whose course was completed, in percent, rounded."})


class MarketplaceOutcomesHiddenSchema(Schema):
    code = fields.String(required=True, metadata={"enum": ["not_enough_cases"]})
    message = fields.String(required=True)
    min_closed_vouchers = fields.Integer(required=True)


class MarketplaceProfileSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    quality_label = fields.String(required=True)
    label_valid_until_on = fields.Date(allow_none=True, required=True)
    languages = fields.List(fields.String(), required=True)
    regions = fields.List(fields.String(), required=True)
    offers = fields.List(fields.Nested(MarketplaceOfferSchema), required=True)
    contact_points = fields.List(fields.Nested(MarketplaceContactPointSchema), required=True)
    catalogue = fields.List(fields.Nested(MarketplaceThemeSchema), required=True)
    outcomes = fields.Nested(MarketplaceOutcomesSchema, allow_none=True, required=True, metadata={
        "description": f"Null until the provider has at least {MIN_CLOSED_VOUCHERS_FOR_OUTCOMES} closed vouchers; "
                       "`outcomes_hidden` then says why."})
    outcomes_hidden = fields.Nested(MarketplaceOutcomesHiddenSchema, allow_none=True, required=True)
