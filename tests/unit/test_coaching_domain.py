"""Unit tests for coaching.domain: every cap must fail a test when broken."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from datetime import datetime as _dt
from datetime import time as _t
from datetime import timezone as _tz
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coaching.availability import domain as av
from coaching.calendar.domain import (
    VoucherUsage,
    add_working_days,
    apply_log,
    check_can_log,
    confirmation_deadline,
    individual_session_cost_cents,
    is_working_day,
    remaining_balance,
    session_cost_cents,
    validate_session_duration,
)
from coaching.claims.domain import claim_amount_cents
from coaching.marketplace.domain import (
    POSTCODE_RANGES,
    REGION_CODES,
    REGION_NAMES,
    region_for_postcode,
    suggested_languages,
)
from coaching.providers.domain import (
    STANDARD_MIXES,
    Mix,
    offer_cost_cents,
    validate_offer,
)
from portal.rules import DEFAULT_RULES

VALUE = DEFAULT_RULES.voucher_value_cents
UNIT = DEFAULT_RULES.default_individual_unit_cents
CUNIT = DEFAULT_RULES.default_collective_unit_cents


def codes(problems):
    return {(p.field, p.code) for p in problems}


# ---------------------------------------------------------------- offers


@pytest.mark.parametrize(
    ("mix", "total_hours"),
    list(zip(STANDARD_MIXES, [24.5, 22, 19.5, 17, 14.5, 12], strict=True)),
)
def test_standard_mixes_cost_exactly_the_voucher_value(mix, total_hours):
    cost = offer_cost_cents(mix.individual_hours, mix.collective_sessions, UNIT, CUNIT)
    assert cost == 180_000
    assert mix.total_minutes(DEFAULT_RULES) == int(total_hours * 60)
    assert validate_offer(mix.individual_hours, mix.collective_sessions, UNIT, CUNIT, rules=DEFAULT_RULES) == []


def test_standard_mixes_are_the_six_of_the_domain():
    assert [(m.individual_hours, m.collective_sessions) for m in STANDARD_MIXES] == [
        (7, 5), (8, 4), (9, 3), (10, 2), (11, 1), (12, 0),
    ]


def test_individual_hours_cap_12_ok_13_refused():
    assert validate_offer(12, 0, 100, 100, rules=DEFAULT_RULES, voucher_value_cents=VALUE) == []
    assert ("individual_hours", "too_many") in codes(
        validate_offer(13, 0, 100, 100, rules=DEFAULT_RULES, voucher_value_cents=VALUE)
    )


def test_individual_hours_cap_follows_the_setting():
    rules = replace(DEFAULT_RULES, max_individual_hours=10)
    assert ("individual_hours", "too_many") in codes(validate_offer(11, 0, 100, 100, rules=rules))
    assert validate_offer(10, 0, 100, 100, rules=rules) == []


def test_offer_cost_exactly_at_value_ok_one_cent_over_refused():
    # 12 h at 15,000 = 180,000 exactly.
    assert validate_offer(12, 0, 15_000, 1, rules=DEFAULT_RULES, voucher_value_cents=180_000) == []
    # One hour priced one cent above the value: refused; exactly the value: accepted.
    assert codes(validate_offer(1, 0, 180_001, 1, rules=DEFAULT_RULES, voucher_value_cents=180_000)) == {
        ("cost", "above_voucher_value")
    }
    assert validate_offer(1, 0, 180_000, 1, rules=DEFAULT_RULES, voucher_value_cents=180_000) == []
    assert codes(validate_offer(7, 5, 15_000, 15_001, rules=DEFAULT_RULES)) == {("cost", "above_voucher_value")}


def test_offer_value_defaults_to_rules():
    rules = replace(DEFAULT_RULES, voucher_value_cents=150_000)
    assert ("cost", "above_voucher_value") in codes(validate_offer(7, 5, UNIT, CUNIT, rules=rules))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((-1, 1, 100, 100), ("individual_hours", "negative")),
        ((1, -1, 100, 100), ("collective_sessions", "negative")),
        ((0, 0, 100, 100), ("offer", "empty")),
        ((1, 1, 0, 100), ("individual_unit_cents", "not_positive")),
        ((1, 1, 100, -5), ("collective_unit_cents", "not_positive")),
        ((1, 1, 100.5, 100), ("individual_unit_cents", "not_integer")),
        ((1.5, 1, 100, 100), ("individual_hours", "not_integer")),
        ((1, True, 100, 100), ("collective_sessions", "not_integer")),
    ],
)
def test_offer_refusals(args, expected):
    problems = validate_offer(*args, rules=DEFAULT_RULES)
    assert expected in codes(problems)
    assert all(p.message for p in problems)


def test_collective_only_offer_allowed():
    assert validate_offer(0, 3, 100, 100, rules=DEFAULT_RULES) == []


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("minutes", "ok"),
    [(59, False), (60, True), (75, True), (90, True), (120, True), (121, False), (70, False), (45, False), (135, False)],
)
def test_individual_duration(minutes, ok):
    assert (validate_session_duration("individual", minutes, DEFAULT_RULES) == []) is ok


@pytest.mark.parametrize("minutes", [45, 59, 121, 135])
def test_individual_duration_out_of_range_is_named(minutes):
    assert ("minutes", "out_of_range") in codes(validate_session_duration("individual", minutes, DEFAULT_RULES))


@pytest.mark.parametrize(("minutes", "ok"), [(210, True), (209, False), (211, False), (180, False), (120, False)])
def test_collective_duration_is_exactly_210(minutes, ok):
    assert (validate_session_duration("collective", minutes, DEFAULT_RULES) == []) is ok


def test_unknown_kind_refused():
    assert codes(validate_session_duration("group", 60, DEFAULT_RULES)) == {("kind", "unknown")}
    assert ("kind", "unknown") in codes(check_can_log(Mix(12, 0), VoucherUsage(), "group", 60, UNIT, VALUE))


# ---------------------------------------------------------------- costs and balances


def test_individual_cost_pro_rata_rounds_half_up():
    assert individual_session_cost_cents(60, 15_000) == 15_000
    assert individual_session_cost_cents(75, 15_000) == 18_750
    assert individual_session_cost_cents(90, 15_001) == 22_502  # 22,501.5 -> 22,502
    assert individual_session_cost_cents(75, 15_001) == 18_751  # 18,751.25 -> 18,751
    assert individual_session_cost_cents(105, 15_001) == 26_252  # 26,251.75 -> 26,252
    assert session_cost_cents("collective", 210, 15_000) == 15_000
    with pytest.raises(ValueError):
        session_cost_cents("group", 60, 1)


def test_can_log_exactly_filling_individual_hours_then_one_more_minute_refused():
    mix = Mix(2, 0)
    usage = VoucherUsage(individual_minutes_used=60, spent_cents=15_000)
    assert check_can_log(mix, usage, "individual", 60, UNIT, VALUE) == []
    # 75 minutes when 60 are left: refused on the hours cap.
    assert ("minutes", "individual_exceeded") in codes(check_can_log(mix, usage, "individual", 75, UNIT, VALUE))
    full = apply_log(usage, "individual", 60, UNIT)
    assert full == VoucherUsage(120, 0, 30_000)
    # one more minute than the plan: refused.
    almost = VoucherUsage(individual_minutes_used=61, spent_cents=15_000)
    assert ("minutes", "individual_exceeded") in codes(check_can_log(mix, almost, "individual", 60, UNIT, VALUE))
    assert remaining_balance(mix, full, VALUE).individual_minutes_left == 0


def test_collective_sessions_cap():
    mix = Mix(7, 5)
    usage = VoucherUsage(collective_sessions_used=4, spent_cents=60_000)
    assert check_can_log(mix, usage, "collective", 210, CUNIT, VALUE) == []
    done = apply_log(usage, "collective", 210, CUNIT)
    assert done.collective_sessions_used == 5
    assert codes(check_can_log(mix, done, "collective", 210, CUNIT, VALUE)) == {("kind", "collective_exceeded")}


def test_value_cap_exact_ok_one_cent_over_refused():
    mix = Mix(12, 0)
    usage = VoucherUsage(individual_minutes_used=0, spent_cents=VALUE - UNIT)
    assert check_can_log(mix, usage, "individual", 60, UNIT, VALUE) == []
    over = replace(usage, spent_cents=VALUE - UNIT + 1)
    assert codes(check_can_log(mix, over, "individual", 60, UNIT, VALUE)) == {("cost", "value_exceeded")}


def test_can_log_checks_duration_and_unit_price():
    assert ("minutes", "not_step") in codes(check_can_log(Mix(12, 0), VoucherUsage(), "individual", 70, UNIT, VALUE))
    assert ("unit_cents", "not_positive") in codes(check_can_log(Mix(12, 0), VoucherUsage(), "individual", 60, 0, VALUE))


def test_replanned_smaller_mix_never_negative_balance():
    left = remaining_balance(Mix(7, 0), VoucherUsage(600, 2, 190_000), VALUE)
    assert (left.individual_minutes_left, left.collective_sessions_left, left.cents_left) == (0, 0, 0)


_valid_individual = st.sampled_from(range(60, 121, 15))
_log = st.one_of(
    st.tuples(st.just("individual"), _valid_individual),
    st.tuples(st.just("collective"), st.just(210)),
)


@settings(max_examples=300, deadline=None)
@given(
    individual_hours=st.integers(0, 12),
    collective_sessions=st.integers(0, 8),
    unit=st.integers(1, 40_000),
    cunit=st.integers(1, 40_000),
    value=st.integers(0, 200_000),
    logs=st.lists(_log, max_size=40),
)
def test_allowed_logs_never_exceed_mix_or_value(individual_hours, collective_sessions, unit, cunit, value, logs):
    mix = Mix(individual_hours, collective_sessions)
    usage = VoucherUsage()
    for kind, minutes in logs:
        price = unit if kind == "individual" else cunit
        problems = check_can_log(mix, usage, kind, minutes, price, value)
        after = apply_log(usage, kind, minutes, price)
        within = (
            after.individual_minutes_used <= mix.individual_minutes
            and after.collective_sessions_used <= mix.collective_sessions
            and after.spent_cents <= value
        )
        # Refused exactly when the session would break a cap.
        assert (problems == []) is within
        if not problems:
            usage = after
    assert usage.individual_minutes_used <= mix.individual_minutes
    assert usage.collective_sessions_used <= mix.collective_sessions
    assert usage.spent_cents <= value


# ---------------------------------------------------------------- claims


def test_claim_is_sum_when_under_value():
    assert claim_amount_cents([15_000, 18_750], already_claimed_cents=0, voucher_value_cents=VALUE) == 33_750


def test_claim_capped_at_remaining_value():
    assert claim_amount_cents([15_000, 15_000], already_claimed_cents=165_000, voucher_value_cents=VALUE) == 15_000
    assert claim_amount_cents([15_000, 15_000], already_claimed_cents=150_000, voucher_value_cents=VALUE) == 30_000
    assert claim_amount_cents([15_000], already_claimed_cents=VALUE, voucher_value_cents=VALUE) == 0
    assert claim_amount_cents([], already_claimed_cents=0, voucher_value_cents=VALUE) == 0


def test_claim_rejects_bad_input():
    with pytest.raises(ValueError):
        claim_amount_cents([-1], already_claimed_cents=0, voucher_value_cents=VALUE)
    with pytest.raises(ValueError):
        claim_amount_cents([1], already_claimed_cents=-1, voucher_value_cents=VALUE)


@given(st.lists(st.lists(st.integers(0, 50_000), max_size=10), max_size=20))
def test_successive_claims_never_exceed_value(batches):
    claimed = 0
    for batch in batches:
        amount = claim_amount_cents(batch, already_claimed_cents=claimed, voucher_value_cents=VALUE)
        assert 0 <= amount <= sum(batch)
        claimed += amount
    assert claimed <= VALUE


# ---------------------------------------------------------------- working days


def test_working_days_basics():
    assert is_working_day(date(2026, 4, 7))
    assert not is_working_day(date(2026, 4, 6))  # Easter Monday
    assert not is_working_day(date(2026, 3, 7))  # Saturday
    assert not is_working_day(date(2026, 3, 8))  # Sunday
    assert not is_working_day(date(2025, 12, 25))
    assert is_working_day(date(2025, 12, 26))  # not a Belgian public holiday
    assert not is_working_day(date(2026, 1, 1))
    assert not is_working_day(date(2026, 7, 21))  # national day


def test_deadline_across_christmas_and_new_year():
    # Wed 24 Dec 2025: 26, 29, 30, 31 Dec, then (1 Jan off) Fri 2 Jan.
    assert confirmation_deadline(date(2025, 12, 24)) == date(2026, 1, 2)


def test_deadline_across_easter_monday():
    # Thu 2 Apr 2026: Fri 3, (Mon 6 off) Tue 7, Wed 8, Thu 9, Fri 10.
    assert confirmation_deadline(date(2026, 4, 2)) == date(2026, 4, 10)
    # Without the holiday it would be Thu 9: the holiday must count.
    assert confirmation_deadline(date(2026, 4, 2)) != date(2026, 4, 9)


def test_deadline_across_a_weekend():
    assert confirmation_deadline(date(2026, 3, 2)) == date(2026, 3, 9)  # Mon -> next Mon
    assert confirmation_deadline(date(2026, 3, 6)) == date(2026, 3, 13)  # Fri -> next Fri
    assert confirmation_deadline(date(2026, 3, 7)) == date(2026, 3, 13)  # logged on Saturday


def test_deadline_uses_setting_and_add_working_days():
    assert confirmation_deadline(date(2026, 3, 2), DEFAULT_RULES.confirmation_working_days) == date(2026, 3, 9)
    assert confirmation_deadline(date(2026, 3, 2), 1) == date(2026, 3, 3)
    assert add_working_days(date(2026, 3, 2), 0) == date(2026, 3, 2)
    assert add_working_days(date(2026, 4, 7), -1) == date(2026, 4, 3)


# ---------------------------------------------------------------- places


@pytest.mark.parametrize(
    ("postcode", "region"),
    [
        (999, None),
        (1000, "brussels"),
        (1299, "brussels"),
        (1300, "walloon_brabant"),
        (1499, "walloon_brabant"),
        (1500, "flemish_brabant"),
        (1999, "flemish_brabant"),
        (2000, "antwerp"),
        (2999, "antwerp"),
        (3000, "flemish_brabant"),
        (3499, "flemish_brabant"),
        (3500, "limburg"),
        (3999, "limburg"),
        (4000, "liege"),
        (4699, "liege"),
        (4700, "liege"),
        (4791, "liege"),
        (4792, "liege"),
        (5000, "namur"),
        (5999, "namur"),
        (6000, "hainaut"),
        (6599, "hainaut"),
        (6600, "luxembourg"),
        (6999, "luxembourg"),
        (7000, "hainaut"),
        (7999, "hainaut"),
        (8000, "west_flanders"),
        (8999, "west_flanders"),
        (9000, "east_flanders"),
        (9999, "east_flanders"),
        (10000, None),
        ("1000", "brussels"),
        (" 4700 ", "liege"),
        ("0999", None),
        ("10a0", None),
        ("", None),
        (True, None),
    ],
)
def test_region_for_postcode(postcode, region):
    assert region_for_postcode(postcode) == region


@pytest.mark.parametrize(
    ("postcode", "languages"),
    [
        (999, ()),
        (1000, ("fr", "nl")),
        (1299, ("fr", "nl")),
        (1300, ("fr",)),
        (1499, ("fr",)),
        (1500, ("nl",)),
        (1999, ("nl",)),
        (2000, ("nl",)),
        (3499, ("nl",)),
        (3500, ("nl",)),
        (4699, ("fr",)),
        (4700, ("de",)),
        ("4791", ("de",)),
        (4792, ("fr",)),
        (6599, ("fr",)),
        (6600, ("fr",)),
        (6999, ("fr",)),
        (7000, ("fr",)),
        (9999, ("nl",)),
        (10000, ()),
    ],
)
def test_suggested_languages(postcode, languages):
    assert suggested_languages(postcode) == languages


def test_region_names_cover_every_code():
    assert len(REGION_CODES) == 11
    assert set(REGION_CODES) == set(REGION_NAMES)
    assert REGION_NAMES["brussels"] == "Brussels-Capital"
    every_code = {region_for_postcode(p) for p in range(1000, 10000)}
    assert every_code == set(REGION_CODES)


def test_postcode_ranges_tile_1000_to_9999_without_overlap():
    expected_start = 1000
    for low, high, code in POSTCODE_RANGES:
        assert low == expected_start and low <= high and code in REGION_NAMES
        expected_start = high + 1
    assert expected_start == 10000


# --- coach availability (coaching.availability) ---------------------------------------------------

UTC = _tz.utc
# The last Sundays of March and October: Brussels goes to summer time at 02:00 and back at 03:00.
SPRING_2026, AUTUMN_2026 = date(2026, 3, 29), date(2026, 10, 25)
SUNDAY = 6


def _utc(day: date, hour: int, minute: int = 0) -> _dt:
    return _dt(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def test_the_dst_days_are_the_last_sundays():
    assert SPRING_2026.weekday() == SUNDAY and (SPRING_2026 + timedelta(days=7)).month == 4
    assert AUTUMN_2026.weekday() == SUNDAY and (AUTUMN_2026 + timedelta(days=7)).month == 11


def test_weekly_hours_follow_daylight_saving_in_brussels():
    weekly = [av.WeeklyRange(SUNDAY, _t(9), _t(12))]
    intervals = av.availability_intervals(SPRING_2026 - timedelta(days=7), AUTUMN_2026 + timedelta(days=7),
                                          "Europe/Brussels", weekly, [])
    by_day = {start.date(): (start, end) for start, end in intervals}
    # 09:00-12:00 local is 08:00-11:00 UTC in winter, 07:00-10:00 UTC in summer.
    assert by_day[date(2026, 3, 22)] == (_utc(date(2026, 3, 22), 8), _utc(date(2026, 3, 22), 11))
    assert by_day[SPRING_2026] == (_utc(SPRING_2026, 7), _utc(SPRING_2026, 10))
    assert by_day[date(2026, 10, 18)] == (_utc(date(2026, 10, 18), 7), _utc(date(2026, 10, 18), 10))
    assert by_day[AUTUMN_2026] == (_utc(AUTUMN_2026, 8), _utc(AUTUMN_2026, 11))
    assert by_day[date(2026, 11, 1)] == (_utc(date(2026, 11, 1), 8), _utc(date(2026, 11, 1), 11))
    assert all(end - start == timedelta(hours=3) for start, end in intervals)


def test_a_range_over_the_change_of_time_lasts_what_the_clock_says():
    night = [av.WeeklyRange(SUNDAY, _t(1), _t(4))]
    (spring,) = av.availability_intervals(SPRING_2026, SPRING_2026, "Europe/Brussels", night, [])
    (autumn,) = av.availability_intervals(AUTUMN_2026, AUTUMN_2026, "Europe/Brussels", night, [])
    assert spring == (_utc(SPRING_2026, 0), _utc(SPRING_2026, 2))  # one hour is skipped: 2 h
    assert autumn == (_utc(AUTUMN_2026, 0) - timedelta(hours=1), _utc(AUTUMN_2026, 3))  # one is repeated: 4 h


def test_a_time_skipped_in_spring_starts_at_the_jump_and_a_repeated_one_counts_twice():
    zone = ZoneInfo("Europe/Brussels")
    assert av.wall_to_utc(SPRING_2026, _t(2, 30), zone) == _utc(SPRING_2026, 1)  # 03:00 summer time
    assert av.wall_to_utc(SPRING_2026, _t(2, 30), zone, last=True) == _utc(SPRING_2026, 1)
    assert av.wall_to_utc(AUTUMN_2026, _t(2, 30), zone) == _utc(AUTUMN_2026, 0, 30)  # first time round
    assert av.wall_to_utc(AUTUMN_2026, _t(2, 30), zone, last=True) == _utc(AUTUMN_2026, 1, 30)  # second
    inside_the_gap = [av.WeeklyRange(SUNDAY, _t(2), _t(2, 45))]
    assert av.availability_intervals(SPRING_2026, SPRING_2026, "Europe/Brussels", inside_the_gap, []) == []
    from_the_gap = [av.WeeklyRange(SUNDAY, _t(2, 30), _t(4))]
    assert av.availability_intervals(SPRING_2026, SPRING_2026, "Europe/Brussels", from_the_gap, []) == [
        (_utc(SPRING_2026, 1), _utc(SPRING_2026, 2))]


def test_a_session_at_nine_on_the_dst_sundays_is_within_nine_to_twelve():
    weekly = [av.WeeklyRange(SUNDAY, _t(9), _t(12))]
    for day, offset in ((SPRING_2026, 2), (AUTUMN_2026, 1)):
        intervals = av.availability_intervals(day - timedelta(days=1), day, "Europe/Brussels", weekly, [])
        nine = _dt.combine(day, _t(9 - offset), tzinfo=UTC)
        assert av.is_within(intervals, nine, nine + timedelta(hours=2))
        assert not av.is_within(intervals, nine - timedelta(minutes=15), nine + timedelta(hours=1))
        assert not av.is_within(intervals, nine + timedelta(hours=2), nine + timedelta(hours=3, minutes=15))


def test_weekly_validation_end_after_start_steps_and_no_overlap():
    ok = [av.WeeklyRange(0, _t(9), _t(12)), av.WeeklyRange(0, _t(12), _t(17)), av.WeeklyRange(2, _t(9), _t(10))]
    assert av.validate_weekly(ok, step_minutes=15) == []  # touching is not overlapping
    codes = lambda problems: {(p.field, p.code) for p in problems}  # noqa: E731
    assert codes(av.validate_weekly([av.WeeklyRange(1, _t(12), _t(9))], step_minutes=15)) == {
        ("weekday_1", "ends_before_start")}
    assert codes(av.validate_weekly([av.WeeklyRange(1, _t(12), _t(12))], step_minutes=15)) == {
        ("weekday_1", "ends_before_start")}
    assert codes(av.validate_weekly([av.WeeklyRange(1, _t(9, 10), _t(12))], step_minutes=15)) == {
        ("weekday_1", "not_step")}
    assert codes(av.validate_weekly([av.WeeklyRange(4, _t(9), _t(12)), av.WeeklyRange(4, _t(11, 45), _t(13))],
                                    step_minutes=15)) == {("weekday_4", "overlap")}
    assert codes(av.validate_weekly([av.WeeklyRange(7, _t(9), _t(12))], step_minutes=15)) == {("weekday", "unknown")}
    assert av.validate_weekly([av.WeeklyRange(1, _t(9, 30), _t(12))], step_minutes=30) == []


def _exception(first, last=None, available=False, start=None, end=None):  # noqa: ANN001, ANN202
    return av.ExceptionRule(first, last or first, available, start, end)


def test_exception_validation():
    today = date(2026, 11, 25)
    day = date(2026, 12, 7)
    check = lambda rule, existing=(): {p.code for p in av.validate_exception(  # noqa: E731
        rule, existing, today=today, step_minutes=15)}
    assert check(_exception(day)) == set()
    assert check(_exception(day, day + timedelta(days=13))) == set()  # a fortnight's leave is one exception
    assert check(_exception(day, day - timedelta(days=1))) == {"ends_before_start"}
    assert check(_exception(today - timedelta(days=3), today - timedelta(days=1))) == {"in_the_past"}
    assert check(_exception(today - timedelta(days=1), today)) == set()  # still running today
    assert check(_exception(day, day + timedelta(days=366))) == {"too_long"}
    assert check(_exception(today + timedelta(days=5 * 365))) == {"too_far"}
    assert check(_exception(day, start=_t(9))) == {"half_range"}
    assert check(_exception(day, available=True)) == {"missing"}  # extra hours need their times
    assert check(_exception(day, start=_t(10), end=_t(9))) == {"ends_before_start"}
    assert check(_exception(day, start=_t(10, 5), end=_t(11))) == {"not_step"}
    # Clashes on a shared day.
    whole = _exception(day, day + timedelta(days=2))
    assert check(_exception(day + timedelta(days=2)), [whole]) == {"overlap"}
    assert check(_exception(day + timedelta(days=3)), [whole]) == set()
    assert check(_exception(day + timedelta(days=1), start=_t(9), end=_t(10)), [whole]) == {"overlap"}
    assert check(_exception(day + timedelta(days=1), available=True, start=_t(18), end=_t(20)), [whole]) == set()
    morning = _exception(day, start=_t(9), end=_t(12))
    assert check(_exception(day, available=True, start=_t(11), end=_t(13)), [morning]) == {"overlap"}
    assert check(_exception(day, available=True, start=_t(12), end=_t(13)), [morning]) == set()


def test_exceptions_take_days_and_hours_off_and_add_extra_hours():
    weekly = [av.WeeklyRange(0, _t(9), _t(12)), av.WeeklyRange(0, _t(13), _t(17))]
    monday = date(2026, 12, 7)
    assert av.day_ranges(monday, weekly, []) == [(_t(9), _t(12)), (_t(13), _t(17))]
    assert av.day_ranges(monday + timedelta(days=1), weekly, []) == []
    leave = _exception(monday - timedelta(days=3), monday)
    assert av.day_ranges(monday, weekly, [leave]) == []
    assert av.day_ranges(monday + timedelta(days=7), weekly, [leave]) == [(_t(9), _t(12)), (_t(13), _t(17))]
    dentist = _exception(monday, start=_t(10), end=_t(11))
    assert av.day_ranges(monday, weekly, [dentist]) == [(_t(9), _t(10)), (_t(11), _t(12)), (_t(13), _t(17))]
    evening = _exception(monday, available=True, start=_t(17), end=_t(19))
    assert av.day_ranges(monday, weekly, [evening]) == [(_t(9), _t(12)), (_t(13), _t(19))]
    only_evening = [_exception(monday), evening]
    assert av.day_ranges(monday, weekly, only_evening) == [(_t(17), _t(19))]
    tuesday_extra = _exception(monday + timedelta(days=1), available=True, start=_t(14), end=_t(16))
    assert av.day_ranges(monday + timedelta(days=1), weekly, [tuesday_extra]) == [(_t(14), _t(16))]


def test_a_day_off_on_the_dst_sunday_leaves_no_interval():
    weekly = [av.WeeklyRange(SUNDAY, _t(9), _t(12))]
    assert av.availability_intervals(SPRING_2026, SPRING_2026, "Europe/Brussels", weekly,
                                     [_exception(SPRING_2026)]) == []
    extra = _exception(AUTUMN_2026, available=True, start=_t(14), end=_t(15))
    assert av.availability_intervals(AUTUMN_2026, AUTUMN_2026, "Europe/Brussels", weekly, [extra]) == [
        (_utc(AUTUMN_2026, 8), _utc(AUTUMN_2026, 11)), (_utc(AUTUMN_2026, 13), _utc(AUTUMN_2026, 14))]


@pytest.mark.parametrize("text, expected", [
    ("", []),
    ("09:00-12:00", [(_t(9), _t(12))]),
    ("9-12, 13:30 – 17:00", [(_t(9), _t(12)), (_t(13, 30), _t(17))]),
    ("9h-12h30; 14h-16h", [(_t(9), _t(12, 30)), (_t(14), _t(16))]),
])
def test_ranges_are_read_as_people_type_them(text, expected):
    assert av.parse_ranges(text) == expected
    assert av.parse_ranges(av.format_ranges(expected)) == expected


@pytest.mark.parametrize("text", ["9", "9-", "nine-ten", "09:00-12:00-13:00", "25:00-26:00", "9:75-10"])
def test_unreadable_ranges_are_refused(text):
    with pytest.raises(ValueError):
        av.parse_ranges(text)
