"""Demo data: realistic, seeded (the same on every run) and idempotent."""

from __future__ import annotations

import random

from faker import Faker
from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.providers.models import Provider
from portal.auth import two_step
from portal.auth.models import User
from portal.auth.services import create_user
from portal.clock import utcnow
from portal.demo.numbers import belgian_iban, enterprise_number, national_number
from portal.permissions import Role
from vouchers.employers.models import Employer
from vouchers.requests.models import Beneficiary

DEMO_PASSWORD = "demo-password"
# The demo fund administrator's TOTP secret (two-step sign-in): fixed, so the README can tell it. Demo data only.
DEMO_TOTP_SECRET = "TNWDEMOFUNDADMINTOTPSECRET234567"
# The second demo fund administrator's: a refund is proposed by one fund administrator and approved by another.
DEMO_TOTP_SECRET_2 = "TNWDEMOSECONDFUNDADMINSECRET2345"


DEMO_DOMAIN = "demo.tnw.be"


PROVIDER_NAMES = [
    ("Trajets Emploi Wallonie", "liege,namur,luxembourg", "fr"),
    ("Werkkracht Coaching", "antwerp,limburg", "nl"),
    ("Brussels Career Bridge", "brussels,flemish_brabant,walloon_brabant", "fr,nl,en"),
    ("Ostbelgien Neustart", "liege", "de,fr"),
    ("Vlaanderen Terug Aan Het Werk", "east_flanders,west_flanders", "nl"),
    ("Hainaut Réinsertion", "hainaut", "fr"),
]


LABELS = ("ISO 9001", "EQUASS Assurance", "Label Qualité AViQ")


def seed_demo(session: Session) -> list[tuple[str, str]]:
    fake = Faker(["fr_BE", "nl_BE"])
    fake.seed_instance(2024)
    rng = random.Random(2024)
    now = utcnow()

    providers: list[Provider] = []
    for index, (name, regions, languages) in enumerate(PROVIDER_NAMES):
        number = enterprise_number(index + 1)
        provider = session.scalar(select(Provider).where(Provider.enterprise_number == number))
        if provider is None:
            provider = Provider(
                name=name, enterprise_number=number, quality_label=LABELS[index % len(LABELS)],
                label_valid_until_on=now.date().replace(year=now.year + 2), iban=belgian_iban(rng),
                regions=regions, languages=languages,
                description=fake.paragraph(nb_sentences=3),
            )
            session.add(provider)
    session.flush()
    providers = list(session.scalars(select(Provider).order_by(Provider.id)))

    employer_number = enterprise_number(1001)
    employer = session.scalar(select(Employer).where(Employer.enterprise_number == employer_number))
    if employer is None:
        employer = Employer(
            company_name="Boulangerie Dupont SRL", enterprise_number=employer_number, onss_number="1234567890",
            address="Rue de la Station 12\n5000 Namur\nBE", email=f"payroll@{DEMO_DOMAIN}", phone="+32 81 12 34 56",
            iban=belgian_iban(rng),
        )
        session.add(employer)
        session.flush()

    logins: list[tuple[str, str]] = []

    def account(role: Role, local: str, first: str, last: str, language: str = "fr", **links: int) -> User:
        email = f"{local}@{DEMO_DOMAIN}"
        user = session.scalar(User.by_email(email))
        if user is None:
            user = create_user(session, email=email, password=DEMO_PASSWORD, role=role, first_name=first,
                               last_name=last, language=language, confirmed_at=now, **links)
        logins.append((role.value, email))
        return user

    fund_admin = account(Role.FUND_ADMIN, "admin", "Sophie", "Lambert")
    if not two_step.is_on(fund_admin):  # fund administrators sign in with a second factor
        two_step.turn_on(session, fund_admin, DEMO_TOTP_SECRET, now=now)
    second_admin = account(Role.FUND_ADMIN, "admin2", "Pieter", "Claes", language="nl")
    if not two_step.is_on(second_admin):  # the four eyes of a refund
        two_step.turn_on(session, second_admin, DEMO_TOTP_SECRET_2, now=now)
    provider_admin = account(Role.PROVIDER_ADMIN, "provider", "Marc", "Peeters", provider_id=providers[0].id)
    coach_user = account(Role.COACH, "coach", "Inès", "Dubois", provider_id=providers[0].id)
    employer_user = account(Role.EMPLOYER, "employer", "Luc", "Dupont", employer_id=employer.id)
    main = account(Role.BENEFICIARY, "beneficiary", "Nadia", "Janssens")
    if session.scalar(select(Beneficiary.id).where(Beneficiary.user_id == main.id)) is None:
        session.add(Beneficiary(user_id=main.id, niss=national_number(fake.date_of_birth(minimum_age=25, maximum_age=60), 101)))

    # A crowd of beneficiaries so lists look real; their logins are not printed. They share
    # the demo password, so its hash is computed once.
    crowd_hash = session.scalar(select(User.password_hash).where(User.id == main.id))
    for serial in range(1, 40):
        email = f"person{serial:03d}@{DEMO_DOMAIN}"
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            continue
        profile = fake.simple_profile()
        first, _, last = profile["name"].partition(" ")
        user = User(email=email, password_hash=crowd_hash, role=Role.BENEFICIARY.value, first_name=first,
                    last_name=last or "Demo", language=rng.choice(["fr", "nl"]), confirmed_at=now)
        session.add(user)
        session.flush()
        session.add(Beneficiary(user_id=user.id, niss=national_number(profile["birthdate"], 200 + serial * 2)))
    session.flush()
    _seed_marketplace(session, providers)
    _seed_journeys(session, providers[0], fund_admin=fund_admin, provider_admin=provider_admin, coach_user=coach_user,
                   main=main, rng=rng)
    from portal.clock import today_in_brussels
    from portal.demo.money import seed_money

    seed_money(session, employer_user=employer_user, fund_admin=fund_admin, coach_user=coach_user,
               today=today_in_brussels(), now=now)
    from portal.demo.coordinators import seed_coordinator

    coordinator = seed_coordinator(session, email=f"coordinator@{DEMO_DOMAIN}", password=DEMO_PASSWORD,
                                   provider=providers[0], fund_admin=fund_admin, today=today_in_brussels(), now=now)
    logins.append((Role.COORDINATOR.value, coordinator.email))
    from portal.demo.notices import seed_notices

    seed_notices(session, provider_admin=provider_admin, main=main, today=today_in_brussels(), now=now)
    return logins


def _seed_marketplace(session: Session, providers: list[Provider]) -> None:
    try:
        from portal.demo.marketplace import seed_marketplace
    except ImportError:  # the marketplace data is optional in the demo
        return
    seed_marketplace(session, providers)


def _seed_journeys(session: Session, provider: Provider, *, fund_admin: User, provider_admin: User, coach_user: User,
                   main: User, rng: random.Random) -> None:
    """Requests and vouchers in every state, a course under way, a claim: once (skipped when present)."""
    from datetime import datetime, time, timedelta

    from coaching.calendar.services.sessions import (
        SessionPlan,
        confirm_session,
        log_session,
        schedule_session,
    )
    from coaching.claims.services import submit_claim
    from coaching.providers.models import Coach, Offer
    from coaching.providers.services.offers import accept_voucher
    from portal.clock import BRUSSELS, today_in_brussels
    from vouchers.ledger.models import LedgerEntry
    from vouchers.ledger.services import entries as ledger
    from vouchers.requests.models import Voucher, VoucherRequest
    from vouchers.requests.services.requests import (
        RequestData,
        decide_voucher_request,
        submit_voucher_request,
        withdraw_voucher_request,
    )

    if session.scalar(select(VoucherRequest.id).limit(1)) is not None:
        return
    today = today_in_brussels()
    now = utcnow()
    if session.scalar(select(LedgerEntry.id).where(LedgerEntry.kind == "funding")) is None:
        # The fund's budget for route B; small on purpose so the waiting list is visible.
        ledger.record_funding(session, amount_cents=4 * 180_000, booked_on=today - timedelta(days=90),
                              memo="Dotation budgétaire 2026 (démo)")
    offer = session.scalar(select(Offer).where(Offer.provider_id == provider.id, Offer.individual_hours == 9))
    if offer is None:
        offer = Offer(provider_id=provider.id, name="9 h individuelles + 3 ateliers", individual_hours=9,
                      collective_sessions=3, individual_unit_cents=15_000, collective_unit_cents=15_000)
        session.add(offer)
    coach = session.scalar(select(Coach).where(Coach.user_id == coach_user.id))
    if coach is None:
        coach = Coach(provider_id=provider.id, user_id=coach_user.id, display_name=coach_user.display_name,
                      email=coach_user.email, timezone="Europe/Brussels")
        session.add(coach)
    session.flush()
    people = list(session.scalars(select(User).where(User.role == Role.BENEFICIARY, User.id != main.id)
                                  .order_by(User.id)))
    address = {"street": "Rue de la Station", "number": "12", "postcode": "5000", "municipality": "Namur"}

    def request_for(person: User, *, route: str, age_days: int) -> VoucherRequest:
        if route == "A":
            data = RequestData(provider_id=provider.id, insurer_code=rng.choice([100, 300, 500]),
                               initiative="coordinator", force_majeure=True,
                               contract_end_on=today - timedelta(days=20 + age_days), address=address)
        else:
            data = RequestData(provider_id=provider.id, insurer_code=rng.choice([100, 200, 400]), initiative="own",
                               force_majeure=False, incapacity_start_on=today - timedelta(days=500 + age_days),
                               benefits_scheme=rng.choice(["employee", "job_seeker"]), address=address)
        request = submit_voucher_request(session, person, data, today=today, now=now)
        request.submitted_on = today - timedelta(days=age_days)
        request.decision_due_on = request.submitted_on + timedelta(days=45)
        return request

    # The fund's queue: on time, due soon, overdue, waiting for information.
    for person, age in zip(people[:8], (2, 10, 20, 30, 37, 40, 44, 48), strict=True):
        request_for(person, route=rng.choice(["A", "B"]), age_days=age)
    info = request_for(people[8], route="A", age_days=15)
    decide_voucher_request(session, fund_admin, info.id, "request_info",
                           "Merci d'envoyer le document C4 de votre employeur.", today=today, now=now)
    refused = request_for(people[9], route="B", age_days=30)
    decide_voucher_request(session, fund_admin, refused.id, "reject",
                           "Vous suivez déjà une formation de reconversion agréée.", today=today, now=now)
    withdrawn = request_for(people[10], route="A", age_days=12)
    withdraw_voucher_request(session, people[10], withdrawn.id, now=now, reason="J'ai trouvé un nouvel emploi par moi-même.")
    # Approved vouchers use up the budget, so the next route-B approval goes to the waiting list.
    vouchers = []
    for person in (main, *people[11:15]):
        request = request_for(person, route="B", age_days=40)
        decide_voucher_request(session, fund_admin, request.id, "approve", None, today=today, now=now,
                               medical_check_ok=True)
        voucher = session.scalar(select(Voucher).where(Voucher.request_id == request.id))
        if voucher is not None:
            vouchers.append(voucher)
    for person in people[15:17]:
        request = request_for(person, route="B", age_days=25)
        decide_voucher_request(session, fund_admin, request.id, "approve", None, today=today, now=now,
                               medical_check_ok=True)
    # Nadia's course: the mix is fixed, one session delivered and confirmed and claimed, one coming up.
    voucher = vouchers[0]
    voucher.valid_from_on = today - timedelta(days=30)
    voucher.valid_until_on = voucher.valid_from_on + timedelta(days=182)
    session.flush()
    accept_voucher(session, provider_admin, voucher.id, offer.id, now=now)
    past = datetime.combine(today - timedelta(days=7), time(10, 0), tzinfo=BRUSSELS)
    upcoming = datetime.combine(today + timedelta(days=3), time(14, 0), tzinfo=BRUSSELS)
    done = schedule_session(session, provider_admin, SessionPlan(
        coach_id=coach.id, kind="individual", voucher_ids=[voucher.id], starts_at=past, duration_minutes=90,
        location="Rue de Fer 25, 5000 Namur", theme="Premier entretien"), now=now)
    log_session(session, provider_admin, done.id, {voucher.id: "attended"}, 90, "Premier entretien : besoins et plan.",
                now=now)
    confirm_session(session, main, done.id, now=now)
    submit_claim(session, provider_admin, voucher.id, [done.id], now=now)
    schedule_session(session, provider_admin, SessionPlan(
        coach_id=coach.id, kind="individual", voucher_ids=[voucher.id], starts_at=upcoming, duration_minutes=60,
        mode="online", location="https://meet.example.be/coaching", theme="Exploration"), now=now)
    session.flush()
