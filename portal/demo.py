"""Demo data: realistic, seeded (the same on every run) and idempotent."""

from __future__ import annotations

import random

from faker import Faker
from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.models import Provider
from portal.auth.models import User
from portal.auth.services import create_user
from portal.clock import utcnow
from portal.demo_numbers import belgian_iban, enterprise_number, national_number
from portal.permissions import Role
from vouchers.models import Beneficiary, Employer

DEMO_PASSWORD = "demo-password"
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

    account(Role.FUND_ADMIN, "admin", "Sophie", "Lambert")
    account(Role.PROVIDER_ADMIN, "provider", "Marc", "Peeters", provider_id=providers[0].id)
    account(Role.COACH, "coach", "Inès", "Dubois", provider_id=providers[0].id)
    account(Role.EMPLOYER, "employer", "Luc", "Dupont", employer_id=employer.id)
    main = account(Role.BENEFICIARY, "beneficiary", "Nadia", "Janssens")
    if session.scalar(select(Beneficiary.id).where(Beneficiary.user_id == main.id)) is None:
        session.add(Beneficiary(user_id=main.id, niss=national_number(fake.date_of_birth(minimum_age=25, maximum_age=60), 101)))

    # A crowd of beneficiaries so lists look real; their logins are not printed.
    for serial in range(1, 40):
        email = f"person{serial:03d}@{DEMO_DOMAIN}"
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            continue
        profile = fake.simple_profile()
        first, _, last = profile["name"].partition(" ")
        user = create_user(session, email=email, password=DEMO_PASSWORD, role=Role.BENEFICIARY, first_name=first,
                           last_name=last or "Demo", language=rng.choice(["fr", "nl"]), confirmed_at=now)
        session.add(Beneficiary(user_id=user.id, niss=national_number(profile["birthdate"], 200 + serial * 2)))
    session.flush()
    return logins
