"""The people and the market of the national seeding (bench/seed_national.py): providers with their contact points,
catalogue and offers, the fund's administrator, the providers' administrators, coaches with their hours, the
beneficiaries' accounts and the employers' users.

Identifiers are laid out so that the load benchmark can find people without asking: beneficiary ``i`` is user ``i``
(``person{i}@bench.tnw.be``); the fund's administrator, the providers' administrators (``admin{p}@bench.tnw.be``),
the coaches' accounts (``coach{c}@bench.tnw.be``) and the employers' users follow. Every row is built here in
Python and written by the caller's sink (COPY on PostgreSQL), in the order the foreign keys need.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bench.common import fast_niss
from bench.rotation import TOTP_SECRET  # the fund administrator's second factor

ADMIN_EMAIL = "admin@bench.tnw.be"
EMPLOYER_EMAIL = "payroll@bench.tnw.be"
FUND_IBAN = "BE71096123456769"
ZONES = ("Europe/Brussels",) * 18 + ("Europe/Amsterdam", "Europe/London")
WORDS = ("Coaching", "Trajets", "Werkkracht", "Horizon", "Neustart", "Réinsertion", "Loopbaan", "Career", "Avenir",
         "Perspectief", "Elan", "Tremplin", "Brug", "Pont", "Kompass", "Boussole")
LANGUAGES = ("fr",) * 50 + ("nl",) * 45 + ("de",) * 3 + ("en",) * 2
UNIT_CENTS = 15_000
#: The hour mixes of DOMAIN.md (individual hours, collective sessions), each spending exactly EUR 1,800.
MIXES = ((9, 3), (12, 0), (10, 2), (8, 4), (11, 1), (7, 5))
#: A coach's hours: mornings for individual sessions, afternoons too, Friday afternoon for the group.
MORNING, AFTERNOON = (time(9), time(12, 30)), (time(13, 30), time(17))


@dataclass(frozen=True)
class Sizes:
    """The national scale of DOMAIN.md times ``scale``, over ``years`` of operation: 500k beneficiaries, 100k
    vouchers and 50k declarations a year, 5k coaches and 550 providers; 2M sessions come out of two years."""

    scale: float
    years: int = 2

    def _n(self, full: float, least: int) -> int:
        return max(least, round(full * self.scale))

    @property
    def beneficiaries(self) -> int:
        return self._n(500_000, 60)

    @property
    def vouchers(self) -> int:
        return self._n(100_000, 20) * self.years

    @property
    def other_requests(self) -> int:
        return self._n(60_000, 12)

    @property
    def coaches(self) -> int:
        return self._n(5_000, 3)

    @property
    def providers(self) -> int:
        return self._n(550, 3)

    @property
    def contact_points(self) -> int:
        return max(self.providers, self._n(10_000, 3))

    @property
    def employers(self) -> int:
        return self._n(5_000, 2)

    @property
    def declarations(self) -> int:
        return self._n(50_000, 10) * self.years

    @property
    def clerk_declarations(self) -> int:
        """The declarations of the payroll clerk's own employer (the load benchmark's employer pages)."""
        return min(1_000, self.declarations // 5)


@dataclass
class World:
    """What the seeding steps share: the sizes, the day, one random generator, the ids of people and what each
    step decided for the next ones."""

    sizes: Sizes
    today: date
    now: datetime
    password_hash: str
    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    first_names: list[str] = field(default_factory=list)
    last_names: list[str] = field(default_factory=list)
    listed: list[int] = field(default_factory=list)  # providers with vouchers (listed at some time)
    provider_names: dict[int, str] = field(default_factory=dict)
    places: dict[int, str] = field(default_factory=dict)  # a provider's first address, where its sessions take place
    coach_provider: list[int] = field(default_factory=list)  # index: coach id
    coach_zone: list[str] = field(default_factory=list)
    #: When each beneficiary registered (index: beneficiary id), None for the people who never sent a request.
    person_created: list[datetime | None] = field(default_factory=list)

    @property
    def start(self) -> date:
        """The first day of the fund's operation here: ``years`` before today."""
        return self.today - timedelta(days=365 * self.sizes.years)

    @property
    def admin_id(self) -> int:
        return self.sizes.beneficiaries + 1

    def provider_admin_id(self, provider: int) -> int:
        return self.admin_id + provider

    def coach_user_id(self, coach: int) -> int:
        return self.admin_id + self.sizes.providers + coach

    def employer_user_id(self, employer: int) -> int:
        return self.admin_id + self.sizes.providers + self.sizes.coaches + employer

    def between(self, low: int, high: int) -> int:
        """``rng.randint``, several times faster (the seeding draws millions)."""
        return low + int(self.rng.random() * (high - low + 1))

    def name(self) -> tuple[str, str]:
        return self.rng.choice(self.first_names), self.rng.choice(self.last_names)

    def at(self, day: date, hour: int = 10, minute: int = 0) -> datetime:
        """That day at that hour (UTC), or a minute ago if that is later: nothing is written in the future."""
        moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
        return min(self.latest, moment)

    def __post_init__(self) -> None:
        self.latest = self.now - timedelta(minutes=1)


def name_pools(world: World) -> None:
    """A few hundred Belgian first and last names (Faker, seeded): people get combinations of them."""
    from faker import Faker

    fake = Faker(["fr_BE", "nl_BE"])
    fake.seed_instance(18)
    world.first_names = sorted({fake.first_name() for _ in range(1500)})
    world.last_names = sorted({fake.last_name() for _ in range(3000)})


PROVIDER_COLUMNS = ["id", "name", "enterprise_number", "quality_label", "label_valid_until_on", "iban", "regions",
                    "languages", "description", "listed_at", "delisted_at"]
CONTACT_COLUMNS = ["provider_id", "name", "street", "postcode", "municipality", "municipality_key", "region",
                   "languages", "onsite", "online", "created_at", "updated_at"]
THEME_COLUMNS = ["provider_id", "title", "description", "topic", "kind", "language", "created_at"]
OFFER_COLUMNS = ["id", "provider_id", "name", "individual_hours", "collective_sessions", "individual_unit_cents",
                 "collective_unit_cents", "active", "created_at"]


def market(world: World) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Providers (2 % never listed, 5 % delisted lately), their contact points over Belgium, three catalogue themes
    and the six mixes as offers each (offer ``6 (p - 1) + m + 1`` is provider p's mix m)."""
    from bench.marketplace_bench import region_languages
    from coaching.marketplace.domain import (
        THEME_TOPICS,
        join_languages,
        municipality_key,
        region_for_postcode,
    )
    from portal.demo.marketplace import MUNICIPALITIES, THEMES
    from portal.demo.numbers import belgian_iban, enterprise_number

    rng, sizes, now = world.rng, world.sizes, world.now
    opened = world.at(world.start, 8) - timedelta(days=30)
    providers, contacts, themes, offers, regions = [], [], [], [], {}
    for pid in range(1, sizes.providers + 1):
        state = rng.random()
        listed_at = None if state < 0.02 and pid > 21 else opened + timedelta(days=rng.randint(0, 60))
        delisted_at = now - timedelta(days=rng.randint(5, 60)) if 0.02 <= state < 0.07 and pid > 21 else None
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {pid}"
        world.provider_names[pid] = name
        if listed_at is not None:
            world.listed.append(pid)
        providers.append((pid, name, enterprise_number(3_000_000 + pid), "ISO 9001",
                          world.today + timedelta(days=rng.randint(90, 900)), belgian_iban(rng), "", "fr,nl",
                          f"{name}: coaching individuel et collectif, retour au travail.", listed_at, delisted_at))
        for index, (title, topic, kind) in enumerate(rng.sample(THEMES["fr"] + THEMES["nl"], 3)):
            themes.append((pid, title, "", topic if topic in THEME_TOPICS else "other", kind,
                           "fr" if index % 2 else "nl", opened))
        for m, (hours, sessions) in enumerate(MIXES):
            offers.append((6 * (pid - 1) + m + 1, pid, f"{hours} h + {sessions} × 3,5 h", hours, sessions, UNIT_CENTS,
                           UNIT_CENTS, True, opened))
    for cid in range(1, sizes.contact_points + 1):
        provider_id = cid if cid <= sizes.providers else rng.randint(1, sizes.providers)
        postcode, town = rng.choice(MUNICIPALITIES)
        region = region_for_postcode(postcode)
        languages = join_languages(region_languages(region, int(postcode), rng))
        online = rng.random() < 0.25
        regions.setdefault(provider_id, set()).add(region)
        world.places.setdefault(provider_id, f"Rue {rng.choice(world.last_names)} {cid}, {postcode} {town}")
        contacts.append((provider_id, f"Antenne {town} {cid}", f"Rue {cid}", postcode, town, municipality_key(town),
                         region, languages, not online or rng.random() < 0.5, online, opened, opened))
    providers = [row[:6] + (",".join(sorted(regions.get(row[0], ()))),) + row[7:] for row in providers]
    return {"providers": (PROVIDER_COLUMNS, providers), "contact_points": (CONTACT_COLUMNS, contacts),
            "catalogue_themes": (THEME_COLUMNS, themes), "offers": (OFFER_COLUMNS, offers)}


def assign_coaches(world: World) -> None:
    """Each listed provider has a coach; the others go mostly to the large providers (low ids), as vouchers do."""
    rng = world.rng
    world.coach_provider = [0]
    world.coach_zone = [""]
    listed = world.listed
    for coach in range(1, world.sizes.coaches + 1):
        provider = listed[coach - 1] if coach <= len(listed) else listed[int(len(listed) * rng.random() ** 2)]
        world.coach_provider.append(provider)
        world.coach_zone.append(rng.choice(ZONES))


COACH_COLUMNS = ["id", "provider_id", "user_id", "display_name", "email", "timezone", "calendar_token", "active",
                 "created_at"]
HOURS_COLUMNS = ["coach_id", "weekday", "start_time", "end_time"]
LEAVE_COLUMNS = ["coach_id", "on_date", "until_on", "available", "reason"]


def coaches(world: World) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """The coaches with their accounts' ids, their weekly hours (mornings and afternoons, Monday to Friday) and a
    week of leave for one in ten, beyond the weeks already booked."""
    rng = world.rng
    rows, hours, leave = [], [], []
    for coach in range(1, world.sizes.coaches + 1):
        first, last = world.name()
        rows.append((coach, world.coach_provider[coach], world.coach_user_id(coach), f"{first} {last}",
                     f"coach{coach}@bench.tnw.be", world.coach_zone[coach], f"bench-calendar-{coach:06d}", True,
                     world.at(world.start) - timedelta(days=20)))
        for weekday in range(5):
            hours += [(coach, weekday, *MORNING), (coach, weekday, *AFTERNOON)]
        if coach % 10 == 0:
            first_day = world.today + timedelta(days=rng.randint(35, 150))
            leave.append((coach, first_day, first_day + timedelta(days=6), False, "Congé"))
    return {"coaches": (COACH_COLUMNS, rows), "coach_availability": (HOURS_COLUMNS, hours),
            "coach_availability_exceptions": (LEAVE_COLUMNS, leave)}


USER_COLUMNS = ["id", "email", "password_hash", "role", "first_name", "last_name", "language", "active",
                "confirmed_at", "created_at", "session_token", "provider_id", "employer_id", "totp_secret",
                "totp_enabled_at"]
BENEFICIARY_COLUMNS = ["id", "user_id", "niss", "created_at", "niss_proven_at"]


def staff_users(world: World) -> list[tuple[Any, ...]]:
    """The fund's administrator (second factor on), the providers' administrators, the coaches' and the
    employers' users (employer 1's is the load benchmark's payroll clerk)."""
    created = world.at(world.start, 8) - timedelta(days=40)
    pw = world.password_hash
    rows: list[tuple[Any, ...]] = [(world.admin_id, ADMIN_EMAIL, pw, "fund_admin", "Ada", "Admin", "fr", True, created,
                                    created, "tok-admin", None, None, TOTP_SECRET, created)]
    for provider in range(1, world.sizes.providers + 1):
        first, last = world.name()
        rows.append((world.provider_admin_id(provider), f"admin{provider}@bench.tnw.be", pw, "provider_admin", first,
                     last, world.rng.choice(LANGUAGES[:95]), True, created, created, f"tok-admin{provider}", provider,
                     None, None, None))
    for coach in range(1, world.sizes.coaches + 1):
        first, last = world.name()
        rows.append((world.coach_user_id(coach), f"coach{coach}@bench.tnw.be", pw, "coach", first, last,
                     world.rng.choice(LANGUAGES[:95]), True, created, created, f"tok-coach{coach}",
                     world.coach_provider[coach], None, None, None))
    for employer in range(1, world.sizes.employers + 1):
        first, last = ("Paula", "Payroll") if employer == 1 else world.name()
        email = EMPLOYER_EMAIL if employer == 1 else f"hr{employer}@employers.bench.tnw.be"
        rows.append((world.employer_user_id(employer), email, pw, "employer", first, last,
                     world.rng.choice(LANGUAGES[:95]), True, created, created, f"tok-employer{employer}", None,
                     employer, None, None))
    return rows


def beneficiaries(world: World) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Users and beneficiaries 1..N, registered when their request says (``world.person_created``) or at any time
    of the period; three in ten proved their national register number with itsme or the eID."""
    rng, pw = world.rng, world.password_hash
    span = int((world.now - world.at(world.start)).total_seconds())
    users, people = [], []
    for i in range(1, world.sizes.beneficiaries + 1):
        created = world.person_created[i] if i < len(world.person_created) else None
        requested = created is not None  # people who sent a request have confirmed their address
        if created is None:
            created = world.at(world.start) + timedelta(seconds=rng.randrange(span))
        first, last = world.name()
        confirmed = None
        if requested or rng.random() < 0.98:
            confirmed = min(created + timedelta(minutes=rng.randint(2, 600)), world.now)
        users.append((i, f"person{i}@bench.tnw.be", pw, "beneficiary", first, last, rng.choice(LANGUAGES), True,
                      confirmed, created, f"tok{i}", None, None, None, None))
        people.append((i, i, fast_niss(i), created, confirmed if confirmed and rng.random() < 0.3 else None))
    return users, people
