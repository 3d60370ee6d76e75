"""Files the fund's bank sends back about our payouts, written in the tests: pain.002 status reports, and CAMT.053
statement entries of the fund's own account (a debit that pays a transfer, a credit that brings one back)."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from tests.vouchers.bank_statements.conftest import Entry, Tx


@dataclass
class TxStatus:
    end_to_end: str
    status: str | None = None  # TxSts; None: the transaction gives no status of its own
    reason: str | None = None  # StsRsnInf/Rsn/Cd
    text: str | None = None  # StsRsnInf/AddtlInf
    amount: str | None = None  # OrgnlTxRef/Amt/InstdAmt


def _reason(code: str | None, text: str | None) -> str:
    if not code and not text:
        return ""
    rsn = f"<Rsn><Cd>{code}</Cd></Rsn>" if code else ""
    info = f"<AddtlInf>{escape(text)}</AddtlInf>" if text else ""
    return f"<StsRsnInf>{rsn}{info}</StsRsnInf>"


def _tx(tx: TxStatus) -> str:
    status = f"<TxSts>{tx.status}</TxSts>" if tx.status else ""
    amount = f'<OrgnlTxRef><Amt><InstdAmt Ccy="EUR">{tx.amount}</InstdAmt></Amt></OrgnlTxRef>' if tx.amount else ""
    return (f"<TxInfAndSts><OrgnlEndToEndId>{tx.end_to_end}</OrgnlEndToEndId>{status}{_reason(tx.reason, tx.text)}"
            f"{amount}</TxInfAndSts>")


def pain002(original: str, *, message_id: str = "BANK-PSR-0001", group_status: str | None = None,
            group_reason: str | None = None, block_status: str | None = None, block_id: str | None = None,
            txs: list[TxStatus] | None = None, created: str = "2026-11-21T09:30:00", version: str = "03") -> bytes:
    """A pain.002 payment status report about the pain.001 file ``original`` (its GrpHdr/MsgId), in ISO order."""
    group = (f"<OrgnlGrpInfAndSts><OrgnlMsgId>{original}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.03</OrgnlMsgNmId>"
             f"{f'<GrpSts>{group_status}</GrpSts>' if group_status else ''}{_reason(group_reason, None)}"
             "</OrgnlGrpInfAndSts>")
    blocks = ""
    if txs or block_status:
        details = "".join(_tx(tx) for tx in txs or [])
        blocks = (f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>{block_id or original + '-1'}</OrgnlPmtInfId>"
                  f"{f'<PmtInfSts>{block_status}</PmtInfSts>' if block_status else ''}{details}</OrgnlPmtInfAndSts>")
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.{version}"><CstmrPmtStsRpt>'
            f"<GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>{created}</CreDtTm>"
            "<InitgPty><Nm>Fund's bank</Nm></InitgPty></GrpHdr>"
            f"{group}{blocks}</CstmrPmtStsRpt></Document>").encode()


def euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def paid_debit(end_to_end: str, cents: int, *, booked_on: str = "2026-11-20", ref: str | None = None,
               text: str | None = None) -> Entry:
    """The fund's statement showing one of its transfers leave: a debit naming the transfer's end-to-end id."""
    return Entry(euros(cents), direction="DBIT", booked_on=booked_on, acct_svcr_ref=ref,
                 txs=[Tx(end_to_end=end_to_end, debtor=None, debtor_iban=None, creditor="Provider SRL", ustrd=text)])


def batch_debit(message_id: str, cents: int, *, booked_on: str = "2026-11-20", ref: str | None = None) -> Entry:
    """A whole payout file booked as one debit, named only by the file's payment block id in its text."""
    return Entry(euros(cents), direction="DBIT", booked_on=booked_on, acct_svcr_ref=ref,
                 txs=[Tx(debtor=None, debtor_iban=None, creditor=None, ustrd=f"SEPA batch {message_id}-1")])


def returned_credit(end_to_end: str, cents: int, *, booked_on: str = "2026-11-24", reason: str = "AC04",
                    ref: str | None = None) -> Entry:
    """A transfer of ours coming back to the fund's account: a credit with the return's reason and the original
    end-to-end id."""
    return Entry(euros(cents), direction="CRDT", booked_on=booked_on, acct_svcr_ref=ref,
                 family=("PMNT", "RCDT", "RRTN"),
                 txs=[Tx(end_to_end=end_to_end, debtor="Provider SRL", debtor_iban="BE68539007547034",
                         return_reason=reason, ustrd="Return of your transfer")])
