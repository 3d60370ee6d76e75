"""The nightly ledger consistency check: the fund's administrators hear of any mismatch the same day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from portal.errors import N_
from portal.notifications.services import fund_admins, notify, page
from portal.scheduler import scheduled
from vouchers.ledger.services.closings import close_months
from vouchers.ledger.services.consistency import check_ledger

SHOWN_IN_NOTICE = 20


@scheduled("ledger_consistency", trigger="cron", hour=3, minute=0,
           description=N_("Check that the money ledger's sums agree with contributions, bank lines, vouchers, "
                          "claims and payout batches."))
def ledger_consistency(session: Session, *, today: date, now: datetime) -> str:
    problems = check_ledger(session)
    if problems:
        shown = "\n".join(problems[:SHOWN_IN_NOTICE])
        if len(problems) > SHOWN_IN_NOTICE:
            shown += f"\n... (+{len(problems) - SHOWN_IN_NOTICE})"
        notify(session, fund_admins(session), "ledger_mismatch", key=f"ledger-consistency-{today.isoformat()}",
               link=page("ledger.balance"), count=len(problems), problems=shown)
    return f"{len(problems)} mismatches"


@scheduled("ledger_period_closings", trigger="cron", hour=2, minute=30,
           description=N_("Close the ledger's past months: store each month's totals, so that a period's figures "
                          "read them instead of every entry since the fund began."))
def ledger_period_closings(session: Session, *, today: date, now: datetime) -> str:
    # Nightly rather than monthly: it also closes again the months a late entry reopened.
    closed = close_months(session, today=today, now=now)
    return f"months closed: {closed}"
