"""A beneficiary's rights over their data: a full export, and closing the account.

Closing anonymises personal data (name, e-mail, NISS, address) but keeps the
money records and their audit trail, which the fund must keep.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from portal import audit
from portal.auth.models import User
from portal.auth.passwords import hash_password, verify_password
from portal.auth.services import revoke_everywhere
from portal.errors import N_, Conflict, ValidationFailed
from portal.notifications.models import Notification
from vouchers.requests.models import MemberInvitation, Voucher, VoucherRequest
from vouchers.requests.presenters import voucher_dict
from vouchers.requests.services.requests import beneficiary_of

_REQUEST_FIELDS = ("id", "status", "route", "insurer_code", "initiative", "force_majeure", "contract_end_on",
                   "incapacity_start_on", "benefits_scheme", "in_approved_retraining",
                   "in_professional_rehabilitation", "planned_start_on", "planned_end_on", "street", "house_number",
                   "box", "postcode", "municipality", "country", "submitted_on", "decision_due_on", "decided_on",
                   "decision_reason", "provider_id")


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def export_beneficiary_data(session: Session, actor: Any) -> dict[str, Any]:
    beneficiary = beneficiary_of(session, actor)
    user = session.get(User, actor.id)
    assert user is not None
    requests = session.scalars(select(VoucherRequest).where(VoucherRequest.beneficiary_id == beneficiary.id)).all()
    vouchers = session.scalars(select(Voucher).where(Voucher.beneficiary_id == beneficiary.id)).all()
    trail = session.scalars(select(audit.AuditEntry).where(
        ((audit.AuditEntry.object_type == "voucher_request") & audit.AuditEntry.object_id.in_([r.id for r in requests]))
        | ((audit.AuditEntry.object_type == "voucher") & audit.AuditEntry.object_id.in_([v.id for v in vouchers]))
        | ((audit.AuditEntry.object_type == "user") & (audit.AuditEntry.object_id == user.id))
    ).order_by(audit.AuditEntry.id)).all()
    return {
        "account": {"email": user.email, "first_name": user.first_name, "last_name": user.last_name,
                    "language": user.language, "created_at": _plain(user.created_at),
                    "confirmed_at": _plain(user.confirmed_at), "niss": beneficiary.niss},
        "voucher_requests": [{**{name: _plain(getattr(r, name)) for name in _REQUEST_FIELDS}, **_filed_by(r)}
                             for r in requests],
        "vouchers": [{k: _plain(v) for k, v in voucher_dict(session, voucher).items()} for voucher in vouchers],
        "history": [{"at": _plain(e.at), "object": e.object_type, "object_id": e.object_id, "action": e.action,
                     "from": e.from_state, "to": e.to_state, "reason": e.reason} for e in trail],
    }


def _filed_by(request: VoucherRequest) -> dict[str, Any]:
    """Who filed the request on the person's behalf, and the day they consented to it."""
    coordinator = request.coordinator
    if coordinator is None:
        return {"coordinator": None, "consent_on": None}
    return {"coordinator": {"name": coordinator.display_name, "email": coordinator.email,
                            "insurer_code": coordinator.insurer_code}, "consent_on": _plain(request.consent_on)}


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
    for draft in session.scalars(select(VoucherRequest).where(VoucherRequest.beneficiary_id == beneficiary.id)):
        draft.street, draft.house_number, draft.box = "", "", None
        draft.municipality = ""
    user.email = f"closed-{user.id}-{secrets.token_hex(4)}@anonymised.invalid"
    user.first_name, user.last_name = "", ""
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    user.anonymised_at = now
    user.active = False
    beneficiary.niss = None
    session.execute(update(MemberInvitation).where(MemberInvitation.beneficiary_id == beneficiary.id).values(
        niss=None, first_name="", last_name="", email=f"closed-{user.id}@anonymised.invalid"))
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = None, None, None
    # What the portal told the person names them and their file: it goes with the account.
    session.execute(delete(Notification).where(Notification.user_id == user.id))
    revoke_everywhere(session, user, now=now)
    audit.record(session, actor=user, object_type="user", object_id=user.id, action="account_closed", now=now)
    session.flush()
