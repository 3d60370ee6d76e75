"""The contribution's receipt as a page to print, beside its PDF: the same words and figures
(``services/letters.receipt_context``), in the reader's language, inside the portal's page so that a screen reader
reads it as any page (the PDF has no structure for it)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from portal.db import db
from portal.i18n import reading_language
from portal.permissions import Permission, require
from vouchers.employers.api import receipt_facts
from vouchers.employers.services import declarations as declaration_services
from vouchers.employers.services import letters

bp = Blueprint("employer_printouts", __name__, url_prefix="/employer")


@bp.get("/declarations/<int:declaration_id>/receipt")
@require(Permission.DISMISSAL_VIEW_OWN)
def receipt(declaration_id: int):  # type: ignore[no-untyped-def]
    declaration = declaration_services.get_declaration(db.session, current_user, declaration_id)
    return render_template("employers/receipt_page.html",
                           **letters.receipt_context(lang=reading_language(), **receipt_facts(declaration)))
