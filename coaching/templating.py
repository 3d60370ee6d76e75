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
from portal.i18n import labels_in


def template_helpers() -> dict[str, Any]:
    """Each table in the page's language, translated once per language (``labels_in``)."""
    return {"kind_labels": labels_in(KIND_LABELS), "mode_labels": labels_in(MODE_LABELS),
            "attendance_labels": labels_in(ATTENDANCE_LABELS), "confirmation_labels": labels_in(CONFIRMATION_LABELS),
            "session_status_labels": labels_in(SESSION_STATUS_LABELS),
            "claim_status_labels": labels_in(CLAIM_STATUS_LABELS)}
