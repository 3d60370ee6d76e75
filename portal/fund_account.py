"""The fund's own bank account, which pays the providers (pain.001 debtor), and the payout file checks.

Defaults for the settings below, used until ``portal/config.py`` reads them from the
environment; the views merge these with ``app.config`` (``app.config`` wins). The IBAN
and BIC are placeholders (a valid sample Belgian IBAN): set the real ones in production.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FUND_ACCOUNT_DEFAULTS: dict[str, Any] = {
    "FUND_IBAN": "BE71096123456769",
    "FUND_NAME": "Fonds Retour au Travail - INAMI",
    "FUND_BIC": "GKCCBEBB",
    # Path of pain.001.001.03.xsd: when set, every payout file is validated against it before it is saved.
    "PAIN001_XSD_PATH": None,
}


def fund_account_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """The settings above, taken from ``config`` when it has them (even empty), else the defaults."""
    return {key: config[key] if key in config else default for key, default in FUND_ACCOUNT_DEFAULTS.items()}
