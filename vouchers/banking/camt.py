"""Reading ISO 20022 CAMT.053 bank statements (camt.053.001.02 and later versions) with lxml.

Lenient on what real banks get wrong (element order, ``LastPgInd``: FIELD-NOTES.md), strict on what
money depends on: every entry needs an amount, a credit/debit indicator and a date, or the whole
file is refused with a reason (``CamtError``), never half-read. Elements are found by path, never by
position, and a reference is taken from ``RmtInf`` only (``BBA`` also issues bank transaction codes).

One booked entry (``Ntry``) can carry several payments (``TxDtls``): each becomes its own line when
their amounts add up to the entry's, else the entry stays one line for a person to match.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from lxml import etree

from portal.errors import N_
from vouchers.banking import domain

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d{2})$")


MAX_FILE_BYTES = 20 * 1024 * 1024


#: Column sizes (ISO's Max35Text, Max140Text, …): longer values are cut, never refused.
LIMITS = {"id": 35, "iban": 34, "name": 140, "ref": 140, "text": 1000, "account": 34, "party_id": 70}


class CamtError(ValueError):
    """The file is not a CAMT.053 statement we can read. ``template`` is translatable; ``params`` fill it."""

    def __init__(self, template: str, code: str = "camt_invalid", **params: Any):
        super().__init__(template % params if params else template)
        self.template = template
        self.code = code
        self.params = params


@dataclass
class ParsedLine:
    entry_index: int
    tx_index: int
    direction: str  # credit | debit
    amount_cents: int
    currency: str
    booked_on: date
    value_on: date | None
    booked: bool  # Sts BOOK (anything else is pending or information only)
    reversal: bool
    returned: bool  # a return: TxDtls/RtrInf, or a bank transaction code of a return (domain.RETURN_SUB_FAMILIES)
    entry_reference: str | None  # Ntry/AcctSvcrRef, the bank's own id of the booking
    entry_ref: str | None  # Ntry/NtryRef
    tx_reference: str | None  # TxDtls/Refs/AcctSvcrRef
    end_to_end_id: str | None
    structured_reference: str | None
    more_references: tuple[str, ...]  # the other valid references, when the payer named several
    reference_text: str | None
    remittance_text: str | None
    counterparty_name: str | None
    counterparty_iban: str | None
    counterparty_id: str | None
    enterprise_number: str | None
    return_reason_code: str | None = None  # TxDtls/RtrInf/Rsn/Cd (or Prtry): why the bank gave the money back


@dataclass
class ParsedStatement:
    statement_ref: str
    sequence: str  # ElctrncSeqNb, or "" when the bank gives none
    legal_sequence: str | None
    issued_on: date | None
    from_on: date | None
    to_on: date | None
    account: str  # IBAN, or the account's other id
    currency: str | None
    opening_balance_cents: int | None
    closing_balance_cents: int | None
    lines: list[ParsedLine] = field(default_factory=list)


@dataclass
class ParsedFile:
    version: str  # "camt.053.001.02"
    message_id: str | None
    sha256: str
    statements: list[ParsedStatement]
    tree: Any = None  # the lxml tree, for an optional XSD check


def _cut(value: str | None, limit: str) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value[: LIMITS[limit]] or None


class _Reader:
    """Paths in the document's own namespace: ``find(el, "Ntry/Amt")``."""

    def __init__(self, namespace: str):
        self.ns = {"c": namespace}
        self._paths: dict[str, str] = {}  # a statement asks the same few paths of each of its thousands of entries

    def _path(self, path: str) -> str:
        found = self._paths.get(path)
        if found is None:
            found = self._paths[path] = "/".join(part if part in (".", "..") or part.startswith(".//") else f"c:{part}"
                                                 for part in path.split("/"))
        return found

    def find(self, el: Any, path: str) -> Any:
        return el.find(self._path(path), self.ns)

    def findall(self, el: Any, path: str) -> list[Any]:
        return el.findall(self._path(path), self.ns)

    def text(self, el: Any, path: str) -> str | None:
        found = self.find(el, path)
        if found is None or found.text is None:
            return None
        return found.text.strip() or None

    def texts(self, el: Any, path: str) -> list[str]:
        return [t.text.strip() for t in self.findall(el, path) if t.text and t.text.strip()]

    def descendants(self, el: Any, name: str) -> list[Any]:
        return el.findall(f".//c:{name}", self.ns)


def _date(text: str | None, what: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError as exc:
        raise CamtError(N_("The date %(value)s (%(what)s) is not a date."), value=text[:40], what=what) from exc


def _either_date(r: _Reader, el: Any, what: str) -> date | None:
    if el is None:
        return None
    return _date(r.text(el, "Dt") or r.text(el, "DtTm"), what)


_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False,
                   "remove_comments": True, "remove_pis": True}


def parse(data: bytes) -> ParsedFile:
    """Read a CAMT.053 file. Raises ``CamtError`` with the reason when it is not one, or is malformed."""
    if not data or not data.strip():
        raise CamtError(N_("The file is empty."), code="file_empty")
    if len(data) > MAX_FILE_BYTES:
        raise CamtError(N_("The file is larger than %(mb)s MB."), code="file_too_large", mb=MAX_FILE_BYTES // 2**20)
    try:
        tree = etree.fromstring(data, etree.XMLParser(**_PARSER_OPTIONS)).getroottree()
    except etree.XMLSyntaxError as exc:
        raise CamtError(N_("This file is not well-formed XML (%(detail)s)."), code="xml_malformed",
                        detail=str(exc)[:200]) from exc
    if tree.docinfo.doctype:
        # Entities and DTDs have no place in a bank statement; refusing them closes XXE and "billion laughs".
        raise CamtError(N_("The file declares a DOCTYPE: bank statements never do."), code="xml_doctype")
    root = tree.getroot()
    namespace = etree.QName(root).namespace or ""
    match = NAMESPACE.match(namespace)
    if etree.QName(root).localname != "Document" or not match:
        raise CamtError(N_("This XML file is not a CAMT.053 bank statement (it is %(kind)s)."), code="not_camt053",
                        kind=(namespace or etree.QName(root).localname)[:80])
    r = _Reader(namespace)
    message = r.find(root, "BkToCstmrStmt")
    if message is None:
        raise CamtError(N_("The file has no BkToCstmrStmt element."))
    statements = [_statement(r, el) for el in r.findall(message, "Stmt")]
    if not statements:
        raise CamtError(N_("The file holds no statement (Stmt)."), code="no_statement")
    return ParsedFile(version=f"camt.053.001.{match.group(1)}", message_id=_cut(r.text(message, "GrpHdr/MsgId"), "id"),
                      sha256=hashlib.sha256(data).hexdigest(), statements=statements, tree=tree)


def _balance(r: _Reader, stmt: Any, code: str) -> int | None:
    for bal in r.findall(stmt, "Bal"):
        if r.text(bal, "Tp/CdOrPrtry/Cd") != code:
            continue
        cents = domain.amount_to_cents(r.text(bal, "Amt"))
        if cents is None:
            return None
        return -cents if r.text(bal, "CdtDbtInd") == "DBIT" else cents
    return None


def _statement(r: _Reader, stmt: Any) -> ParsedStatement:
    statement_ref = _cut(r.text(stmt, "Id"), "id")
    if not statement_ref:
        raise CamtError(N_("A statement has no identification (Stmt/Id)."))
    account = r.text(stmt, "Acct/Id/IBAN") or r.text(stmt, "Acct/Id/Othr/Id")
    if not account:
        raise CamtError(N_("Statement %(id)s names no account (Acct/Id)."), id=statement_ref)
    parsed = ParsedStatement(
        statement_ref=statement_ref, sequence=_cut(r.text(stmt, "ElctrncSeqNb"), "id") or "",
        legal_sequence=_cut(r.text(stmt, "LglSeqNb"), "id"),
        issued_on=_date(r.text(stmt, "CreDtTm"), "CreDtTm"),
        from_on=_date(r.text(stmt, "FrToDt/FrDtTm"), "FrDtTm"), to_on=_date(r.text(stmt, "FrToDt/ToDtTm"), "ToDtTm"),
        account=_cut(account.replace(" ", "").upper(), "account") or "", currency=_cut(r.text(stmt, "Acct/Ccy"), "id"),
        opening_balance_cents=_balance(r, stmt, "OPBD"), closing_balance_cents=_balance(r, stmt, "CLBD"))
    fallback_on = parsed.to_on or parsed.issued_on
    for index, entry in enumerate(r.findall(stmt, "Ntry"), start=1):
        parsed.lines.extend(_entry_lines(r, entry, index, fallback_on))
    return parsed


def _direction(text: str | None, index: int) -> str:
    if text == "CRDT":
        return "credit"
    if text == "DBIT":
        return "debit"
    raise CamtError(N_("Entry %(n)s has no valid credit/debit indicator (CdtDbtInd)."), n=index)


@dataclass
class _Details:
    tx_reference: str | None = None
    end_to_end_id: str | None = None
    creditor_references: list[str] = field(default_factory=list)
    free_texts: list[str] = field(default_factory=list)
    counterparty_name: str | None = None
    counterparty_iban: str | None = None
    counterparty_ids: list[str] = field(default_factory=list)
    returned: bool = False
    return_reason_code: str | None = None


def _is_return(r: _Reader, el: Any) -> bool:
    return r.text(el, "BkTxCd/Domn/Fmly/SubFmlyCd") in domain.RETURN_SUB_FAMILIES


def _details(r: _Reader, tx: Any, direction: str, *, gives_back: bool = False) -> _Details:
    """References, free text and the other party of one ``TxDtls``: the payer of a credit, the payee of a debit;
    for a debit that gives a credit back, the payer of that credit (banks repeat it as ``Dbtr``) when it is there."""
    returned = r.find(tx, "RtrInf") is not None or _is_return(r, tx)
    party = "Cdtr"
    if direction == "credit" or ((gives_back or returned) and r.find(tx, "RltdPties/Dbtr") is not None):
        party = "Dbtr"
    details = _Details(tx_reference=r.text(tx, "Refs/AcctSvcrRef"), end_to_end_id=r.text(tx, "Refs/EndToEndId"),
                       returned=returned,
                       return_reason_code=r.text(tx, "RtrInf/Rsn/Cd") or r.text(tx, "RtrInf/Rsn/Prtry"))
    scored, other = [], []
    for strd in r.findall(tx, "RmtInf/Strd"):
        for info in r.findall(strd, "CdtrRefInf"):
            ref = r.text(info, "Ref")
            if ref:
                (scored if r.text(info, "Tp/CdOrPrtry/Cd") == "SCOR" else other).append(ref)
        details.free_texts.extend(r.texts(strd, "AddtlRmtInf"))
    details.creditor_references = scored + other
    details.free_texts = r.texts(tx, "RmtInf/Ustrd") + details.free_texts + r.texts(tx, "AddtlTxInf")
    for holder in (r.find(tx, f"RltdPties/{party}"), r.find(tx, f"RltdPties/Ultmt{party}")):
        if holder is None:
            continue
        name = r.text(holder, "Nm") or r.text(holder, "Pty/Nm")  # Pty/ from camt.053.001.08 on
        details.counterparty_name = details.counterparty_name or name
        details.counterparty_ids.extend(t.text.strip() for t in r.descendants(holder, "Id")
                                        if t.text and t.text.strip())
    details.counterparty_iban = r.text(tx, f"RltdPties/{party}Acct/Id/IBAN")
    return details


def _tx_amount(r: _Reader, tx: Any) -> tuple[int | None, str | None]:
    for path in ("Amt", "AmtDtls/TxAmt/Amt"):
        el = r.find(tx, path)
        if el is not None:
            return domain.amount_to_cents(el.text), el.get("Ccy")
    return None, None


def _entry_lines(r: _Reader, entry: Any, index: int, fallback_on: date | None) -> list[ParsedLine]:
    amount_el = r.find(entry, "Amt")
    cents = domain.amount_to_cents(amount_el.text if amount_el is not None else None)
    if cents is None:
        raise CamtError(N_("Entry %(n)s has no valid amount."), n=index)
    currency = (amount_el.get("Ccy") or "").strip().upper()[:3]
    direction = _direction(r.text(entry, "CdtDbtInd"), index)
    status = r.text(entry, "Sts") or r.text(entry, "Sts/Cd") or "BOOK"
    booked_on = (_either_date(r, r.find(entry, "BookgDt"), "BookgDt") or _either_date(r, r.find(entry, "ValDt"), "ValDt")
                 or fallback_on)
    if booked_on is None:
        raise CamtError(N_("Entry %(n)s has no booking date."), n=index)
    common = {
        "entry_index": index, "currency": currency, "booked_on": booked_on,
        "value_on": _either_date(r, r.find(entry, "ValDt"), "ValDt"), "booked": status == "BOOK",
        "reversal": (r.text(entry, "RvslInd") or "").lower() in ("true", "1"),
        "entry_reference": _cut(r.text(entry, "AcctSvcrRef"), "id"), "entry_ref": _cut(r.text(entry, "NtryRef"), "id"),
    }
    entry_texts = r.texts(entry, "AddtlNtryInf")
    txs = r.findall(entry, "NtryDtls/TxDtls")
    # A debit giving a credit back names the credit's payer, and is a return for all its payments when the entry
    # itself carries a return's bank transaction code.
    entry_returned = _is_return(r, entry)
    gives_back = direction == "debit" and (common["reversal"] or entry_returned)
    if len(txs) > 1:
        amounts = [_tx_amount(r, tx) for tx in txs]
        directions = [r.text(tx, "CdtDbtInd") for tx in txs]
        if (all(a is not None and (c or currency) == currency for a, c in amounts)
                and sum(a for a, _c in amounts if a is not None) == cents
                and all(d in (None, r.text(entry, "CdtDbtInd")) for d in directions)):
            return [_line(r, common, tx_index, direction, amount, _details(r, tx, direction, gives_back=gives_back), [],
                          entry_returned=entry_returned)
                    for tx_index, (tx, (amount, _c)) in enumerate(zip(txs, amounts, strict=True), start=1)
                    if amount]
        # The parts do not add up to what was booked: one line for the whole entry, for a person to match.
        merged = _Details(free_texts=entry_texts)
        for tx in txs:
            part = _details(r, tx, direction, gives_back=gives_back)
            merged.free_texts.extend(part.free_texts)
            merged.counterparty_name = merged.counterparty_name or part.counterparty_name
            merged.returned = merged.returned or part.returned
            merged.return_reason_code = merged.return_reason_code or part.return_reason_code
        return [_line(r, common, 0, direction, cents, merged, [], allow_match=False, entry_returned=entry_returned)]
    details = _details(r, txs[0], direction, gives_back=gives_back) if txs else _Details()
    return [_line(r, common, 1 if txs else 0, direction, cents, details, entry_texts, entry_returned=entry_returned)]


def _line(r: _Reader, common: dict[str, Any], tx_index: int, direction: str, cents: int, d: _Details,
          entry_texts: list[str], *, allow_match: bool = True, entry_returned: bool = False) -> ParsedLine:
    texts = d.free_texts + entry_texts
    found = domain.find_structured_reference(d.creditor_references, texts)
    references = found.references if allow_match else ()
    enterprise = domain.find_enterprise_number([*d.counterparty_ids, d.counterparty_name, *texts])
    return ParsedLine(
        tx_index=tx_index, direction=direction, amount_cents=cents,
        tx_reference=_cut(d.tx_reference, "id"), end_to_end_id=_cut(d.end_to_end_id, "id"),
        structured_reference=references[0] if references else None, more_references=references[1:],
        reference_text=_cut(found.raw, "ref"), returned=entry_returned or d.returned,
        remittance_text=_cut(" | ".join(texts), "text"), counterparty_name=_cut(d.counterparty_name, "name"),
        counterparty_iban=_cut((d.counterparty_iban or "").replace(" ", "").upper() or None, "iban"),
        counterparty_id=_cut(d.counterparty_ids[0] if d.counterparty_ids else None, "party_id"),
        enterprise_number=enterprise, return_reason_code=_cut(d.return_reason_code, "id"), **common)


@functools.lru_cache(maxsize=2)
def _schema(path: str) -> Any:
    return etree.XMLSchema(etree.parse(path))


def schema_valid(parsed: ParsedFile, xsd_path: str | Path | None) -> bool | None:
    """Whether the file passes the camt.053.001.02 XSD; None when not checked (another version, no XSD).
    Only information: real bank files often fail it, and they are still read."""
    if not xsd_path or parsed.version != "camt.053.001.02" or parsed.tree is None or not Path(xsd_path).is_file():
        return None
    return bool(_schema(str(xsd_path)).validate(parsed.tree))
