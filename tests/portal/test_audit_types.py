"""The audit view's object filter offers every kind of object the code writes to the audit log."""

from __future__ import annotations

import re
from pathlib import Path

from portal.audit import KNOWN_AUDIT_OBJECT_TYPES

ROOT = Path(__file__).resolve().parents[2]
WRITTEN = re.compile(r'object_type="([a-z_]+)"')


def test_every_audited_object_type_can_be_filtered_on() -> None:
    written = {match for package in ("portal", "coaching", "vouchers")
               for path in (ROOT / package).rglob("*.py") for match in WRITTEN.findall(path.read_text())}
    assert written, "no audit calls found: the pattern is out of date"
    assert written <= set(KNOWN_AUDIT_OBJECT_TYPES), sorted(written - set(KNOWN_AUDIT_OBJECT_TYPES))
