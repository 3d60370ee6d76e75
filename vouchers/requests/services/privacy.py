"""A beneficiary's rights over their data: a full export, and closing the account (``portal.privacy`` gathers
every package's share; this module is the voucher side's, registered with it when the app is composed).

The voucher side holds: the NISS, the requests (with who filed them for the person, and the day the person
consented), the coordinator's invitation, the vouchers and their use, and, for a NISS proven with itsme or eID
only, the dismissal an employer declared about it (DOMAIN.md, "Identity": a typed NISS sees nothing of it).

Closing erases the NISS, the address in the requests and the invitation's identity, and keeps the money records
and their audit trail, which the fund must keep. An employer's declaration stays on the employer's side: it is
the employer's legal filing, which its contributions rest on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from portal import privacy
from portal.auth.models import User
from portal.auth.passwords import verify_password
from portal.errors import N_, Conflict, ValidationFailed
from portal.mail import OutboxMessage
from portal.privacy import plain
from vouchers.employers.models import Declaration, Employer
from vouchers.requests.models import (
    Beneficiary,
    MemberInvitation,
    Voucher,
    VoucherRequest,
)
from vouchers.requests.presenters import voucher_dict
from vouchers.requests.services.requests import beneficiary_of
from vouchers.requests.usage import UsageEntry

_REQUEST_FIELDS = ("id", "status", "route", "insurer_code", "initiative", "force_majeure", "contract_end_on",
                   "incapacity_start_on", "benefits_scheme", "in_approved_retraining",
                   "in_professional_rehabilitation", "planned_start_on", "planned_end_on", "street", "house_number",
                   "box", "postcode", "municipality", "country", "submitted_on", "decision_due_on", "decided_on",
                   "decision_reason", "provider_id")


def export_beneficiary_data(session: Session, actor: Any) -> dict[str, Any]:
    """Everything the portal holds about the beneficiary (every package's share)."""
    beneficiary_of(session, actor)
    user = session.get(User, actor.id)
    assert user is not None
    return privacy.export_person(session, user)


def close_beneficiary_account(session: Session, actor: Any, password: str, *, now: datetime) -> None:
    beneficiary = beneficiary_of(session, actor)
    user = session.get(User, actor.id)
    assert user is not None
    if not verify_password(user.password_hash, password):
        raise ValidationFailed(N_("This is not your current password."),
                               fields={"password": [N_("This is not your current password.")]})
    open_request = session.scalar(select(VoucherRequest.id).where(
        VoucherRequest.beneficiary_id == beneficiary.id,
        VoucherRequest.status.in_(("submitted", "info_requested", "waitlisted"))))
    open_voucher = session.scalar(select(Voucher.id).where(Voucher.beneficiary_id == beneficiary.id,
                                                           Voucher.status.in_(("approved", "in_progress"))))
    if open_request or open_voucher:
        raise Conflict(N_("Please withdraw your open request or voucher before closing your account."),
                       code="open_items")
    privacy.erase_person(session, user, now=now)


# --- the voucher side's share ----------------------------------------------------------------------------------


def _beneficiary(session: Session, user: User) -> Beneficiary | None:
    return session.scalar(select(Beneficiary).where(Beneficiary.user_id == user.id))


def _export(session: Session, user: User) -> dict[str, Any]:
    beneficiary = _beneficiary(session, user)
    if beneficiary is None:
        return {}
    requests = session.scalars(select(VoucherRequest).where(VoucherRequest.beneficiary_id == beneficiary.id)
                               .order_by(VoucherRequest.id)).all()
    vouchers = session.scalars(select(Voucher).where(Voucher.beneficiary_id == beneficiary.id)
                               .order_by(Voucher.id)).all()
    usage = session.scalars(select(UsageEntry).where(UsageEntry.voucher_id.in_([v.id for v in vouchers]))
                            .order_by(UsageEntry.id)).all() if vouchers else []
    invitations = session.scalars(select(MemberInvitation).where(MemberInvitation.beneficiary_id == beneficiary.id)
                                  .order_by(MemberInvitation.id)).all()
    return {
        "account": {"niss": beneficiary.niss, "niss_proven_at": plain(beneficiary.niss_proven_at)},
        "voucher_requests": [{**{name: plain(getattr(r, name)) for name in _REQUEST_FIELDS}, **_filed_by(r)}
                             for r in requests],
        "coordinator_invitations": [_invitation(invitation) for invitation in invitations],
        "vouchers": [{k: plain(v) for k, v in voucher_dict(session, voucher).items()} for voucher in vouchers],
        "voucher_use": [{"voucher_id": u.voucher_id, "coaching_session_id": u.coaching_session_id, "kind": u.kind,
                         "individual_minutes": u.individual_minutes, "collective_sessions": u.collective_sessions,
                         "amount_cents": u.amount_cents, "at": plain(u.created_at)} for u in usage],
        "declared_dismissals": _declared_dismissals(session, beneficiary),
    }


def _filed_by(request: VoucherRequest) -> dict[str, Any]:
    """Who filed the request on the person's behalf, and the day they consented to it."""
    coordinator = request.coordinator
    if coordinator is None:
        return {"coordinator": None, "consent_on": None}
    return {"coordinator": {"name": coordinator.display_name, "email": coordinator.email,
                            "insurer_code": coordinator.insurer_code}, "consent_on": plain(request.consent_on)}


def _invitation(invitation: MemberInvitation) -> dict[str, Any]:
    """What a coordinator recorded to invite the person, and when the person accepted (their consent)."""
    return {"first_name": invitation.first_name, "last_name": invitation.last_name, "email": invitation.email,
            "niss": invitation.niss, "language": invitation.language, "sent_at": plain(invitation.sent_at),
            "accepted_at": plain(invitation.accepted_at), "coordinator_id": invitation.coordinator_id}


def _declared_dismissals(session: Session, beneficiary: Beneficiary) -> list[dict[str, Any]]:
    """What employers declared about the person's NISS: only once it is proven (DOMAIN.md, "Identity")."""
    if beneficiary.niss is None or beneficiary.niss_proven_at is None:
        return []
    rows = session.execute(select(Declaration, Employer.company_name)
                           .join(Employer, Employer.id == Declaration.employer_id)
                           .where(Declaration.worker_niss == beneficiary.niss).order_by(Declaration.id)).all()
    return [{"employer": company, "worker_first_name": d.worker_first_name, "worker_last_name": d.worker_last_name,
             "contract_end_on": plain(d.contract_end_on), "physician_decision_on": plain(d.physician_decision_on),
             "declared_on": plain(d.declared_on), "status": d.status} for d, company in rows]


def _objects(session: Session, user: User) -> list[tuple[str, int]]:
    beneficiary = _beneficiary(session, user)
    if beneficiary is None:
        return []
    requests = session.scalars(select(VoucherRequest.id).where(VoucherRequest.beneficiary_id == beneficiary.id))
    vouchers = session.scalars(select(Voucher.id).where(Voucher.beneficiary_id == beneficiary.id))
    return [("voucher_request", i) for i in requests] + [("voucher", i) for i in vouchers]


def _erase(session: Session, user: User, now: datetime) -> None:
    beneficiary = _beneficiary(session, user)
    if beneficiary is None:
        return
    session.execute(update(VoucherRequest).where(VoucherRequest.beneficiary_id == beneficiary.id)
                    .values(street="", house_number="", box=None, municipality="")
                    .execution_options(synchronize_session="fetch"))
    # The coordinator's invitation named the person and went to an address that may not be the account's.
    invitations = session.scalars(select(MemberInvitation).where(MemberInvitation.beneficiary_id == beneficiary.id))
    addresses = {invitation.email.lower() for invitation in invitations if invitation.email}
    if addresses:
        session.execute(delete(OutboxMessage).where(func.lower(OutboxMessage.recipient).in_(sorted(addresses)))
                        .execution_options(synchronize_session=False))
    session.execute(update(MemberInvitation).where(MemberInvitation.beneficiary_id == beneficiary.id).values(
        niss=None, first_name="", last_name="", email=f"closed-{user.id}@anonymised.invalid")
        .execution_options(synchronize_session="fetch"))
    beneficiary.niss = None
    beneficiary.niss_proven_at = None


privacy.register("vouchers", privacy.PersonalData(export=_export, erase=_erase, objects=_objects))
