"""Small helpers shared by the HTML views."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for
from flask_babel import gettext
from flask_wtf import FlaskForm

from portal.errors import DomainError


def safe_next(target: str | None, default_endpoint: str = "main.home") -> str:
    """Only same-site paths are followed after login, never another host."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for(default_endpoint)


def attach_errors(form: FlaskForm, error: DomainError) -> None:
    """Show a service's field errors next to the fields, keeping what was typed."""
    placed = False
    for name, problems in error.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            existing = list(field.errors) if isinstance(field.errors, (list, tuple)) else []
            field.errors = existing + [gettext(p) for p in problems]
            placed = True
    if not placed:
        form.form_errors.append(gettext(error.message))
