"""Labels every coaching page may show, offered to all templates (the pages of several capabilities share them)."""

from __future__ import annotations

from typing import Any

from coaching.calendar.forms import (
    ATTENDANCE_LABELS,
    CONFIRMATION_LABELS,
    KIND_LABELS,
    MODE_LABELS,
    SESSION_STATUS_LABELS,
)
from coaching.claims.forms import CLAIM_STATUS_LABELS


def template_helpers() -> dict[str, Any]:
    return {"kind_labels": KIND_LABELS, "mode_labels": MODE_LABELS, "attendance_labels": ATTENDANCE_LABELS,
            "confirmation_labels": CONFIRMATION_LABELS, "session_status_labels": SESSION_STATUS_LABELS,
            "claim_status_labels": CLAIM_STATUS_LABELS}
