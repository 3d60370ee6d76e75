"""Payout batches: approved provider claims bundled into one SEPA credit-transfer file (pain.001.001.03).

A claim joins at most one batch at a time (``claims.payout_batch_id``), chosen under a row lock, as one transfer
of the file (``PayoutTransfer``, with an end-to-end id of its own). The bank's answer is followed per transfer
(``services.transfers``): the fund's statement or a pain.002 report marks it paid, or refused, or returned; a
person may still mark the whole batch paid by hand. A paid claim moves from ``approved`` to ``paid`` and the
ledger moves the money out (cash and payable, each minus the claim's amount); a claim whose transfer failed is
``approved`` again, out of its batch, and joins the next one in a new transfer.
The generated XML is kept in the database (no files beside the code), so any web host can
serve it again.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lxml import etree
from sepaxml import SepaTransfer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError

from coaching.claims.models import Claim
from coaching.providers.models import Provider
from portal import audit
from portal.clock import BRUSSELS, utcnow
from portal.db import lock_row
from portal.errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from portal.permissions import Permission, can
from vouchers.banking.models import PayoutBatch
from vouchers.banking.payout_models import PayoutTransfer
from vouchers.banking.services import transfers as transfer_states

PAIN_SCHEMA = "pain.001.001.03"


PAIN_NAMESPACE = f"urn:iso:std:iso:20022:tech:xsd:{PAIN_SCHEMA}"


class PayoutFileInvalid(RuntimeError):
    """The generated file failed the XSD: a defect on our side, never sent to a bank."""


@dataclass(frozen=True)
class DebtorAccount:
    """The fund's own account, from which providers are paid."""

    iban: str
    name: str
    bic: str | None = None


def _require(admin: Any) -> None:
    if not can(admin, Permission.ADMIN_PAYOUTS_MANAGE):
        raise Forbidden(N_("Only the fund's administrators may do this."))


def clean_debtor(iban: str, name: str, bic: str | None) -> DebtorAccount:
    problems: dict[str, list[str]] = {}
    try:
        iban = stdnum_iban.validate(iban or "")
    except StdnumError:
        problems["debtor_iban"] = [N_("The fund's IBAN (setting FUND_IBAN) is not valid.")]
    if not (name or "").strip():
        problems["debtor_name"] = [N_("The fund's account name (setting FUND_NAME) is missing.")]
    if bic:
        try:
            bic = stdnum_bic.validate(bic)
        except StdnumError:
            problems["debtor_bic"] = [N_("The fund's BIC (setting FUND_BIC) is not valid.")]
    if problems:
        raise ValidationFailed(N_("The fund's bank account is not configured correctly."),
                               code="fund_account_invalid", fields=problems)
    return DebtorAccount(iban=iban, name=name.strip(), bic=bic or None)


def remittance_text(claim_id: int) -> str:
    """Unstructured remittance (``RmtInf/Ustrd``) that lets the provider match the transfer to its claim."""
    return f"TNW claim {claim_id}"


def end_to_end_id(claim_id: int, attempt: int = 1) -> str:
    """The transfer's ``EndToEndId``: the claim's first transfer is ``TNW-CLAIM-<id>``, a later one (after the
    bank refused or returned the first) ``TNW-CLAIM-<id>-<attempt>``, so the bank's answers name one transfer."""
    return f"TNW-CLAIM-{claim_id}" if attempt == 1 else f"TNW-CLAIM-{claim_id}-{attempt}"


def message_id_for(batch_id: int, on: date) -> str:
    return f"TNW-PAYOUT-{on:%Y%m%d}-{batch_id:08d}"


@functools.lru_cache(maxsize=4)
def _schema(path: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(path))


def validate_pain001(xml: bytes | str, xsd_path: str | Path) -> None:
    """Raise ``PayoutFileInvalid`` unless ``xml`` is valid against the pain.001 XSD at ``xsd_path``."""
    document = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    schema = _schema(str(xsd_path))
    if not schema.validate(document):
        raise PayoutFileInvalid("; ".join(f"line {e.line}: {e.message}" for e in schema.error_log))


@dataclass(frozen=True)
class Transfer:
    """One claim's transfer; ``end_to_end`` when it is not the claim's first."""

    claim_id: int
    provider_name: str
    iban: str
    amount_cents: int
    end_to_end: str | None = None


@dataclass(frozen=True)
class Payment:
    """One credit transfer of a file, whatever it pays."""

    name: str
    iban: str
    amount_cents: int
    end_to_end_id: str
    remittance: str


def build_pain001(debtor: DebtorAccount, transfers: list[Transfer], *, message_id: str, execution_on: date,
                  now: datetime) -> bytes:
    """A pain.001.001.03 credit-transfer file: one transaction per claim, batch booking, EUR."""
    return build_credit_transfers(debtor, [
        Payment(t.provider_name, t.iban, t.amount_cents, t.end_to_end or end_to_end_id(t.claim_id),
                remittance_text(t.claim_id)) for t in transfers], message_id=message_id, execution_on=execution_on,
        now=now)


def build_credit_transfers(debtor: DebtorAccount, payments: list[Payment], *, message_id: str, execution_on: date,
                           now: datetime) -> bytes:
    """A pain.001.001.03 credit-transfer file from the fund's account: one transaction per payment, batch booking,
    EUR, with our own message and end-to-end ids (which the bank's statements and status reports give back)."""
    config: dict[str, Any] = {"name": debtor.name, "IBAN": debtor.iban, "batch": True, "currency": "EUR"}
    if debtor.bic:
        config["BIC"] = debtor.bic
    sepa = SepaTransfer(config, schema=PAIN_SCHEMA, clean=True)
    for payment in payments:
        sepa.add_payment({"name": payment.name, "IBAN": payment.iban, "amount": payment.amount_cents,
                          "execution_date": execution_on, "description": payment.remittance,
                          "endtoend_id": payment.end_to_end_id})
    raw = sepa.export(validate=False)  # validated below against the configured XSD, with lxml
    # Deterministic identifiers instead of the library's random ones, and the creation time we were given.
    document = etree.fromstring(raw)
    ns = {"p": PAIN_NAMESPACE}
    document.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", ns).text = message_id
    document.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:CreDtTm", ns).text = now.astimezone(BRUSSELS).strftime(
        "%Y-%m-%dT%H:%M:%S")
    for index, payment_info in enumerate(document.findall("p:CstmrCdtTrfInitn/p:PmtInf/p:PmtInfId", ns), 1):
        payment_info.text = f"{message_id}-{index}"
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


def approved_unbatched(session: Session) -> tuple[int, int]:
    """How many approved claims wait for a batch, and their total in cents."""
    count, total = session.execute(
        select(func.count(Claim.id), func.coalesce(func.sum(Claim.amount_cents), 0))
        .where(Claim.status == "approved", Claim.payout_batch_id.is_(None))).one()
    return int(count), int(total)


def create_payout_batch(session: Session, admin: Any, *, today: date, now: datetime, debtor_iban: str,
                        debtor_name: str, debtor_bic: str | None, xsd_path: str | None = None) -> PayoutBatch:
    """Bundle every approved claim not yet in a batch into one pain.001 file to the providers' IBANs.

    The claims are taken under a row lock, so two administrators at once never put a claim in
    two batches. 409 when no claim is waiting, or when a provider's IBAN is not valid. With
    ``xsd_path`` the file is validated against the schema before anything is saved.
    """
    _require(admin)
    debtor = clean_debtor(debtor_iban, debtor_name, debtor_bic)
    claims = list(session.scalars(
        select(Claim).where(Claim.status == "approved", Claim.payout_batch_id.is_(None)).order_by(Claim.id)
        .with_for_update().execution_options(populate_existing=True)))
    if not claims:
        raise Conflict(N_("No approved claim is waiting to be paid."), code="nothing_to_pay")
    providers = {p.id: p for p in session.scalars(
        select(Provider).where(Provider.id.in_({c.provider_id for c in claims})))}
    # A claim whose earlier transfer was refused or returned is paid by a new one, with an id of its own.
    attempts = dict(session.execute(
        select(PayoutTransfer.claim_id, func.count(PayoutTransfer.id))
        .where(PayoutTransfer.claim_id.in_([c.id for c in claims])).group_by(PayoutTransfer.claim_id)).all())
    transfers, bad_iban = [], []
    for claim in claims:
        provider = providers[claim.provider_id]
        try:
            iban = stdnum_iban.validate(provider.iban or "")
        except StdnumError:
            bad_iban.append(f"claim {claim.id}: provider {provider.id} ({provider.name})")
            continue
        transfers.append(Transfer(claim.id, provider.name, iban, claim.amount_cents,
                                  end_to_end_id(claim.id, attempts.get(claim.id, 0) + 1)))
    if bad_iban:
        raise Conflict(N_("Some providers have no valid IBAN; correct it before paying them."),
                       code="provider_iban_invalid", fields={"claims": bad_iban})
    total = sum(claim.amount_cents for claim in claims)
    batch = PayoutBatch(created_at=now, created_by=getattr(admin, "id", None), total_cents=total,
                        claim_count=len(claims), status="created", execution_on=today,
                        message_id=f"TNW-PENDING-{secrets.token_hex(8)}", xml="")
    session.add(batch)
    session.flush()  # the id names the file
    batch.message_id = message_id_for(batch.id, today)
    in_file = [t for t in transfers if t.amount_cents > 0]  # a zero claim is settled with the batch, moving no money
    if in_file:
        xml = build_pain001(debtor, in_file, message_id=batch.message_id, execution_on=today, now=now)
        if xsd_path:
            validate_pain001(xml, xsd_path)
        batch.xml = xml.decode("utf-8")
    for claim in claims:
        claim.payout_batch_id = batch.id
        audit.record(session, actor=admin, object_type="claim", object_id=claim.id, action="batched",
                     reason=f"payout batch {batch.id}", now=now)
    audit.record(session, actor=admin, object_type="payout_batch", object_id=batch.id, action="created",
                 to_state="created", reason=f"{len(claims)} claims, {total} cents", now=now)
    rows = [PayoutTransfer(batch_id=batch.id, claim_id=t.claim_id, end_to_end_id=t.end_to_end,
                           creditor_name=t.provider_name[:140], creditor_iban=t.iban, amount_cents=t.amount_cents,
                           status="pending", created_at=now, updated_at=now) for t in transfers]
    session.add_all(rows)
    session.flush()
    for row in rows:
        if not row.amount_cents:
            transfer_states.mark_paid(session, row, on=today, now=now, actor=admin, by_hand="a claim of 0: no transfer")
    return batch


def get_batch(session: Session, admin: Any, batch_id: int) -> PayoutBatch:
    _require(admin)
    batch = session.get(PayoutBatch, batch_id)
    if batch is None:
        raise NotFound(N_("This payout batch does not exist."))
    return batch


def list_batches(session: Session, admin: Any, *, limit: int = 50, before_id: int | None = None) -> list[PayoutBatch]:
    """Newest first."""
    _require(admin)
    query = select(PayoutBatch)
    if before_id is not None:
        query = query.where(PayoutBatch.id < before_id)
    return list(session.scalars(query.order_by(PayoutBatch.id.desc()).limit(limit)))


def batch_claims(session: Session, batch_id: int) -> list[tuple[PayoutTransfer, Claim, Provider]]:
    """The batch's transfers, each with its claim and the claim's provider (a claim whose transfer failed has left
    the batch, but its transfer stays listed)."""
    return list(session.execute(
        select(PayoutTransfer, Claim, Provider).join(Claim, Claim.id == PayoutTransfer.claim_id)
        .join(Provider, Provider.id == Claim.provider_id)
        .where(PayoutTransfer.batch_id == batch_id).order_by(PayoutTransfer.id)).tuples())


def mark_batch_paid(session: Session, admin: Any, batch_id: int, *, today: date,
                    now: datetime | None = None) -> PayoutBatch:
    """A person says the bank executed the file: each transfer still waiting becomes paid, its claim too, and the
    money leaves the ledger, exactly once. (Transfers the bank refused or returned stay as they are.)

    409 the second time (the batch is locked and checked first), for a batch the bank refused, and if any claim
    still waiting in it is not ``approved`` any more, so a claim is never paid twice.
    """
    now = now or utcnow()
    batch = get_batch(session, admin, batch_id)
    lock_row(session, batch)
    if batch.status == "paid":
        raise Conflict(N_("This payout batch is already marked as paid."), code="already_paid",
                       extra={"paid_on": batch.paid_on.isoformat() if batch.paid_on else None})
    if batch.status == "rejected":
        raise Conflict(N_("The bank refused every transfer of this batch: its claims wait for a new batch."),
                       code="batch_rejected")
    waiting = [t for t in transfer_states.transfers_of_batch(session, batch.id) if t.status == "pending"]
    claims = {c.id: c for c in session.scalars(
        select(Claim).where(Claim.id.in_([t.claim_id for t in waiting])).order_by(Claim.id)
        .with_for_update().execution_options(populate_existing=True))}
    not_payable = [f"claim {c.id}: {c.status}" for c in claims.values() if c.status != "approved"]
    if not_payable or len(claims) != len(waiting):
        raise Conflict(N_("Some claims of this batch cannot be paid: they are not approved any more."),
                       code="claims_not_payable", fields={"claims": not_payable})
    for transfer in waiting:
        transfer_states.mark_paid(session, transfer, on=today, now=now, actor=admin, by_hand="batch marked paid by hand")
    session.flush()
    return batch
