from __future__ import annotations

from marshmallow import Schema, fields


class FundPositionSchema(Schema):
    cash_cents = fields.Integer(required=True, metadata={"description": "Money the fund holds."})
    committed_cents = fields.Integer(required=True, metadata={"description": "Voucher value promised, not claimed."})
    payable_cents = fields.Integer(required=True, metadata={"description": "Approved claims not yet paid."})
    available_cents = fields.Integer(required=True, metadata={"description": "cash - committed - payable"})
    on = fields.Date(required=True)
