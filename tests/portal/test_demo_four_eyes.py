"""Issue #20: a refund takes two fund administrators (one proposes, another approves), so the demo has two, each with
a TOTP secret of its own that ``seed-demo`` prints beside the logins as ``otp-secret: BASE32``."""

from __future__ import annotations

from sqlalchemy import select

from portal.auth.models import User
from portal.clock import today_in_brussels, utcnow
from portal.permissions import Role
from tests.support.web import login
from tests.vouchers.test_payouts import DEBTOR, XSD
from tests.vouchers.test_refunds import overpaid
from vouchers.banking.services import refunds


def test_the_demo_has_two_fund_administrators_each_with_its_printed_secret(app, client, db_session):
    from portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, DEMO_TOTP_SECRET_2

    output = app.test_cli_runner().invoke(args=["seed-demo"])
    assert output.exit_code == 0, output.output
    lines = output.output.splitlines()
    assert any(line.split() == ["fund_admin", "admin@demo.tnw.be"] for line in lines)
    assert any(line.split() == ["fund_admin", "admin2@demo.tnw.be"] for line in lines)
    assert f"otp-secret: {DEMO_TOTP_SECRET}" in lines and f"otp-secret: {DEMO_TOTP_SECRET_2}" in lines
    assert DEMO_TOTP_SECRET != DEMO_TOTP_SECRET_2

    first = db_session.scalar(select(User).where(User.email == "admin@demo.tnw.be"))
    second = db_session.scalar(select(User).where(User.email == "admin2@demo.tnw.be"))
    assert second.role == Role.FUND_ADMIN.value
    assert (second.totp_secret, second.totp_enabled_at is not None) == (DEMO_TOTP_SECRET_2, True)
    # Each signs in with the demo password and the code of its own secret.
    assert login(client, second.email, DEMO_PASSWORD).status_code == 302
    assert client.get("/admin/fund/refunds").status_code == 200

    # The four eyes: what one demo administrator proposes, the other approves.
    today = today_in_brussels()
    employer_user = db_session.scalar(select(User).where(User.email == "employer@demo.tnw.be"))
    contribution = overpaid(db_session, first, employer_user, today)
    refund = refunds.propose_refund(db_session, first, contribution.id, amount_cents=None, reason="Paid twice",
                                    now=utcnow())
    refunds.approve_refund(db_session, second, refund.id, today=today, now=utcnow(), xsd_path=str(XSD), **DEBTOR)
    assert (refund.status, refund.decided_by) == ("approved", second.id)
