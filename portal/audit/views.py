"""The fund's audit log page: who changed what, when, and who read whose file."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.audit import audit_trail, user_by_email
from portal.audit.words import audit_words
from portal.auth.models import User
from portal.db import db
from portal.forms import AuditFilterForm
from portal.permissions import Permission, require
from portal.schema_fields import id_from_text
from portal.web import PAGE_SIZE, page_arg

bp = Blueprint("audit", __name__, url_prefix="/admin/fund")

@bp.get("/audit")
@require(Permission.ADMIN_AUDIT_VIEW)
def audit_log():  # type: ignore[no-untyped-def]
    form = AuditFilterForm(request.args)
    rows: list[Any] = []
    next_url = None
    if form.validate():
        actor_id = _person(form)
        if not form.person.errors:
            before = page_arg()
            found = audit_trail(db.session, current_user, object_type=form.object_type.data or None,
                                               object_id=form.object_id.data, actor_id=actor_id,
                                               limit=PAGE_SIZE + 1, before_id=before)
            rows = found[:PAGE_SIZE]
            if len(found) > PAGE_SIZE:
                next_url = url_for(".audit_log", **_audit_args(form), before=rows[-1].id)
    actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({r.actor_id for r in rows
                                                                                     if r.actor_id})))}
    return render_template("fund_admin/audit.html", form=form, rows=rows, actors=actors, next_url=next_url,
                           first_url=request.args.get("before") and url_for(".audit_log", **_audit_args(form)),
                           **audit_words()), 200 if not form.errors else 422


def _person(form: AuditFilterForm) -> int | None:
    """The filter's person, as a user id: a number is one; an e-mail address is looked up."""
    text = (form.person.data or "").strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():  # not isdigit() alone: "²" is a digit to it, no number to int()
        user_id = id_from_text(text)
        if user_id is None:  # past the database's ids: no account has it, and it could not even be compared
            form.person.errors = [_("No account has this number.")]
        return user_id
    user = user_by_email(db.session, text)
    if user is None:
        form.person.errors = [_("No account has this e-mail address.")]
        return None
    return user.id


def _audit_args(form: AuditFilterForm) -> dict[str, str]:
    return {"object_type": form.object_type.data or "", "object_id": str(form.object_id.data or ""),
            "person": form.person.data or ""}
