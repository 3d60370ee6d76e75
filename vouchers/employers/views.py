"""Employer pages: declarations, payment, the worker's letter."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("employers", __name__, url_prefix="/employer")
