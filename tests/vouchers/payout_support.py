"""Payout rows for tests elsewhere (the security matrix's world): a transfer of a batch, a status report about it,
and an approved refund of another employer's contribution."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session


def payout_world(session: Session, *, batch_id: int, claim_id: int) -> dict[str, Any]:
    from portal.clock import today_in_brussels
    from portal.permissions import Role
    from tests.support.factories import make_employer, make_user, new_niss
    from vouchers.banking.payout_models import (
        ContributionRefund,
        PayoutStatusReport,
        PayoutTransfer,
    )
    from vouchers.employers.models import Contribution, Declaration

    today = today_in_brussels()
    report = PayoutStatusReport(message_id="MATRIX-PAIN002-1", original_message_id="TNW-MATRIX-1",
                                version="pain.002.001.03", file_sha256="1" * 64, batch_id=batch_id)
    session.add(report)
    session.flush()
    transfer = PayoutTransfer(batch_id=batch_id, claim_id=claim_id, end_to_end_id="TNW-MATRIX-CLAIM-1",
                              creditor_name="Other provider", creditor_iban="BE71096123456769", amount_cents=15000,
                              status="rejected", failed_on=today, reason_code="AC04",
                              status_report_id=report.id)  # not live: the claim may join a batch
    employer = make_employer(session)
    user = make_user(session, Role.EMPLOYER, employer_id=employer.id)
    declaration = Declaration(employer_id=employer.id, declared_by_id=user.id, worker_first_name="Bo",
                              worker_last_name="Worker", worker_niss=new_niss(), contract_end_on=today,
                              declared_on=today, declaration_due_on=today + timedelta(days=45))
    session.add_all([transfer, declaration])
    session.flush()
    contribution = Contribution(declaration_id=declaration.id, amount_cents=180000, due_on=today + timedelta(days=45),
                                structured_reference="020000000368", status="overpaid")
    session.add(contribution)
    session.flush()
    refund = ContributionRefund(contribution_id=contribution.id, amount_cents=1000, iban=employer.iban,
                                account_name=employer.company_name, reason="Paid twice", status="approved",
                                message_id="TNW-MATRIX-RFND-1", xml="<Document/>", execution_on=today)
    session.add(refund)
    session.flush()
    return {"transfer_id": transfer.id, "report_id": report.id, "refund_id": refund.id}
