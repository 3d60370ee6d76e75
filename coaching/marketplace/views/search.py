"""Public marketplace pages: find a listed provider near you, and read its profile. No account needed."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _

from coaching.marketplace.forms import (
    KIND_LABELS,
    MODE_LABELS,
    REGION_LABELS,
    TOPIC_LABELS,
    SearchForm,
)
from coaching.marketplace.services import search as marketplace
from portal.db import db
from portal.errors import ValidationFailed
from portal.public_cache import public_page
from portal.web import attach_errors

bp = Blueprint("marketplace", __name__)


PAGE_SIZE = 20


def _labels() -> dict[str, dict[str, str]]:
    """Translated once per request: lazy strings would be translated again at every use in a loop."""
    return {name: {code: str(label) for code, label in labels.items()}
            for name, labels in (("region_labels", REGION_LABELS), ("topic_labels", TOPIC_LABELS),
                                 ("kind_labels", KIND_LABELS), ("mode_labels", MODE_LABELS))}


@bp.get("/providers")
@public_page
def search():  # type: ignore[no-untyped-def]
    form = SearchForm(request.args)
    page = None
    if form.validate():
        try:
            page = marketplace.search_providers(
                db.session, place=form.place.data or None, language=form.language.data or None,
                mode=form.mode.data or None, theme=form.theme.data or None, q=form.q.data or None,
                limit=PAGE_SIZE, cursor=request.args.get("cursor") or None)
        except ValidationFailed as error:
            if "cursor" in error.fields:
                form.form_errors.append(_("This page link is not valid any more. Start again from the first page."))
            else:
                attach_errors(form, error)
    args = {k: v for k, v in request.args.items() if k != "cursor" and v}
    next_url = first_url = None
    if page is not None and page.next_cursor:
        next_url = url_for("marketplace.search", **args, cursor=page.next_cursor)
    if request.args.get("cursor"):
        first_url = url_for("marketplace.search", **args)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("coaching/public/search.html", form=form, page=page, next_url=next_url,
                           first_url=first_url, **_labels()), status


@bp.get("/providers/<int:provider_id>")
@public_page
def profile(provider_id: int):  # type: ignore[no-untyped-def]
    found = marketplace.provider_profile(db.session, provider_id)
    return render_template("coaching/public/profile.html", profile=found,
                           min_closed=marketplace.MIN_CLOSED_VOUCHERS_FOR_OUTCOMES, **_labels())
