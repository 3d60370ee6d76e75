"""JSON API of a large CSV file of declarations read in the background (``services.background_imports``): how far it
is, then what came of it. ``POST /dismissals/import`` (``api``) answers 202 with the same figures when it starts one."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from portal.api_views import endpoint
from portal.db import db
from portal.permissions import Permission
from vouchers.employers.services import background_imports

blp = Blueprint("employer_imports_api", __name__, description="Large CSV files of declarations, read in the background")


class ImportProblemSchema(Schema):
    line = fields.Integer(required=True)
    field = fields.String(required=True)
    message = fields.String(required=True)


class ImportJobSchema(Schema):
    """A large CSV file read in the background."""

    id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": ["importing", "imported", "failed"]})
    phase = fields.String(required=True, metadata={
        "enum": ["checking", "importing"], "description": "Every line is checked first, then all are declared."})
    lines_total = fields.Integer(required=True)
    lines_done = fields.Integer(required=True, metadata={"description": "Lines done in the current phase."})
    imported = fields.Integer(allow_none=True, metadata={"description": "Dismissals declared, once imported."})
    errors = fields.List(fields.Nested(ImportProblemSchema), required=True, metadata={
        "description": "When failed: every problem by line (nothing was imported)."})
    failure_reason = fields.String(allow_none=True)


def import_job_payload(job: Any) -> dict[str, Any]:
    return {"id": job.id, "status": job.status, "phase": job.phase, "lines_total": job.lines_total,
            "lines_done": job.lines_done, "imported": job.imported_count, "failure_reason": job.failure_reason,
            "errors": [{"line": e.line, "field": e.field, "message": e.text}
                       for e in background_imports.line_errors(job)]}


@endpoint(blp, "/dismissals/imports/<int:import_id>", access=(Permission.DISMISSAL_DECLARE,),
          response=(200, ImportJobSchema), refusals={404: "No such import, or not one you sent"})
def get_import(import_id: int):  # type: ignore[no-untyped-def]
    """A CSV file read in the background (`POST /dismissals/import` answered 202): how far it is, then what came of
    it. Only the person who sent it sees it."""
    return import_job_payload(background_imports.get_import(db.session, current_user, import_id))
