"""The secret of a coach's iCalendar feed URL, and resetting it."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from coaching.models import Coach
from coaching.services.offers import get_coach
from portal import audit
from portal.db import lock_row
from portal.errors import N_, NotFound
from portal.permissions import Permission, can


def reset_calendar_token(session: Session, actor: Any, coach_id: int, *, now: datetime) -> Coach:
    """A new secret for the coach's feed URL: calendar apps subscribed with the old link stop receiving it.

    The coach resets their own link, a provider administrator any of the provider's coaches;
    anyone else finds no such coach.
    """
    if not can(actor, Permission.CALENDAR_MANAGE):
        raise NotFound(N_("This coach does not exist."))
    coach = get_coach(session, actor, coach_id)
    lock_row(session, coach)
    coach.calendar_token = secrets.token_urlsafe(24)
    audit.record(session, actor=actor, object_type="coach", object_id=coach.id, action="calendar_token_reset",
                 now=now)
    session.flush()
    return coach
