"""Reading ISO 20022 pain.002 payment status reports (``CstmrPmtStsRpt``, pain.002.001.03 and later) with lxml:
what the fund's bank says of the transfers of one of our pain.001 files.

A report names the file (``OrgnlGrpInfAndSts/OrgnlMsgId``) and gives a status to the whole file (``GrpSts``), to
each payment information block (``OrgnlPmtInfAndSts/PmtInfSts``) and to single transfers (``TxInfAndSts/TxSts``,
naming the transfer by its ``OrgnlEndToEndId``), each with reasons (``StsRsnInf/Rsn/Cd``: AC04 account closed...).
The shared ISO schemas hold no pain.002 XSD, so the file is checked here: the elements money depends on must be
there and their statuses known, else the whole report is refused with a reason (``StatusReportError``).

What a status means for a transfer is ``outcome``: accepted (ACCP, ACSP, ACSC, ACWC, ACCC, ACWP: the bank takes it
on, so the money leaves), rejected (RJCT), or nothing final yet (RCVD, ACTC, PDNG, and PART for a whole file).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from portal.clock import BRUSSELS
from portal.errors import N_

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:pain\.002\.001\.(\d{2})$")


#: A status report is a few kilobytes per hundred transfers: this is far more than any of ours needs.
MAX_FILE_BYTES = 5 * 1024 * 1024


ACCEPTED = frozenset({"ACCP", "ACSP", "ACSC", "ACWC", "ACCC", "ACWP"})


REJECTED = frozenset({"RJCT"})


NOT_FINAL = frozenset({"RCVD", "ACTC", "PDNG", "PART"})


#: ExternalPaymentTransactionStatus1Code as the versions we read use it.
KNOWN_STATUSES = ACCEPTED | REJECTED | NOT_FINAL


#: The usual ISO reasons a bank gives for refusing or returning a credit transfer, in words a person reads.
REASON_WORDS = {
    "AC01": N_("the account number is wrong"),
    "AC04": N_("the account is closed"),
    "AC06": N_("the account is blocked"),
    "AC13": N_("the account is a consumer's account"),
    "AG01": N_("this account may not receive such a transfer"),
    "AG02": N_("the bank refused the operation"),
    "AM04": N_("the fund's account did not hold enough money"),
    "AM05": N_("the transfer was sent twice"),
    "BE04": N_("the beneficiary's address is missing"),
    "CNOR": N_("the beneficiary's bank cannot be reached"),
    "DUPL": N_("the transfer was sent twice"),
    "FF01": N_("the file is not valid"),
    "FOCR": N_("the fund asked to cancel it"),
    "MD07": N_("the account holder has died"),
    "MS02": N_("the beneficiary refused it"),
    "MS03": N_("no reason given"),
    "RC01": N_("the bank's BIC is wrong"),
    "RR01": N_("the beneficiary's account or identification is missing"),
    "RR04": N_("regulatory reasons"),
}


def outcome(status: str | None) -> str | None:
    """``"paid"`` for an accepting status, ``"rejected"`` for a rejection, None for anything not final."""
    if status in ACCEPTED:
        return "paid"
    if status in REJECTED:
        return "rejected"
    return None


class StatusReportError(ValueError):
    """The file is not a pain.002 status report we can read. ``template`` is translatable; ``params`` fill it."""

    def __init__(self, template: str, code: str = "pain002_invalid", **params: Any):
        super().__init__(template % params if params else template)
        self.template = template
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Reason:
    code: str | None = None  # Rsn/Cd (ISO), or Rsn/Prtry
    text: str | None = None  # AddtlInf, joined

    def __bool__(self) -> bool:
        return bool(self.code or self.text)


@dataclass(frozen=True)
class TransactionStatus:
    end_to_end_id: str | None
    instruction_id: str | None
    status: str | None  # None: the block gives no status of its own (the payment's or the file's holds)
    reason: Reason


@dataclass(frozen=True)
class PaymentStatus:
    payment_info_id: str | None
    status: str | None
    reason: Reason
    transactions: tuple[TransactionStatus, ...]


@dataclass(frozen=True)
class StatusReport:
    version: str  # "pain.002.001.03"
    message_id: str
    created_at: datetime | None
    original_message_id: str
    original_message_type: str | None  # OrgnlMsgNmId: "pain.001.001.03"
    group_status: str | None
    group_reason: Reason
    payments: tuple[PaymentStatus, ...]
    sha256: str


_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False,
                   "remove_comments": True, "remove_pis": True}


def _cut(value: str | None, limit: int = 35) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value[:limit] or None


class _Reader:
    def __init__(self, namespace: str):
        self.ns = {"p": namespace}

    def find(self, el: Any, path: str) -> Any:
        return el.find("/".join(f"p:{part}" for part in path.split("/")), self.ns)

    def findall(self, el: Any, path: str) -> list[Any]:
        return el.findall("/".join(f"p:{part}" for part in path.split("/")), self.ns)

    def text(self, el: Any, path: str) -> str | None:
        found = self.find(el, path)
        if found is None or found.text is None:
            return None
        return found.text.strip() or None


def _status(r: _Reader, el: Any, path: str, where: str) -> str | None:
    status = r.text(el, path)
    if status is None:
        return None
    status = status.upper()
    if status not in KNOWN_STATUSES:
        raise StatusReportError(N_("The status %(status)s (%(where)s) is not a payment status this portal knows."),
                                code="pain002_status_unknown", status=status[:10], where=where)
    return status


def _reason(r: _Reader, el: Any) -> Reason:
    """The first reason given (banks give one), with every additional text it carries."""
    for info in r.findall(el, "StsRsnInf"):
        code = r.text(info, "Rsn/Cd") or r.text(info, "Rsn/Prtry")
        texts = [t.text.strip() for t in r.findall(info, "AddtlInf") if t.text and t.text.strip()]
        if code or texts:
            return Reason(_cut(code), _cut(" ".join(texts), 500))
    return Reason()


def _created_at(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise StatusReportError(N_("The creation time %(value)s (GrpHdr/CreDtTm) is not a date and time."),
                                value=text[:40]) from exc
    if value.tzinfo is None:  # ISO's local time: the bank's, in Brussels
        value = value.replace(tzinfo=BRUSSELS)
    return value.astimezone(UTC)


def parse_status_report(data: bytes) -> StatusReport:
    """Read a pain.002 file. Raises ``StatusReportError`` with the reason when it is not one, or is malformed."""
    if not data or not data.strip():
        raise StatusReportError(N_("The file is empty."), code="file_empty")
    if len(data) > MAX_FILE_BYTES:
        raise StatusReportError(N_("The file is larger than %(mb)s MB."), code="file_too_large",
                                mb=MAX_FILE_BYTES // 2**20)
    try:
        tree = etree.fromstring(data, etree.XMLParser(**_PARSER_OPTIONS)).getroottree()
    except etree.XMLSyntaxError as exc:
        raise StatusReportError(N_("This file is not well-formed XML (%(detail)s)."), code="xml_malformed",
                                detail=str(exc)[:200]) from exc
    if tree.docinfo.doctype:
        raise StatusReportError(N_("The file declares a DOCTYPE: payment status reports never do."),
                                code="xml_doctype")
    root = tree.getroot()
    namespace = etree.QName(root).namespace or ""
    match = NAMESPACE.match(namespace)
    if etree.QName(root).localname != "Document" or not match:
        raise StatusReportError(N_("This XML file is not a pain.002 payment status report (it is %(kind)s)."),
                                code="not_pain002", kind=(namespace or etree.QName(root).localname)[:80])
    r = _Reader(namespace)
    report = r.find(root, "CstmrPmtStsRpt")
    if report is None:
        raise StatusReportError(N_("The file has no CstmrPmtStsRpt element."))
    message_id = _cut(r.text(report, "GrpHdr/MsgId"))
    if not message_id:
        raise StatusReportError(N_("The report has no message identification (GrpHdr/MsgId)."))
    group = r.find(report, "OrgnlGrpInfAndSts")
    original = _cut(r.text(group, "OrgnlMsgId")) if group is not None else None
    if not original:
        raise StatusReportError(N_("The report does not name the file it is about (OrgnlGrpInfAndSts/OrgnlMsgId)."),
                                code="pain002_no_original")
    payments = []
    for index, block in enumerate(r.findall(report, "OrgnlPmtInfAndSts"), start=1):
        transactions = []
        for number, tx in enumerate(r.findall(block, "TxInfAndSts"), start=1):
            end_to_end, instruction = _cut(r.text(tx, "OrgnlEndToEndId")), _cut(r.text(tx, "OrgnlInstrId"))
            if not end_to_end and not instruction:
                raise StatusReportError(N_("Transaction %(n)s of payment block %(block)s names no transfer "
                                           "(OrgnlEndToEndId)."), block=index, n=number)
            transactions.append(TransactionStatus(end_to_end, instruction,
                                                  _status(r, tx, "TxSts", f"TxInfAndSts {index}.{number}"),
                                                  _reason(r, tx)))
        payments.append(PaymentStatus(_cut(r.text(block, "OrgnlPmtInfId")),
                                      _status(r, block, "PmtInfSts", f"OrgnlPmtInfAndSts {index}"),
                                      _reason(r, block), tuple(transactions)))
    group_status = _status(r, group, "GrpSts", "GrpSts")
    if group_status is None and not any(p.status or any(t.status for t in p.transactions) for p in payments):
        raise StatusReportError(N_("The report gives no status: neither for the file (GrpSts), nor for a payment "
                                   "block, nor for a transfer."), code="pain002_no_status")
    return StatusReport(version=f"pain.002.001.{match.group(1)}", message_id=message_id,
                        created_at=_created_at(r.text(report, "GrpHdr/CreDtTm")), original_message_id=original,
                        original_message_type=_cut(r.text(group, "OrgnlMsgNmId")), group_status=group_status,
                        group_reason=_reason(r, group), payments=tuple(payments),
                        sha256=hashlib.sha256(data).hexdigest())
