"""Payout batches: approved provider claims bundled into one SEPA credit-transfer file (pain.001.001.03).

A claim joins at most one batch (``claims.payout_batch_id``), chosen under a row lock, and a
batch is marked paid once: each of its claims then moves from ``approved`` to ``paid`` and
the ledger moves the money out (cash and payable, each minus the claim's amount).
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
from coaching.claims.services import tell_provider
from coaching.providers.models import Provider
from portal import audit
from portal.clock import BRUSSELS, utcnow
from portal.db import lock_row
from portal.errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from portal.permissions import Permission, can
from vouchers.banking.models import PayoutBatch
from vouchers.ledger.services import entries as ledger

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


def _clean_debtor(iban: str, name: str, bic: str | None) -> DebtorAccount:
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


def end_to_end_id(claim_id: int) -> str:
    return f"TNW-CLAIM-{claim_id}"


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
    claim_id: int
    provider_name: str
    iban: str
    amount_cents: int


def build_pain001(debtor: DebtorAccount, transfers: list[Transfer], *, message_id: str, execution_on: date,
                  now: datetime) -> bytes:
    """A pain.001.001.03 credit-transfer file: one transaction per claim, batch booking, EUR."""
    config: dict[str, Any] = {"name": debtor.name, "IBAN": debtor.iban, "batch": True, "currency": "EUR"}
    if debtor.bic:
        config["BIC"] = debtor.bic
    sepa = SepaTransfer(config, schema=PAIN_SCHEMA, clean=True)
    for transfer in transfers:
        sepa.add_payment({"name": transfer.provider_name, "IBAN": transfer.iban, "amount": transfer.amount_cents,
                          "execution_date": execution_on, "description": remittance_text(transfer.claim_id),
                          "endtoend_id": end_to_end_id(transfer.claim_id)})
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
    debtor = _clean_debtor(debtor_iban, debtor_name, debtor_bic)
    claims = list(session.scalars(
        select(Claim).where(Claim.status == "approved", Claim.payout_batch_id.is_(None)).order_by(Claim.id)
        .with_for_update().execution_options(populate_existing=True)))
    if not claims:
        raise Conflict(N_("No approved claim is waiting to be paid."), code="nothing_to_pay")
    providers = {p.id: p for p in session.scalars(
        select(Provider).where(Provider.id.in_({c.provider_id for c in claims})))}
    transfers, bad_iban = [], []
    for claim in claims:
        provider = providers[claim.provider_id]
        try:
            iban = stdnum_iban.validate(provider.iban or "")
        except StdnumError:
            bad_iban.append(f"claim {claim.id}: provider {provider.id} ({provider.name})")
            continue
        if claim.amount_cents > 0:  # a zero claim is settled with the batch, but moves no money
            transfers.append(Transfer(claim.id, provider.name, iban, claim.amount_cents))
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
    if transfers:
        xml = build_pain001(debtor, transfers, message_id=batch.message_id, execution_on=today, now=now)
        if xsd_path:
            validate_pain001(xml, xsd_path)
        batch.xml = xml.decode("utf-8")
    for claim in claims:
        claim.payout_batch_id = batch.id
        audit.record(session, actor=admin, object_type="claim", object_id=claim.id, action="batched",
                     reason=f"payout batch {batch.id}", now=now)
    audit.record(session, actor=admin, object_type="payout_batch", object_id=batch.id, action="created",
                 to_state="created", reason=f"{len(claims)} claims, {total} cents", now=now)
    session.flush()
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


def batch_claims(session: Session, batch_id: int) -> list[tuple[Claim, Provider]]:
    return list(session.execute(select(Claim, Provider).join(Provider, Provider.id == Claim.provider_id)
                                .where(Claim.payout_batch_id == batch_id).order_by(Claim.id)).tuples())


def mark_batch_paid(session: Session, admin: Any, batch_id: int, *, today: date,
                    now: datetime | None = None) -> PayoutBatch:
    """The bank executed the file: each claim becomes paid and the money leaves the ledger, exactly once.

    409 the second time (the batch is locked and checked first), and 409 if any of its claims
    is not ``approved`` any more, so a claim is never paid twice.
    """
    now = now or utcnow()
    batch = get_batch(session, admin, batch_id)
    lock_row(session, batch)
    if batch.status == "paid":
        raise Conflict(N_("This payout batch is already marked as paid."), code="already_paid",
                       extra={"paid_on": batch.paid_on.isoformat() if batch.paid_on else None})
    claims = list(session.scalars(select(Claim).where(Claim.payout_batch_id == batch.id).order_by(Claim.id)
                                  .with_for_update().execution_options(populate_existing=True)))
    not_payable = [f"claim {c.id}: {c.status}" for c in claims if c.status != "approved"]
    if not_payable or len(claims) != batch.claim_count:
        raise Conflict(N_("Some claims of this batch cannot be paid: they are not approved any more."),
                       code="claims_not_payable", fields={"claims": not_payable})
    for claim in claims:
        claim.status = "paid"
        claim.paid_on = today
        if claim.amount_cents:
            ledger.post(session, account="cash", kind="claim_paid", amount_cents=-claim.amount_cents,
                        booked_on=today, voucher_id=claim.voucher_id, claim_id=claim.id,
                        memo=f"payout batch {batch.id}")
            ledger.post(session, account="payable", kind="claim_paid", amount_cents=-claim.amount_cents,
                        booked_on=today, voucher_id=claim.voucher_id, claim_id=claim.id,
                        memo=f"payout batch {batch.id}")
        audit.record(session, actor=admin, object_type="claim", object_id=claim.id, action="status_changed",
                     from_state="approved", to_state="paid", reason=f"payout batch {batch.id}", now=now)
        tell_provider(session, claim, "claim_paid")
    batch.status = "paid"
    batch.paid_on = today
    batch.paid_by = getattr(admin, "id", None)
    audit.record(session, actor=admin, object_type="payout_batch", object_id=batch.id, action="status_changed",
                 from_state="created", to_state="paid", reason=f"{len(claims)} claims, {batch.total_cents} cents",
                 now=now)
    session.flush()
    return batch
