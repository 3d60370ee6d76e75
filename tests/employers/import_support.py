"""A CSV import read in the background, sent by an employer of its own, for tests elsewhere (the security matrix's
world: someone else's import)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def import_world(session: Session) -> dict[str, Any]:
    from portal.clock import utcnow
    from portal.permissions import Role
    from tests.support.factories import make_user
    from vouchers.employers.models import DeclarationImport

    sender = make_user(session, Role.EMPLOYER)
    job = DeclarationImport(uploaded_by=sender.id, employer_id=sender.employer_id, csv_text="a;b\n", status="importing",
                            phase="checking", lines_total=1, lines_done=0, created_at=utcnow())
    session.add(job)
    session.flush()
    return {"import_id": job.id}
