"""The beneficiary's coaching pages: agenda, confirming or disputing logged sessions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("coaching_beneficiary", __name__)
