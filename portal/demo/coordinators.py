"""Demo data: a mutual insurer's return-to-work coordinator with a caseload in every state (members who have
and have not accepted their invitation, a question from the fund, a voucher, a refusal, a withdrawal)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.providers.models import Provider
from portal.auth.models import User
from portal.demo.numbers import national_number
from portal.permissions import Role
from vouchers.coordinators.services.filing import Member, file_for_member
from vouchers.coordinators.services.invitations import accept_invitation
from vouchers.coordinators.services.staff import make_coordinator
from vouchers.requests.models import Beneficiary, VoucherRequest
from vouchers.requests.services.requests import (
    RequestData,
    decide_voucher_request,
    withdraw_voucher_request,
)

#: People without an account yet, filed for by the coordinator: names, birth dates and serials of their NISS.
NEW_MEMBERS = (("Amélie", "Lambotte", date(1983, 2, 14), 123), ("Youssef", "El Amrani", date(1979, 11, 30), 45),
               ("Griet", "Vermeulen", date(1990, 6, 2), 209))


def seed_coordinator(session: Session, *, email: str, password: str, provider: Provider, fund_admin: User,
                     today: date, now: datetime) -> User:
    coordinator = session.scalar(User.by_email(email))
    if coordinator is None:
        coordinator = make_coordinator(session, email=email, password=password, insurer_code=300,
                                       first_name="Karim", last_name="Benali", language="fr", confirmed_at=now)
    if session.scalar(select(VoucherRequest.id).where(VoucherRequest.coordinator_id == coordinator.id)) is not None:
        return coordinator
    address = {"street": "Rue Saint-Gilles", "number": "40", "postcode": "4000", "municipality": "Liège"}

    def data(age_days: int) -> RequestData:
        return RequestData(provider_id=provider.id, insurer_code=300, initiative="coordinator", force_majeure=True,
                           contract_end_on=today - timedelta(days=30 + age_days), address=address)

    def filed(member: Member, age_days: int) -> VoucherRequest:
        request = file_for_member(session, coordinator, member, data(age_days), consent_on=today,
                                  today=today, now=now)
        request.submitted_on = today - timedelta(days=age_days)
        request.decision_due_on = request.submitted_on + timedelta(days=45)
        request.consent_on = request.submitted_on - timedelta(days=2)
        return request

    # Members without an account yet: one waiting, one asked for information, one refused.
    waiting, asked, refused = (
        filed(Member(niss=national_number(born, serial), first_name=first, last_name=last,
                     email=f"member{serial}@example.be", language="fr"), age)
        for (first, last, born, serial), age in zip(NEW_MEMBERS, (3, 12, 20), strict=True))
    decide_voucher_request(session, fund_admin, asked.id, "request_info",
                           "Merci d'envoyer la lettre qui met fin au contrat.", today=today, now=now)
    decide_voucher_request(session, fund_admin, refused.id, "reject",
                           "Le contrat a pris fin avant le 1er avril 2024.", today=today, now=now)
    # Members of the crowd who accepted: on time, asked for information, approved with a voucher, withdrawn.
    crowd = session.execute(
        select(User, Beneficiary).join(Beneficiary, Beneficiary.user_id == User.id)
        .where(User.role == Role.BENEFICIARY, User.email.like("person03%"))
        .order_by(User.id).limit(4)).all()
    joined = []
    for (user, profile), age in zip(crowd, (5, 15, 25, 8), strict=False):
        request = filed(Member(niss=profile.niss or "", first_name=user.first_name, last_name=user.last_name,
                               email=user.email, language=user.language), age)
        assert request.invitation is not None
        joined.append((user, accept_invitation(session, request.invitation, user, now=now)))
    if len(joined) == 4:
        decide_voucher_request(session, fund_admin, joined[1][1].id, "request_info",
                               "À quelle date votre incapacité a-t-elle commencé ?", today=today, now=now)
        decide_voucher_request(session, fund_admin, joined[2][1].id, "approve", None, today=today, now=now)
        withdraw_voucher_request(session, joined[3][0], joined[3][1].id, now=now,
                                 reason="Je reprends le travail chez mon employeur.")
    session.flush()
    assert waiting.status == "submitted"
    return coordinator
