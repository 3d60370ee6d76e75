"""Vouchers, their requests and each voucher's course of sessions, for the national seeding (bench/seed_national.py).

Every voucher is one course of coaching with one coach: its individual sessions take one of the coach's half-days
(a "lane": Monday morning to Friday morning), one week or another over 18 weeks, and its collective sessions
are the coach's Friday-afternoon group, which gathers the coach's vouchers of that week. A lane holds one course at
a time, so no coach is ever booked twice at once: the database's exclusion constraint holds by construction.
Voucher ids follow the day their course starts (so do requests and beneficiaries: voucher ``v`` belongs to
beneficiary ``v`` through request ``v``).

Each course is played against today: sessions that ended are logged (a few no-shows), the next four weeks are
booked, later ones not yet; a course that ran its length ends completed (its mix delivered and confirmed), or
expired, or withdrawn part way, as the seeded outcome says. Hours never exceed the mix, euros never the value.
"""

from __future__ import annotations

from bisect import bisect
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from bench.national_people import MIXES, UNIT_CENTS, World

COURSE_WEEKS = 18
LANES = 9  # Monday morning .. Friday morning; Friday afternoon is the coach's group
BOOKED_AHEAD = timedelta(days=28)
VALIDITY = timedelta(days=182)
VALUE_CENTS = 180_000
CANCELLED_SHARE = 0.3  # of individual sessions: one cancelled earlier, at another week of the same lane
NO_SHOW_SHARE = 0.05
DURATION_WEIGHTS = {60: 12, 90: 3, 120: 1}  # of the sessions between the first interview and the closing one
MIX_WEIGHTS = (35, 15, 15, 15, 10, 10)
MIX_STEPS = list(accumulate(weight / sum(MIX_WEIGHTS) for weight in MIX_WEIGHTS))[:-1]
ROUTE_B_OPENS = date(2025, 4, 1)
INSURERS = (100, 200, 300, 400, 500, 600, 900)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(slots=True)
class Seat:
    """One voucher's place in one session; ``key`` names the session (shared by a group's seats)."""

    key: tuple[Any, ...]
    kind: str
    starts: datetime
    minutes: int
    state: str  # logged, scheduled or cancelled
    created: datetime
    done: datetime | None = None  # logged at, or cancelled at
    attendance: str | None = None
    confirm_by: date | None = None
    confirmed: datetime | None = None
    by_silence: bool = False

    @property
    def cost(self) -> int:
        return UNIT_CENTS * self.minutes // 60 if self.kind == "individual" else UNIT_CENTS


@dataclass(slots=True)
class Course:
    id: int
    coach: int
    provider: int
    lane: int
    week: int
    issued: date
    mix: int | None = None  # index in MIXES, None while the provider has not fixed it
    status: str = "approved"
    ended: date | None = None
    seats: list[Seat] = field(default_factory=list)

    @property
    def valid_until(self) -> date:
        return self.issued + VALIDITY


def voucher_code(number: int) -> str:
    """TNW-XXXX-XXXX as the portal writes them, unique: a bijection of the id over 40 bits."""
    value = number * 0x9E3779B97 % (1 << 40)
    body = "".join(_CODE_ALPHABET[(value >> (5 * k)) & 31] for k in range(8))
    return f"TNW-{body[:4]}-{body[4:]}"


def _durations(world: World, hours: int) -> list[int]:
    """A first interview and a closing session of 1 h, and 1–2 h sessions in between: the mix's hours exactly."""
    left, middle = hours * 60 - 120, []
    while left:
        options = [d for d in (60, 90, 120) if d <= left and not 0 < left - d < 60]
        minutes = world.rng.choices(options, weights=[DURATION_WEIGHTS[d] for d in options])[0]
        middle.append(minutes)
        left -= minutes
    return [60, *middle, 60]


class Planner:
    """Turns the coaches' lanes into courses, and each course into its seats as of today."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.first_monday = world.start - timedelta(days=world.start.weekday())
        self.groups: dict[tuple[int, int], tuple[datetime, datetime, datetime]] = {}
        self.zones: dict[str, ZoneInfo] = {}

    def monday(self, week: int) -> date:
        return self.first_monday + timedelta(weeks=week)

    def local(self, coach: int, day: date, at: time) -> datetime:
        zone = self.world.coach_zone[coach]
        tz = self.zones.get(zone) or self.zones.setdefault(zone, ZoneInfo(zone))
        return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)

    def courses(self) -> list[Course]:
        world, rng = self.world, self.world.rng
        horizon = world.today + BOOKED_AHEAD
        slots = []
        for coach in range(1, world.sizes.coaches + 1):
            for lane in range(LANES):
                week = rng.randrange(COURSE_WEEKS)
                while self.monday(week) + timedelta(days=lane // 2) <= horizon:
                    if self.monday(week) >= world.start:
                        slots.append((week, coach, lane))
                    week += COURSE_WEEKS
        if len(slots) < world.sizes.vouchers:
            raise RuntimeError(f"{world.sizes.coaches} coaches can run {len(slots)} courses, not {world.sizes.vouchers}")
        chosen = sorted(rng.sample(slots, world.sizes.vouchers))
        found = []
        for number, (week, coach, lane) in enumerate(chosen, 1):
            first_day = self.monday(week) + timedelta(days=lane // 2)
            issued = min(world.today, first_day - timedelta(days=world.between(7, 21)))
            course = Course(number, coach, world.coach_provider[coach], lane, week, issued)
            self.play(course, first_day)
            found.append(course)
        return found

    def group(self, coach: int, week: int) -> tuple[datetime, datetime, datetime]:
        """The coach's Friday-afternoon group of that week: starts, booked at, logged at."""
        if (coach, week) not in self.groups:
            starts = self.local(coach, self.monday(week) + timedelta(days=4), time(13, 30))
            booked = min(starts - timedelta(days=21), self.world.now - timedelta(hours=1))
            logged = starts + timedelta(minutes=210 + self.world.between(10, 900))
            self.groups[(coach, week)] = (starts, booked, logged)
        return self.groups[(coach, week)]

    def play(self, course: Course, first_day: date) -> None:
        world, rng = self.world, self.world.rng
        now, issued_at = world.now, world.at(course.issued, 11)
        draw = rng.random()
        outcome = "never" if draw < 0.03 else "expired" if draw < 0.16 else "withdrawn" if draw < 0.24 else "completed"
        mix = bisect(MIX_STEPS, rng.random())
        hours, groups = MIXES[mix]
        durations = _durations(world, hours)
        offsets = [k * COURSE_WEEKS // len(durations) for k in range(len(durations))]
        block = time(9) if course.lane % 2 == 0 else time(13, 30)
        planned: list[tuple[datetime, str, int, tuple[Any, ...]]] = []
        for k, (offset, minutes) in enumerate(zip(offsets, durations, strict=True)):
            extra = 30 * world.between(0, 2)
            starts = self.local(course.coach, first_day + timedelta(weeks=offset), block) + timedelta(minutes=extra)
            planned.append((starts, "individual", minutes, ("i", course.id, k)))
        for k in range(groups):
            week = course.week + 3 + k * 13 // groups
            planned.append((self.group(course.coach, week)[0], "collective", 210, ("c", course.coach, week)))
        planned.sort()
        keep = {"never": 0, "completed": len(planned)}.get(outcome)
        if keep is None:
            share = rng.uniform(0.4, 0.9) if outcome == "expired" else rng.uniform(0.1, 0.7)
            keep = max(1, round(len(planned) * share))
        free = [w for w in range(COURSE_WEEKS) if w not in offsets]
        for starts, kind, minutes, key in planned[:keep]:
            if starts >= now + BOOKED_AHEAD:
                break
            if kind == "collective":
                _, booked, logged = self.group(course.coach, key[2])
            else:
                booked = max(issued_at, min(starts - timedelta(days=world.between(2, 21)), now - timedelta(minutes=5)))
                logged = starts + timedelta(minutes=minutes + world.between(5, 1200))
                earlier = [w for w in free if w < offsets[key[2]]]
                if earlier and rng.random() < CANCELLED_SHARE:
                    offset = rng.choice(earlier)
                    free.remove(offset)
                    self.cancelled(course, first_day, block, offset, minutes, issued_at)
            seat = Seat(key, kind, starts, minutes, "scheduled", max(booked, issued_at))
            if logged <= now:
                seat.state, seat.done = "logged", logged
                no_show = outcome != "completed" and rng.random() < NO_SHOW_SHARE
                seat.attendance = "no_show" if no_show else "attended"
                self.confirm(seat)
            course.seats.append(seat)
        self.settle(course, outcome, mix, len(planned))

    def cancelled(self, course: Course, first_day: date, block: time, offset: int, minutes: int,
                  issued_at: datetime) -> None:
        """A session booked at another week of the lane and cancelled before it took place."""
        world, now, rng = self.world, self.world.now, self.world.rng
        starts = self.local(course.coach, first_day + timedelta(weeks=offset), block)
        booked = max(issued_at, starts - timedelta(days=world.between(5, 25)))
        cancelled = booked + (min(starts, now) - booked) * rng.uniform(0.2, 0.9)
        if starts < now + BOOKED_AHEAD and booked < cancelled <= now:
            course.seats.append(Seat(("x", course.id, offset), "individual", starts, minutes, "cancelled", booked,
                                     cancelled))

    def confirm(self, seat: Seat) -> None:
        """Five working days to answer (a week here); mostly silence confirms it, the night after."""
        assert seat.done is not None
        seat.confirm_by = seat.done.date() + timedelta(days=7)
        if self.world.rng.random() < 0.25:
            answered = seat.done + timedelta(hours=self.world.between(2, 150))
            if answered <= self.world.now:
                seat.confirmed = answered
        elif seat.confirm_by + timedelta(days=1) < self.world.today:
            seat.confirmed, seat.by_silence = self.world.at(seat.confirm_by + timedelta(days=1), 2), True

    def settle(self, course: Course, outcome: str, mix: int, planned: int) -> None:
        """The voucher's status as of today, and the day it ended."""
        world, seats = self.world, [s for s in course.seats if s.state != "cancelled"]
        if seats:
            course.mix = mix
        logged = [s for s in seats if s.state == "logged"]
        settled = len(logged) == len(seats) and all(s.confirmed for s in logged)
        last = max((s.confirmed for s in logged if s.confirmed), default=None)
        if outcome == "completed" and settled and len(seats) == planned and last is not None:
            course.status, course.ended = "completed", last.date()
        elif outcome == "withdrawn" and settled:
            ended = (last.date() if last else course.issued) + timedelta(days=world.between(1, 30))
            if ended <= world.today and ended <= course.valid_until:
                course.status, course.ended = "withdrawn", ended
        if course.ended is None:
            if course.valid_until < world.today:
                course.status, course.ended = "expired", course.valid_until
            elif any(s.attendance == "attended" for s in logged):
                course.status = "in_progress"


REQUEST_COLUMNS = [
    "id", "beneficiary_id", "provider_id", "status", "route", "insurer_code", "initiative", "force_majeure",
    "contract_end_on", "incapacity_start_on", "benefits_scheme", "in_approved_retraining",
    "in_professional_rehabilitation", "street", "house_number", "postcode", "municipality", "country", "submitted_on",
    "decision_due_on", "paused_days", "info_requested_on", "decided_on", "decision_reason", "medical_check_ok",
    "draft_step", "created_at", "updated_at", "version"]
VOUCHER_COLUMNS = ["id", "code", "request_id", "beneficiary_id", "provider_id", "status", "value_cents",
                   "valid_from_on", "valid_until_on", "offer_id", "individual_hours", "collective_sessions",
                   "individual_unit_cents", "collective_unit_cents", "issued_on", "created_at", "version"]
REASONS = ("The incapacity has not lasted more than one year on the day of the request.",
           "The request came more than six months after the end of the contract.",
           "The person already follows an approved retraining programme.",
           "Self-employed people are outside the scheme.")
OTHER_STATUSES = ("submitted",) * 45 + ("info_requested",) * 8 + ("waitlisted",) * 10 + ("rejected",) * 20 \
    + ("withdrawn",) * 7 + ("draft",) * 10


class Requests:
    """The requests (one per person), with what the audit log says of them and of the vouchers."""

    def __init__(self, world: World) -> None:
        from portal.demo.marketplace import MUNICIPALITIES

        self.world, self.places = world, MUNICIPALITIES
        self.rows: list[tuple[Any, ...]] = []
        self.audit: list[tuple[Any, ...]] = []
        world.person_created = [None] * (world.sizes.beneficiaries + 1)

    def _request(self, rid: int, provider: int | None, status: str, submitted: date | None, decided: date | None,
                 *, route: str | None = None, info_on: date | None = None, reason: str | None = None) -> None:
        world, rng = self.world, self.world.rng
        if route is None:
            route = "A" if submitted is None or submitted < ROUTE_B_OPENS or rng.random() < 0.3 else "B"
        own = rng.random() < 0.6
        anchor = submitted or world.today - timedelta(days=world.between(0, 20))
        paused = world.between(3, 15) if info_on or rng.random() < 0.15 else 0
        postcode, town = rng.choice(self.places)
        created = world.at(anchor, 8) - timedelta(days=world.between(0, 10), minutes=world.between(0, 600))
        created = max(created, world.at(world.start, 0))
        world.person_created[rid] = created - timedelta(days=world.between(0, 30))
        updated = world.at(decided, 15) if decided else world.at(anchor, 9)
        self.rows.append((
            rid, rid, provider, status, route if submitted else None, rng.choice(INSURERS),
            "own" if own else "coordinator", route == "A", anchor - timedelta(days=world.between(5, 170))
            if route == "A" else None, anchor - timedelta(days=world.between(400, 2500)) if route == "B" else None,
            "employee" if route == "A" or rng.random() < 0.6 else "job_seeker", False, False,
            f"Rue {rng.choice(world.last_names)}", str(world.between(1, 180)), postcode, town, "BE", submitted,
            submitted + timedelta(days=45 + paused) if submitted else None, paused, info_on, decided, reason,
            True if own and status == "approved" else None, 4 if submitted else world.between(1, 3), created,
            min(updated, world.now), 1 + (status != "draft") + (decided is not None)))
        user = rid  # beneficiary i is user i
        if submitted:
            self.audit.append((world.at(submitted, 9), user, "voucher_request", rid, "status_changed", "draft",
                               "submitted", None))
        if info_on:
            self.audit.append((world.at(info_on, 14), world.admin_id, "voucher_request", rid, "status_changed",
                               "submitted", "info_requested", "A missing piece of the request"))
        if decided:
            actor = user if status == "withdrawn" else world.admin_id
            self.audit.append((world.at(decided, 15), actor, "voucher_request", rid, "status_changed", "submitted",
                               status, reason))

    def for_courses(self, courses: list[Course]) -> list[tuple[Any, ...]]:
        """The approved request of each voucher, and the voucher row; the voucher's own history in the audit log."""
        world = self.world
        vouchers = []
        for course in courses:
            submitted = max(world.start, course.issued - timedelta(days=world.between(5, 44)))
            self._request(course.id, course.provider, "approved", submitted, course.issued)
            hours, groups = MIXES[course.mix] if course.mix is not None else (None, None)
            offer = 6 * (course.provider - 1) + course.mix + 1 if course.mix is not None else None
            issued_at = world.at(course.issued, 15)
            vouchers.append((course.id, voucher_code(course.id), course.id, course.id, course.provider, course.status,
                             VALUE_CENTS, course.issued, course.valid_until, offer, hours, groups,
                             UNIT_CENTS if hours is not None else None, UNIT_CENTS if hours is not None else None,
                             course.issued, issued_at, 1 + (course.status != "approved") + (course.ended is not None)))
            self.audit.append((issued_at, world.admin_id, "voucher", course.id, "issued", None, "approved",
                               f"request {course.id}"))
            attended = [s.done for s in course.seats if s.attendance == "attended" and s.done]
            staff = world.provider_admin_id(course.provider)
            if attended:
                self.audit.append((min(attended), staff, "voucher", course.id, "status_changed", "approved",
                                   "in_progress", "first session logged"))
            if course.ended is not None:
                before = "in_progress" if attended else "approved"
                actor, why = {"completed": (staff, "the whole mix was delivered"), "expired": (None, "validity ended"),
                              "withdrawn": (course.id, None)}[course.status]
                self.audit.append((world.at(course.ended, 3 if course.status == "completed" else 12), actor,
                                   "voucher", course.id, "status_changed", before, course.status, why))
        return vouchers

    def others(self, first: int) -> None:
        """Requests without a voucher: waiting for the 45-day decision (some late), asked for a missing piece, on
        the waiting list, refused, withdrawn, or still a draft."""
        world, rng = self.world, self.world.rng
        span = (world.today - world.start).days
        for rid in range(first, first + world.sizes.other_requests):
            status = rng.choice(OTHER_STATUSES)
            provider = rng.choice(world.listed)
            if status == "draft":
                self._request(rid, provider if rng.random() < 0.5 else None, status, None, None)
            elif status in ("submitted", "info_requested"):
                submitted = world.today - timedelta(days=world.between(0, 58))
                info = submitted + timedelta(days=world.between(1, 20)) if status == "info_requested" else None
                self._request(rid, provider, status, submitted, None, info_on=min(info, world.today) if info else None)
            elif status == "waitlisted":
                submitted = world.today - timedelta(days=world.between(15, min(span, 250)))
                submitted = max(submitted, ROUTE_B_OPENS)
                self._request(rid, provider, status, submitted,
                              min(world.today, submitted + timedelta(days=world.between(5, 44))), route="B")
            else:
                submitted = world.start + timedelta(days=world.between(0, span - 50))
                decided = submitted + timedelta(days=world.between(3, 44))
                self._request(rid, provider, status, submitted, decided,
                              reason=rng.choice(REASONS) if status == "rejected" else None)
