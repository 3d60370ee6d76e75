"""Sessions, seats, the vouchers' usage ledger, providers' claims and the money-out ledger entries, from the courses
of bench/national_vouchers.py (bench/seed_national.py writes them).

What the portal itself would have written, entry for entry: booking a seat writes a ``scheduled`` usage entry,
logging it releases that and writes ``delivered`` for an attended seat, cancelling releases it. Claims gather a
voucher's confirmed seats once a month (the last ones the day the voucher ended); the fund approves them within a
week and pays them ten days later. The ledger commits each voucher's value when it is issued, moves an approved
claim from committed to payable and a paid one from payable to cash, and releases what an ended voucher did not
use, so that ``flask check-ledger`` (vouchers/ledger/services/consistency.py) finds nothing to say.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from bench.national_people import World
from bench.national_vouchers import VALUE_CENTS, Course, Seat

SESSION_COLUMNS = ["id", "provider_id", "coach_id", "kind", "mode", "starts_at", "ends_at", "duration_minutes",
                   "capacity", "location", "theme", "status", "logged_minutes", "note", "logged_at", "created_at"]
SEAT_COLUMNS = ["id", "session_id", "voucher_id", "attendance", "cost_cents", "confirmation", "confirm_by_on",
                "confirmed_at", "confirmed_by_silence"]
USAGE_COLUMNS = ["voucher_id", "coaching_session_id", "kind", "individual_minutes", "collective_sessions",
                 "amount_cents", "created_at"]
CLAIM_COLUMNS = ["id", "provider_id", "voucher_id", "amount_cents", "status", "submitted_by", "submitted_at",
                 "decided_at", "paid_on", "version"]
LINE_COLUMNS = ["claim_id", "seat_id", "amount_cents"]
LEDGER_COLUMNS = ["booked_on", "created_at", "account", "kind", "amount_cents", "voucher_id", "contribution_id",
                  "claim_id", "memo"]
GROUP_THEMES = ("Recherche d'emploi", "Zelfkennis en sterktes", "Bien-être au travail", "Solliciteren met vertrouwen",
                "Se présenter en entretien", "Digitale vaardigheden")


class Sessions:
    """The sessions of all courses, numbered in the order they were booked, with their seats."""

    def __init__(self, world: World, courses: list[Course]) -> None:
        self.world, self.courses = world, courses
        found: dict[tuple[Any, ...], list[Any]] = {}
        for course in courses:
            for seat in course.seats:
                entry = found.get(seat.key)
                if entry is None:
                    found[seat.key] = [seat.created, course.coach, course.provider, [(course, seat)]]
                else:
                    entry[0] = min(entry[0], seat.created)
                    entry[3].append((course, seat))
        self.ordered = sorted(found.values(), key=lambda entry: entry[0])
        self.claimable: dict[int, list[tuple[int, int, datetime]]] = {}  # voucher: (seat id, cents, confirmed)

    def session_rows(self) -> Iterator[tuple[Any, ...]]:
        rng, places = self.world.rng, self.world.places
        for number, (created, coach, provider, seats) in enumerate(self.ordered, 1):
            seat: Seat = seats[0][1]
            group = seat.kind == "collective"
            online = not group and rng.random() < 0.3
            place = f"https://meet.example.be/tnw-{number}" if online else places.get(provider, "Rue de la Loi 16, "
                                                                                                  "1000 Bruxelles")
            logged = seat.state == "logged"
            yield (number, provider, coach, seat.kind, "online" if online else "onsite", seat.starts,
                   seat.starts + timedelta(minutes=seat.minutes), seat.minutes, 12 if group else 1, place,
                   GROUP_THEMES[number % len(GROUP_THEMES)] if group else "", seat.state,
                   seat.minutes if logged else None, None, seat.done if logged else None, created)

    def seat_rows(self) -> Iterator[tuple[Any, ...]]:
        """The seats, in their sessions' order; attended and confirmed ones are noted for the claims."""
        seat_id = 0
        for number, (_created, _coach, _provider, seats) in enumerate(self.ordered, 1):
            for course, seat in seats:
                seat_id += 1
                no_show = seat.attendance == "no_show"
                if seat.attendance == "attended" and seat.confirmed is not None:
                    self.claimable.setdefault(course.id, []).append((seat_id, seat.cost, seat.confirmed))
                yield (seat_id, number, course.id, seat.attendance, 0 if no_show else seat.cost,
                       "confirmed" if seat.confirmed else "pending", seat.confirm_by, seat.confirmed,
                       seat.by_silence)

    def usage_rows(self) -> list[tuple[Any, ...]]:
        """Booked, released, delivered: in the order they happened."""
        rows = []
        for number, (_created, _coach, _provider, seats) in enumerate(self.ordered, 1):
            for course, seat in seats:
                minutes, groups = (seat.minutes, 0) if seat.kind == "individual" else (0, 1)
                cost = seat.cost
                rows.append((course.id, number, "scheduled", minutes, groups, cost, seat.created))
                if seat.done is not None:
                    rows.append((course.id, number, "released", -minutes, -groups, -cost, seat.done))
                    if seat.attendance == "attended":
                        rows.append((course.id, number, "delivered", minutes, groups, cost, seat.done))
        rows.sort(key=lambda row: row[6])
        return rows


class Claims:
    """Each voucher's claims, numbered in the order they were sent, and what they book in the ledger."""

    def __init__(self, world: World, courses: list[Course], claimable: dict[int, list[tuple[int, int, datetime]]],
                 ledger: list[tuple[Any, ...]]) -> None:
        self.world, self.ledger = world, ledger
        found: list[tuple[Any, ...]] = []
        for course in courses:
            claimed = sum(self._claims_of(course, claimable.get(course.id, ()), found))
            self._commit(course, claimed)
        found.sort(key=lambda claim: claim[0])
        self.found = found

    def _claims_of(self, course: Course, seats: Any, found: list[tuple[Any, ...]]) -> Iterator[int]:
        world = self.world
        by_day: dict[date, list[tuple[int, int]]] = {}
        shift = world.between(0, 4)
        for seat_id, cents, confirmed in seats:
            year, month = (confirmed.year + 1, 1) if confirmed.month == 12 else (confirmed.year, confirmed.month + 1)
            day = date(year, month, 1 + shift)  # early in the month after the seat was confirmed
            if course.ended is not None and course.ended < day:
                day = course.ended
            if day <= world.today:
                by_day.setdefault(day, []).append((seat_id, cents))
        for day, lines in sorted(by_day.items()):
            amount = sum(cents for _, cents in lines)
            submitted = world.at(day, 9, world.between(0, 59))
            status, decided, paid_on = "submitted", None, None
            if day <= world.today - timedelta(days=7):
                decided_on = min(world.today, day + timedelta(days=world.between(1, 6)))
                decided = world.at(decided_on, 14, world.between(0, 59))
                paid = decided_on + timedelta(days=10)
                status, paid_on = ("paid", paid) if paid <= world.today else ("approved", None)
            found.append((submitted, course.provider, course.id, amount, status,
                          world.provider_admin_id(course.provider), decided, paid_on, lines))
            yield amount

    def _commit(self, course: Course, claimed: int) -> None:
        """The voucher's value committed when issued; what an ended voucher did not claim, released that day."""
        world = self.world
        self.ledger.append((course.issued, world.at(course.issued, 15), "committed", "voucher_committed", VALUE_CENTS,
                            course.id, None, None, None))
        if course.ended is not None and VALUE_CENTS > claimed:
            self.ledger.append((course.ended, world.at(course.ended, 3), "committed", "voucher_released",
                                claimed - VALUE_CENTS, course.id, None, None, course.status))
        assert claimed <= VALUE_CENTS, (course.id, claimed)

    def claim_rows(self) -> Iterator[tuple[Any, ...]]:
        for number, (submitted, provider, voucher, amount, status, by, decided, paid_on, _lines) in \
                enumerate(self.found, 1):
            yield (number, provider, voucher, amount, status, by, submitted, decided, paid_on,
                   1 + (decided is not None) + (paid_on is not None))
            if decided is not None:  # approved: the promise to the voucher becomes a debt to the provider
                self.ledger.append((decided.date(), decided, "committed", "claim_approved", -amount, voucher, None,
                                    number, None))
                self.ledger.append((decided.date(), decided, "payable", "claim_approved", amount, voucher, None,
                                    number, None))
            if paid_on is not None:
                at = self.world.at(paid_on, 8)
                self.ledger.append((paid_on, at, "cash", "claim_paid", -amount, voucher, None, number, None))
                self.ledger.append((paid_on, at, "payable", "claim_paid", -amount, voucher, None, number, None))

    def line_rows(self) -> Iterator[tuple[Any, ...]]:
        for number, claim in enumerate(self.found, 1):
            for seat_id, cents in claim[8]:
                yield (number, seat_id, cents)
