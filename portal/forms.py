"""Form helpers shared by every package."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wtforms.fields.choices import SelectChoice


def choices(options: Mapping[Any, Any]) -> list[SelectChoice]:
    """WTForms choices from ``{value: label}``; labels may be lazy translations."""
    return [SelectChoice(value=value, label=label) for value, label in options.items()]
