"""A crowd for the pages' statement budgets (tests/test_page_budgets.py): every list a key page shows holds
``MANY`` rows or more, so that a query per row (an N+1) would show as many more statements.

The rows are written directly (not through the services, which would take minutes for this many): what each page
reads is there and consistent, and nothing else matters to these tests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from portal.audit import AuditEntry
from portal.clock import utcnow
from portal.permissions import Role
from tests.support.factories import make_employer, make_provider, make_user, new_niss

MANY = 24
_numbers = itertools.count(1)


@dataclass
class Crowd:
    """What the tests need to reach the pages: ids and e-mail addresses (the objects are not kept)."""

    today: date
    beneficiary: str = ""  # e-mail of the person with a long history and a voucher in use
    voucher_id: int = 0  # theirs, in progress, with MANY sessions used
    request_id: int = 0  # the request their voucher came from
    fresh_holder: str = ""  # a person whose voucher is approved and unused (the page offers a change of provider)
    fresh_voucher_id: int = 0
    provider_admin: str = ""
    coach_id: int = 0
    employer: str = ""
    fund_admin: str = ""
    waitlisted_request_id: int = 0
    other_voucher_ids: list[int] = field(default_factory=list)


def _code() -> str:
    return f"TNW-{next(_numbers):06d}"


def build(session: Session, today: date) -> Crowd:
    from coaching.providers.models import Coach
    from vouchers.requests.models import (
        Beneficiary,
        MemberInvitation,
        Voucher,
        VoucherRequest,
    )
    from vouchers.requests.usage import UsageEntry

    crowd = Crowd(today=today)
    provider, elsewhere, third = (make_provider(session) for _ in range(3))
    admin = make_user(session, Role.PROVIDER_ADMIN, provider_id=provider.id, language="en")
    crowd.provider_admin = admin.email
    fund = make_user(session, Role.FUND_ADMIN, language="en")
    crowd.fund_admin = fund.email
    coordinator = make_user(session, Role.COORDINATOR, language="en")

    def beneficiary_of(user_id: int) -> int:
        return session.query(Beneficiary.id).filter(Beneficiary.user_id == user_id).scalar()

    def request(beneficiary_id: int | None, status: str, submitted_on: date, **extra: object) -> VoucherRequest:
        row = VoucherRequest(beneficiary_id=beneficiary_id, provider_id=provider.id, status=status, route="B",
                             insurer_code=300, initiative="coordinator", force_majeure=False,
                             incapacity_start_on=submitted_on - timedelta(days=400), benefits_scheme="employee",
                             street="Rue", house_number="1", postcode="1000", municipality="Bruxelles",
                             submitted_on=submitted_on, decision_due_on=submitted_on + timedelta(days=45),
                             decided_on=submitted_on + timedelta(days=10) if status in ("approved", "rejected")
                             else None, **extra)
        session.add(row)
        session.flush()
        return row

    def voucher(beneficiary_id: int, request_id: int, status: str, provider_id: int = provider.id) -> Voucher:
        row = Voucher(code=_code(), request_id=request_id, beneficiary_id=beneficiary_id, provider_id=provider_id,
                      status=status, value_cents=180000, valid_from_on=today - timedelta(days=60),
                      valid_until_on=today + timedelta(days=300), issued_on=today - timedelta(days=60),
                      individual_hours=12 if status == "in_progress" else None,
                      collective_sessions=2 if status == "in_progress" else None,
                      individual_unit_cents=15000 if status == "in_progress" else None,
                      collective_unit_cents=0 if status == "in_progress" else None)
        session.add(row)
        session.flush()
        return row

    # The beneficiary with a long history: MANY requests given up or refused, then one approved, its voucher used
    # MANY times, and MANY steps on its timeline.
    person = make_user(session, Role.BENEFICIARY, language="en")
    crowd.beneficiary = person.email
    own = beneficiary_of(person.id)
    # Proven with itsme/eID, and MANY coordinators' invitations naming the number: the most a beneficiary's page
    # reads (the header offers the requests filed for a proven number).
    profile = session.get(Beneficiary, own)
    profile.niss_proven_at = utcnow()
    filer = make_user(session, Role.COORDINATOR)
    for _ in range(MANY):
        session.add(MemberInvitation(coordinator_id=filer.id, niss=profile.niss,
                                     email=f"crowd{next(_numbers)}@example.be"))
    for n in range(MANY):
        request(own, "withdrawn" if n % 2 else "rejected", today - timedelta(days=800 - n * 10),
                decision_reason="Not eligible" if n % 2 == 0 else None)
    approved = request(own, "approved", today - timedelta(days=70))
    held = voucher(own, approved.id, "in_progress")
    crowd.voucher_id, crowd.request_id = held.id, approved.id
    for n in range(MANY):
        session.add(UsageEntry(voucher_id=held.id, kind="delivered", individual_minutes=30, amount_cents=7500))
        session.add(AuditEntry(actor_id=fund.id, object_type="voucher" if n % 2 else "voucher_request",
                               object_id=held.id if n % 2 else approved.id, action="status_changed",
                               from_state="submitted", to_state="approved"))

    fresh = make_user(session, Role.BENEFICIARY, language="en")
    crowd.fresh_holder = fresh.email
    fresh_request = request(beneficiary_of(fresh.id), "approved", today - timedelta(days=20))
    crowd.fresh_voucher_id = voucher(beneficiary_of(fresh.id), fresh_request.id, "approved").id

    # MANY more holders of the provider's vouchers (one waits for it to accept a change of provider), and MANY
    # open requests in the fund's queue: own ones, waiting-listed ones, filed by a coordinator for invited members.
    holders = []
    for n in range(MANY):
        user = make_user(session, Role.BENEFICIARY, language="en")
        user.last_name = f"Holder{n:02d}"
        beneficiary_id = beneficiary_of(user.id)
        done = request(beneficiary_id, "approved", today - timedelta(days=100 + n))
        held_by = voucher(beneficiary_id, done.id, "in_progress", provider_id=elsewhere.id if n == 0 else provider.id)
        if n == 0:
            held_by.pending_provider_id = provider.id
        holders.append(held_by.id)
        session.add(UsageEntry(voucher_id=held_by.id, kind="scheduled", individual_minutes=60, amount_cents=15000))
        status = ("submitted", "info_requested", "waitlisted")[n % 3]
        waiting = make_user(session, Role.BENEFICIARY, language="en")
        open_request = request(beneficiary_of(waiting.id), status, today - timedelta(days=n),
                               info_requested_on=today - timedelta(days=1) if status == "info_requested" else None)
        if status == "waitlisted":
            crowd.waitlisted_request_id = open_request.id
        invitation = MemberInvitation(coordinator_id=coordinator.id, niss=new_niss(), first_name="Member",
                                      last_name=f"Invited{n:02d}", email=f"member{next(_numbers)}@example.be")
        session.add(invitation)
        session.flush()
        request(None, "submitted", today - timedelta(days=n + 1), invitation_id=invitation.id,
                coordinator_id=coordinator.id, consent_on=today - timedelta(days=n + 2))
    crowd.other_voucher_ids = holders
    third.delisted_at = utcnow()  # not offered for a change of provider

    # The coach's week: MANY sessions this week (four a day), each with a holder seated; MANY more last month,
    # attended and confirmed, ready to be claimed; MANY claims.
    coach_user = make_user(session, Role.COACH, provider_id=provider.id, language="en")
    coach = Coach(provider_id=provider.id, user_id=coach_user.id, display_name="Inès Dubois", email=coach_user.email)
    session.add_all([coach, Coach(provider_id=provider.id, display_name="Second Coach", email="second@example.be")])
    session.flush()
    crowd.coach_id = coach.id
    _sessions(session, provider.id, coach.id, holders, today)
    _availability(session, coach.id, today)
    _claims(session, provider.id, admin.id, coach.id, holders, today)
    crowd.employer = _declarations(session, today)
    session.flush()
    return crowd


def _sessions(session: Session, provider_id: int, coach_id: int, holders: list[int], today: date) -> None:
    from coaching.calendar.models import CoachingSession, SessionSeat

    monday = today - timedelta(days=today.weekday())
    zone = ZoneInfo("Europe/Brussels")
    for n in range(MANY + 4):
        start = datetime.combine(monday + timedelta(days=n // 4), time(8 + 2 * (n % 4), 0), tzinfo=zone).astimezone(UTC)
        booked = CoachingSession(provider_id=provider_id, coach_id=coach_id, kind="individual", starts_at=start,
                                 ends_at=start + timedelta(hours=1), duration_minutes=60, theme=f"Theme {n}")
        session.add(booked)
        session.flush()
        session.add(SessionSeat(session_id=booked.id, voucher_id=holders[n % len(holders)], cost_cents=15000))


def _availability(session: Session, coach_id: int, today: date) -> None:
    """The coach's hours, every day 09:00-17:00, with an afternoon off next Wednesday: the week's grid shades them
    and offers each free hour (MANY or more next week)."""
    from coaching.availability.models import Availability, AvailabilityException

    session.add_all([Availability(coach_id=coach_id, weekday=d, start_time=time(9), end_time=time(17)) for d in range(7)])
    wednesday = today - timedelta(days=today.weekday()) + timedelta(days=9)
    session.add(AvailabilityException(coach_id=coach_id, on_date=wednesday, until_on=wednesday, start_time=time(13),
                                      end_time=time(17), reason="Training"))


def _claims(session: Session, provider_id: int, admin_id: int, coach_id: int, holders: list[int],
            today: date) -> None:
    from coaching.calendar.models import CoachingSession, SessionSeat
    from coaching.claims.models import Claim, ClaimLine

    for n in range(2 * MANY + 6):
        start = datetime.combine(today - timedelta(days=40 - n // 3), time(8 + 3 * (n % 3), 0), tzinfo=UTC)
        past = CoachingSession(provider_id=provider_id, coach_id=coach_id, kind="individual", starts_at=start,
                               ends_at=start + timedelta(hours=1), duration_minutes=60, status="logged",
                               logged_minutes=60, logged_at=start + timedelta(hours=2))
        session.add(past)
        session.flush()
        seat = SessionSeat(session_id=past.id, voucher_id=holders[n % len(holders)], attendance="attended",
                           cost_cents=15000, confirmation="confirmed", confirmed_at=start + timedelta(days=1))
        session.add(seat)
        session.flush()
        if n % 2:  # every other one is claimed already: MANY claims
            claim = Claim(provider_id=provider_id, voucher_id=seat.voucher_id, amount_cents=15000,
                          status=("submitted", "approved", "paid")[n % 3], submitted_by=admin_id)
            session.add(claim)
            session.flush()
            session.add(ClaimLine(claim_id=claim.id, seat_id=seat.id, amount_cents=15000))


def _declarations(session: Session, today: date) -> str:
    """MANY declarations for two employers a payroll clerk acts for (its own, and one as an agent): due, overdue,
    paid in part or in full. Returns the clerk's e-mail."""
    from vouchers.employers.models import (
        Contribution,
        ContributionPayment,
        Declaration,
        EmployerAgent,
    )

    clerk = make_user(session, Role.EMPLOYER, language="en")
    other = make_employer(session)
    session.add(EmployerAgent(agent_user_id=clerk.id, employer_id=other.id))
    for n in range(MANY + 2):
        ended = today - timedelta(days=10 + 3 * n)
        declaration = Declaration(employer_id=clerk.employer_id if n % 2 else other.id, declared_by_id=clerk.id,
                                  worker_first_name="Worker", worker_last_name=f"Number{n:02d}",
                                  worker_niss=new_niss(), contract_end_on=ended, declared_on=ended + timedelta(days=5),
                                  declaration_due_on=ended + timedelta(days=45))
        session.add(declaration)
        session.flush()
        status = ("due", "partially_paid", "paid")[n % 3]
        contribution = Contribution(declaration_id=declaration.id, amount_cents=180000,
                                    due_on=ended + timedelta(days=45), structured_reference=f"{next(_numbers):012d}",
                                    status=status)
        session.add(contribution)
        session.flush()
        if status != "due":
            session.add(ContributionPayment(contribution_id=contribution.id, source="bank",
                                            amount_cents=180000 if status == "paid" else 50000,
                                            external_id=f"crowd-{next(_numbers)}", booked_on=ended + timedelta(days=20)))
    return clerk.email
