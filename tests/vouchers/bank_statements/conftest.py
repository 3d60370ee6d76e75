"""Fixtures for bank statements: fund administrators, contributions declared through the employers'
service, and CAMT.053 statements written in the tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from xml.sax.saxutils import escape

import pytest

from portal.clock import today_in_brussels, utcnow
from portal.permissions import Role
from tests.support.factories import make_user, new_niss
from tests.support.shared_data import BANKING
from tests.support.web import bearer, login

SAMPLES = BANKING / "camt053"
CAMT_XSD = BANKING / "xsd" / "camt.053.001.02.xsd"
FUND_IBAN = "BE71096123456769"


@pytest.fixture
def today() -> date:
    return today_in_brussels()


@pytest.fixture
def admin(db_session):
    return make_user(db_session, Role.FUND_ADMIN, language="en")


@pytest.fixture
def admin_headers(client, admin) -> dict[str, str]:
    return bearer(client, admin.email)


@pytest.fixture
def admin_client(client, admin):
    assert login(client, admin.email).status_code == 302
    return client


@pytest.fixture
def declare(db_session, today):
    """A contribution due, declared by an employer through the employers' service (the real path)."""
    from vouchers.employers.services.declarations import (
        DeclarationData,
        declare_dismissal,
    )

    def build(employer_user: Any = None) -> Any:
        user = employer_user or make_user(db_session, Role.EMPLOYER, language="en")
        data = DeclarationData(worker_first_name="Ana", worker_last_name="Peeters", worker_niss=new_niss(),
                               contract_end_on=today - timedelta(days=10))
        result = declare_dismissal(db_session, user, data, today=today, now=utcnow())
        db_session.flush()
        return result.declaration.contribution

    return build


# --- writing CAMT.053 statements ----------------------------------------------------------------


@dataclass
class Tx:
    amount: str | None = None  # None: no amount of its own (the entry's)
    reference: str | None = None  # RmtInf/Strd/CdtrRefInf/Ref, with Cd SCOR and Issr BBA
    ustrd: str | None = None
    debtor: str | None = "Employer SA"
    debtor_iban: str | None = "BE68539007547034"
    debtor_id: str | None = None  # RltdPties/Dbtr/Id/OrgId/Othr/Id
    creditor: str | None = None  # for debits
    end_to_end: str = "NOTPROVIDED"
    return_reason: str | None = None  # RtrInf/Rsn/Cd: the bank gives the money back (e.g. AC04, MD06)


@dataclass
class Entry:
    amount: str
    direction: str = "CRDT"
    booked_on: str = "2026-11-20"
    acct_svcr_ref: str | None = None
    txs: list[Tx] = field(default_factory=lambda: [Tx()])
    reversal: bool = False
    status: str = "BOOK"
    currency: str = "EUR"
    family: tuple[str, str, str] | None = None  # BkTxCd/Domn: domain, family, sub-family (e.g. PMNT RCDT RRTN)


def _tx_xml(tx: Tx, version: str, direction: str, currency: str) -> str:
    parts = ["<TxDtls>", f"<Refs><EndToEndId>{escape(tx.end_to_end)}</EndToEndId></Refs>"]
    if tx.amount is not None:
        if version == "02":
            parts.append(f'<AmtDtls><TxAmt><Amt Ccy="{currency}">{tx.amount}</Amt></TxAmt></AmtDtls>')
        else:
            parts.append(f'<Amt Ccy="{currency}">{tx.amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>')
    parties = []
    if tx.debtor or tx.debtor_id:
        debtor = f"<Nm>{escape(tx.debtor)}</Nm>" if tx.debtor else ""
        if tx.debtor_id:
            debtor += f"<Id><OrgId><Othr><Id>{escape(tx.debtor_id)}</Id></Othr></OrgId></Id>"
        parties.append(f"<Dbtr>{debtor}</Dbtr>")
    if tx.debtor_iban:
        parties.append(f"<DbtrAcct><Id><IBAN>{tx.debtor_iban}</IBAN></Id></DbtrAcct>")
    if tx.creditor:
        parties.append(f"<Cdtr><Nm>{escape(tx.creditor)}</Nm></Cdtr>")
    if parties:
        parts.append(f"<RltdPties>{''.join(parties)}</RltdPties>")
    remittance = []
    if tx.ustrd:
        remittance.append(f"<Ustrd>{escape(tx.ustrd)}</Ustrd>")
    if tx.reference:
        remittance.append("<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>BBA</Issr></Tp>"
                          f"<Ref>{tx.reference}</Ref></CdtrRefInf></Strd>")
    if remittance:
        parts.append(f"<RmtInf>{''.join(remittance)}</RmtInf>")
    if tx.return_reason:
        parts.append(f"<RtrInf><Rsn><Cd>{tx.return_reason}</Cd></Rsn></RtrInf>")
    parts.append("</TxDtls>")
    return "".join(parts)


def camt(entries: list[Entry], *, statement_id: str = "STMT-2026-11-20", sequence: str | None = "320",
         account: str = FUND_IBAN, version: str = "02", opening: str = "1000.00") -> bytes:
    """A CAMT.053 statement with the Belgian layout (structured references as SCOR + BBA)."""
    credits = sum(round(float(e.amount) * 100) for e in entries if e.direction == "CRDT")
    debits = sum(round(float(e.amount) * 100) for e in entries if e.direction == "DBIT")
    closing = round(float(opening) * 100) + credits - debits
    body = []
    for entry in entries:
        status = f"<Sts>{entry.status}</Sts>" if version in ("02", "04") else f"<Sts><Cd>{entry.status}</Cd></Sts>"
        ref = f"<AcctSvcrRef>{entry.acct_svcr_ref}</AcctSvcrRef>" if entry.acct_svcr_ref else ""
        details = "".join(_tx_xml(tx, version, entry.direction, entry.currency) for tx in entry.txs)
        domain = ""
        if entry.family:
            code, family, sub_family = entry.family
            domain = f"<Domn><Cd>{code}</Cd><Fmly><Cd>{family}</Cd><SubFmlyCd>{sub_family}</SubFmlyCd></Fmly></Domn>"
        batch = f"<Btch><NbOfTxs>{len(entry.txs)}</NbOfTxs></Btch>" if len(entry.txs) > 1 else ""
        body.append(
            f'<Ntry><Amt Ccy="{entry.currency}">{entry.amount}</Amt><CdtDbtInd>{entry.direction}</CdtDbtInd>'
            f"{'<RvslInd>true</RvslInd>' if entry.reversal else ''}{status}"
            f"<BookgDt><Dt>{entry.booked_on}</Dt></BookgDt><ValDt><Dt>{entry.booked_on}</Dt></ValDt>{ref}"
            f"<BkTxCd>{domain}<Prtry><Cd>0150000</Cd><Issr>BBA</Issr></Prtry></BkTxCd>"
            f"{f'<NtryDtls>{batch}{details}</NtryDtls>' if entry.txs else ''}</Ntry>")
    seq = f"<ElctrncSeqNb>{sequence}</ElctrncSeqNb>" if sequence is not None else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">'
        "<BkToCstmrStmt><GrpHdr><MsgId>MSG-" + statement_id + "</MsgId><CreDtTm>2026-11-20T18:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id>{seq}<CreDtTm>2026-11-20T18:00:00</CreDtTm>"
        "<FrToDt><FrDtTm>2026-11-20T00:00:00</FrDtTm><ToDtTm>2026-11-20T23:59:59</ToDtTm></FrToDt>"
        f"<Acct><Id><IBAN>{account}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        f'<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{opening}</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-19</Dt></Dt></Bal>"
        f'<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{closing // 100}.{closing % 100:02d}</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-20</Dt></Dt></Bal>"
        + "".join(body) + "</Stmt></BkToCstmrStmt></Document>").encode()
