"""CAMT.053.001.02 statements written as Belgian banks send them, valid against the shared XSD
(``../shared/data/banking/xsd/camt.053.001.02.xsd``): elements in the schema's order, amounts with two decimals,
texts within their lengths. Used by the realistic-statement generator (``tests.support.realistic_statements``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from xml.sax.saxutils import escape

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


@dataclass
class Payment:
    """One ``TxDtls``: a payment within an entry."""

    amount_cents: int | None = None  # None: the entry's amount (no AmtDtls)
    end_to_end_id: str | None = None
    structured: list[str] = field(default_factory=list)  # RmtInf/Strd/CdtrRefInf/Ref (SCOR, BBA)
    unstructured: list[str] = field(default_factory=list)  # RmtInf/Ustrd, at most 140 characters each
    party_name: str | None = None  # Dbtr of a credit (or of a credit given back), Cdtr of a debit
    party_id: str | None = None  # .../Id/OrgId/Othr/Id
    party_iban: str | None = None
    party_is_creditor: bool = False
    return_reason: str | None = None  # RtrInf/Rsn/Cd


@dataclass
class Entry:
    """One ``Ntry``."""

    amount_cents: int
    credit: bool
    booked_on: date
    bank_reference: str  # AcctSvcrRef
    payments: list[Payment] = field(default_factory=list)
    status: str = "BOOK"  # BOOK or PDNG
    reversal: bool = False
    family: tuple[str, str, str] = ("PMNT", "RCDT", "ESCT")  # BkTxCd/Domn: domain, family, sub-family
    batch: bool = False  # NtryDtls/Btch with the number of payments
    info: str | None = None  # AddtlNtryInf


@dataclass
class Statement:
    statement_id: str
    sequence: int
    account: str
    day: date
    opening_cents: int
    entries: list[Entry] = field(default_factory=list)

    @property
    def closing_cents(self) -> int:
        booked = [e for e in self.entries if e.status == "BOOK"]
        return (self.opening_cents + sum(e.amount_cents for e in booked if e.credit)
                - sum(e.amount_cents for e in booked if not e.credit))


def _balance(code: str, cents: int, day: date) -> str:
    sign = "CRDT" if cents >= 0 else "DBIT"
    return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{euros(abs(cents))}</Amt>"
            f"<CdtDbtInd>{sign}</CdtDbtInd><Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>")


def _party(name: str | None, party_id: str | None) -> str:
    inner = f"<Nm>{escape(name[:140])}</Nm>" if name else ""
    if party_id:
        inner += f"<Id><OrgId><Othr><Id>{escape(party_id[:35])}</Id></Othr></OrgId></Id>"
    return inner


def _payment(payment: Payment) -> str:
    out = ["<TxDtls>"]
    if payment.end_to_end_id:
        out.append(f"<Refs><EndToEndId>{escape(payment.end_to_end_id[:35])}</EndToEndId></Refs>")
    if payment.amount_cents is not None:
        out.append(f'<AmtDtls><TxAmt><Amt Ccy="EUR">{euros(payment.amount_cents)}</Amt></TxAmt></AmtDtls>')
    parties = []
    if payment.party_name or payment.party_id or payment.party_iban:
        role = "Cdtr" if payment.party_is_creditor else "Dbtr"
        if payment.party_name or payment.party_id:
            parties.append(f"<{role}>{_party(payment.party_name, payment.party_id)}</{role}>")
        if payment.party_iban:
            parties.append(f"<{role}Acct><Id><IBAN>{payment.party_iban}</IBAN></Id></{role}Acct>")
    if parties:
        # The schema's order: Dbtr, DbtrAcct, ..., Cdtr, CdtrAcct.
        out.append(f"<RltdPties>{''.join(parties)}</RltdPties>")
    remittance = [f"<Ustrd>{escape(text[:140])}</Ustrd>" for text in payment.unstructured]
    remittance += ["<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>BBA</Issr></Tp>"
                   f"<Ref>{escape(ref[:35])}</Ref></CdtrRefInf></Strd>" for ref in payment.structured]
    if remittance:
        out.append(f"<RmtInf>{''.join(remittance)}</RmtInf>")
    if payment.return_reason:
        out.append(f"<RtrInf><Rsn><Cd>{payment.return_reason}</Cd></Rsn></RtrInf>")
    out.append("</TxDtls>")
    return "".join(out)


def _entry(entry: Entry) -> str:
    domain, family, sub_family = entry.family
    details = ""
    if entry.payments:
        batch = f"<Btch><NbOfTxs>{len(entry.payments)}</NbOfTxs></Btch>" if entry.batch else ""
        details = f"<NtryDtls>{batch}{''.join(_payment(p) for p in entry.payments)}</NtryDtls>"
    info = f"<AddtlNtryInf>{escape(entry.info[:500])}</AddtlNtryInf>" if entry.info else ""
    return (f'<Ntry><Amt Ccy="EUR">{euros(entry.amount_cents)}</Amt>'
            f"<CdtDbtInd>{'CRDT' if entry.credit else 'DBIT'}</CdtDbtInd>"
            f"{'<RvslInd>true</RvslInd>' if entry.reversal else ''}<Sts>{entry.status}</Sts>"
            f"<BookgDt><Dt>{entry.booked_on.isoformat()}</Dt></BookgDt>"
            f"<ValDt><Dt>{entry.booked_on.isoformat()}</Dt></ValDt>"
            f"<AcctSvcrRef>{escape(entry.bank_reference[:35])}</AcctSvcrRef>"
            f"<BkTxCd><Domn><Cd>{domain}</Cd><Fmly><Cd>{family}</Cd><SubFmlyCd>{sub_family}</SubFmlyCd></Fmly></Domn>"
            f"<Prtry><Cd>0150000</Cd><Issr>BBA</Issr></Prtry></BkTxCd>{details}{info}</Ntry>")


def write(statement: Statement) -> bytes:
    day = statement.day.isoformat()
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="{NAMESPACE}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{statement.statement_id}-MSG</MsgId><CreDtTm>{day}T20:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement.statement_id}</Id><ElctrncSeqNb>{statement.sequence}</ElctrncSeqNb>"
        f"<LglSeqNb>{statement.sequence}</LglSeqNb><CreDtTm>{day}T20:00:00</CreDtTm>"
        f"<FrToDt><FrDtTm>{day}T00:00:00</FrDtTm><ToDtTm>{day}T23:59:59</ToDtTm></FrToDt>"
        f"<Acct><Id><IBAN>{statement.account}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        + _balance("OPBD", statement.opening_cents, statement.day)
        + _balance("CLBD", statement.closing_cents, statement.day)
        + "".join(_entry(e) for e in statement.entries)
        + "</Stmt></BkToCstmrStmt></Document>").encode()
