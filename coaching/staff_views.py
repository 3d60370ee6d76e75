"""Pages for provider staff and coaches: vouchers, offers, week view, logging, claims."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("coaching_staff", __name__)
