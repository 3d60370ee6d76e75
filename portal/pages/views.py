"""Help and contact, the privacy notice, the accessibility statement and the terms of use.

Their long texts are kept as one template per language (``templates/pages/<lang>/<page>.html``), written in
plain words, rather than as hundreds of catalog entries: a translator or a lawyer reads and changes a whole
page at once. The page follows the reader's language and falls back to English. The numbers in them (days,
the voucher's value) come from the fund's rules in force today, so they change with the rules.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user

from portal.clock import today_in_brussels
from portal.db import db
from portal.fund_settings import rules_on
from portal.i18n import reading_language
from portal.public_cache import public_page

bp = Blueprint("pages", __name__)

# The day the texts were last checked against what the portal does (the accessibility statement's date).
REVIEWED_ON = date(2026, 12, 7)

# The help page answers each group's questions; a logged-in person finds their own group first.
HELP_GROUPS = ("beneficiary", "coordinator", "provider", "employer", "fund")
_GROUP_OF_ROLE = {"beneficiary": "beneficiary", "coordinator": "coordinator", "provider_admin": "provider",
                  "coach": "provider", "employer": "employer", "fund_admin": "fund"}


def contact_details() -> dict[str, str]:
    config = current_app.config
    return {"email": config["HELP_EMAIL"], "phone": config["HELP_PHONE"], "address": config["FUND_POSTAL_ADDRESS"],
            "privacy_email": config["PRIVACY_EMAIL"]}


def help_groups(role: str | None) -> list[str]:
    """Every group, the reader's own first."""
    own = _GROUP_OF_ROLE.get(role or "")
    return sorted(HELP_GROUPS, key=lambda group: group != own)


def _page(name: str, **context: Any) -> str:
    lang = reading_language()
    return render_template([f"pages/{lang}/{name}.html", f"pages/en/{name}.html"], page=name,
                           contact=contact_details(), reviewed_on=REVIEWED_ON,
                           rules=rules_on(db.session, today_in_brussels()), **context)


@bp.get("/help")
@public_page
def help_page():  # type: ignore[no-untyped-def]
    role = current_user.role if current_user.is_authenticated else None
    return _page("help", groups=help_groups(role))


@bp.get("/contact")
def contact():  # type: ignore[no-untyped-def]
    return redirect(url_for(".help_page", _anchor="contact"))


@bp.get("/privacy")
@public_page
def privacy():  # type: ignore[no-untyped-def]
    return _page("privacy")


@bp.get("/accessibility")
@public_page
def accessibility():  # type: ignore[no-untyped-def]
    return _page("accessibility")


@bp.get("/terms")
@public_page
def terms():  # type: ignore[no-untyped-def]
    return _page("terms")
