from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from portal.api_views import endpoint
from portal.audit import audit_trail
from portal.audit.schemas import AuditPageSchema, AuditQuerySchema
from portal.db import db
from portal.pagination import decode_id_cursor, id_page
from portal.permissions import Permission

blp = Blueprint("audit_api", __name__, description="The audit log: who changed what, and who read whose file")

@endpoint(blp, "/admin/audit", access=(Permission.ADMIN_AUDIT_VIEW,), query=AuditQuerySchema,
          response=(200, AuditPageSchema))
def audit_log(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The audit log, newest first, filtered by object (`object_type`, `object_id`) and person (`actor_id`)."""
    rows = audit_trail(db.session, current_user, object_type=query["object_type"],
                                      object_id=query["object_id"], actor_id=query["actor_id"],
                                      limit=query["limit"] + 1, before_id=decode_id_cursor(query["cursor"]))
    page, next_cursor = id_page(rows, query["limit"])
    return {"items": page, "next_cursor": next_cursor}
