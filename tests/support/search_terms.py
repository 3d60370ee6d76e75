"""What the fund's list searches are checked with: the ids a page or an API answer lists, and numbers typed the way
people type them."""

from __future__ import annotations

import re
from typing import Any


def linked_ids(response: Any, row_link: re.Pattern[str]) -> set[int]:
    """The ids of the rows a page links to (``row_link`` captures the id)."""
    assert response.status_code == 200, response.status_code
    return {int(i) for i in row_link.findall(response.get_data(as_text=True))}


def api_rows(response: Any) -> set[int]:
    """The ids of an API list's items."""
    assert response.status_code == 200, response.get_json()
    return {item["id"] for item in response.get_json()["items"]}


def dotted(niss: str) -> str:
    """A national number as printed on the identity card: 85.07.30-033.28."""
    return f"{niss[:2]}.{niss[2:4]}.{niss[4:6]}-{niss[6:9]}.{niss[9:]}"


def formatted(enterprise: str) -> str:
    """An enterprise number as on an invoice: BE 0403.170.701."""
    return f"BE {enterprise[:4]}.{enterprise[4:7]}.{enterprise[7:]}"
