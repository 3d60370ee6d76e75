from __future__ import annotations

from collections.abc import Iterable

from coaching.providers.domain import _is_int


def claim_amount_cents(
    session_costs: Iterable[int],
    *,
    already_claimed_cents: int,
    voucher_value_cents: int,
) -> int:
    """Amount of a provider claim: the sum of its sessions' prices, capped so that
    everything claimed on the voucher never exceeds its value ("up to" €1,800;
    partial delivery is paid pro rata by construction)."""
    costs = list(session_costs)
    if any(not _is_int(c) or c < 0 for c in costs):
        raise ValueError("session costs must be non-negative integer cents")
    if already_claimed_cents < 0:
        raise ValueError("already_claimed_cents must be non-negative")
    room = max(0, voucher_value_cents - already_claimed_cents)
    return min(sum(costs), room)
