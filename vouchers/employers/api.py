"""Employer API (API.md): dismissals, payment intents, letters; and the Stripe webhook."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("employers_api", __name__, description="Employers' declarations and contributions")
