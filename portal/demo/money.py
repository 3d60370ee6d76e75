"""Demo data for the employer's side and the fund's money: declarations at every stage of their 45 days,
contributions paid by bank transfer through a real CAMT.053 import (one exact, one partial, one line nobody
can place), and the demo coach's weekly hours. Everything goes through the services people use."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.demo.numbers import national_number

# (worker, days since the contract ended, what the employer has paid by transfer, in cents)
DECLARATIONS = (
    (("Julie", "Martens"), 8, None),
    (("Thomas", "Lefèvre"), 30, 180000),
    (("Anouk", "Willems"), 41, 90000),
    (("Karim", "Benali"), 60, None),
)


def seed_money(session: Session, *, employer_user: Any, fund_admin: Any, coach_user: Any, today: date,
               now: datetime) -> None:
    """Once: skipped when the employer has declared anything."""
    from vouchers.employers.models import Declaration
    from vouchers.employers.services.declarations import (
        DeclarationData,
        declare_dismissal,
    )

    if session.scalar(select(Declaration.id).where(Declaration.employer_id == employer_user.employer_id)):
        return
    transfers: list[tuple[str, int, str]] = []
    for index, ((first, last), days_ago, paid_cents) in enumerate(DECLARATIONS):
        birth = date(1970 + index * 4, 1 + index * 2, 10 + index)
        contract_end = today - timedelta(days=days_ago)
        result = declare_dismissal(session, employer_user, DeclarationData(
            worker_first_name=first, worker_last_name=last, worker_niss=national_number(birth, 501 + index * 2),
            contract_end_on=contract_end, physician_decision_on=contract_end - timedelta(days=30)),
            today=contract_end + timedelta(days=3), now=now)
        if paid_cents:
            transfers.append((result.declaration.contribution.structured_reference, paid_cents, first))
    session.flush()
    _import_bank_statement(session, fund_admin, transfers, today=today, now=now)
    _weekly_hours(session, coach_user, now=now)


def _camt_entry(amount_cents: int, booked_on: date, reference: str | None, free_text: str, debtor: str,
                serial: int) -> str:
    remittance = f"<Ustrd>{escape(free_text)}</Ustrd>"
    if reference:
        remittance += ("<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>BBA</Issr></Tp>"
                       f"<Ref>{reference}</Ref></CdtrRefInf></Strd>")
    return (f'<Ntry><Amt Ccy="EUR">{amount_cents / 100:.2f}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
            f"<BookgDt><Dt>{booked_on.isoformat()}</Dt></BookgDt><ValDt><Dt>{booked_on.isoformat()}</Dt></ValDt>"
            f"<AcctSvcrRef>DEMO-{booked_on:%Y%m%d}-{serial:04d}</AcctSvcrRef>"
            "<BkTxCd><Prtry><Cd>0150000</Cd><Issr>BBA</Issr></Prtry></BkTxCd>"
            f"<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>{escape(debtor)}</Nm></Dbtr></RltdPties>"
            f"<RmtInf>{remittance}</RmtInf></TxDtls></NtryDtls></Ntry>")


def _import_bank_statement(session: Session, fund_admin: Any, transfers: list[tuple[str, int, str]], *,
                           today: date, now: datetime) -> None:
    """The fund's account statement of yesterday, imported as an administrator would upload it."""
    from flask import current_app

    from vouchers.banking.services.statements import import_statement

    booked_on = today - timedelta(days=1)
    entries = [_camt_entry(cents, booked_on, reference, f"Contribution {first}", "Boulangerie Dupont SRL", serial)
               for serial, (reference, cents, first) in enumerate(transfers, start=1)]
    entries.append(_camt_entry(45000, booked_on, None, "Don - voor het fonds", "Vzw De Brug", len(entries) + 1))
    total = sum(cents for _ref, cents, _first in transfers) + 45000
    account = current_app.config["FUND_IBAN"].replace(" ", "")
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>DEMO-{booked_on:%Y%m%d}</MsgId><CreDtTm>{now:%Y-%m-%dT%H:%M:%S}</CreDtTm></GrpHdr>"
        f"<Stmt><Id>DEMO-{booked_on:%Y%m%d}</Id><ElctrncSeqNb>1</ElctrncSeqNb>"
        f"<CreDtTm>{now:%Y-%m-%dT%H:%M:%S}</CreDtTm><Acct><Id><IBAN>{account}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        f'<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt>'
        f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{booked_on.isoformat()}</Dt></Dt></Bal>"
        f'<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{total / 100:.2f}</Amt>'
        f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{booked_on.isoformat()}</Dt></Dt></Bal>"
        f"{''.join(entries)}</Stmt></BkToCstmrStmt></Document>"
    )
    import_statement(session, fund_admin, document.encode(), file_name=f"demo-{booked_on}.xml", now=now)


def _weekly_hours(session: Session, coach_user: Any, *, now: datetime) -> None:
    from coaching.availability.services import WeeklyInput, replace_weekly
    from coaching.providers.models import Coach

    coach = session.scalar(select(Coach).where(Coach.user_id == coach_user.id))
    if coach is None:
        return
    hours = [WeeklyInput(day, start, end) for day in range(4)
             for start, end in ((time(9, 0), time(12, 30)), (time(13, 30), time(17, 0)))]
    hours.append(WeeklyInput(4, time(9, 0), time(12, 0)))
    replace_weekly(session, coach_user, coach.id, hours, timezone="Europe/Brussels", now=now)
