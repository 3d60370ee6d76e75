"""Bank-statement rows for tests elsewhere (the security matrix's world): one statement, one unmatched credit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def bank_world(session: Session) -> dict[str, Any]:
    from portal.clock import today_in_brussels
    from vouchers.banking.models import BankLine, BankStatement

    today = today_in_brussels()
    statement = BankStatement(account="BE71096123456769", statement_ref="MATRIX-1", sequence="1",
                              version="camt.053.001.02", file_sha256="0" * 64)
    session.add(statement)
    session.flush()
    line = BankLine(statement_id=statement.id, entry_index=1, tx_index=1, line_key="matrix|1", direction="credit",
                    amount_cents=180000, currency="EUR", booked_on=today, status="unmatched")
    session.add(line)
    session.flush()
    return {"statement_id": statement.id, "line_id": line.id}
