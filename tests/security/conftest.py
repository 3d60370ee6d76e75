"""The security tests reuse the coaching course fixtures (a provider, its admin, a coach, an offer, vouchers)."""

from tests.coaching.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    coach,
    fund_admin,
    make_voucher,
    offer,
    provider,
    provider_admin,
    slot,
    today,
)
