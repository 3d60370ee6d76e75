"""Who hears about a session: the beneficiaries on its seats (booked, cancelled, logged with the day by
which to answer) and its coach (a seat cancelled because a voucher was given up)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from coaching.calendar.domain import ATTENDANCE_TEXTS, MODE_TEXTS
from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.providers.models import Coach
from portal.auth.models import User
from portal.i18n import hours
from portal.notifications.services import Msg, notify, page
from vouchers.requests.models import Voucher


def coach_user(session: Session, booked: CoachingSession) -> User | None:
    coach = session.get(Coach, booked.coach_id)
    return session.get(User, coach.user_id) if coach is not None and coach.user_id else None


def coach_name(session: Session, booked: CoachingSession) -> str:
    user = coach_user(session, booked)
    return user.display_name if user is not None else ""


def _beneficiaries(vouchers: Iterable[Voucher]) -> list[User]:
    return [voucher.beneficiary.user for voucher in vouchers]


def tell_booked(session: Session, booked: CoachingSession, vouchers: Iterable[Voucher]) -> None:
    notify(session, _beneficiaries(vouchers), "session_booked", link=page("agenda.agenda"),
           object_type="coaching_session", object_id=booked.id, starts_at=booked.starts_at,
           mode=Msg(MODE_TEXTS.get(booked.mode, booked.mode)), coach=coach_name(session, booked))


def tell_cancelled(session: Session, booked: CoachingSession, vouchers: Iterable[Voucher]) -> None:
    notify(session, _beneficiaries(vouchers), "session_cancelled", link=page("agenda.agenda"),
           object_type="coaching_session", object_id=booked.id, starts_at=booked.starts_at)


def tell_logged(session: Session, booked: CoachingSession, seats: Iterable[SessionSeat],
                vouchers: dict[int, Voucher]) -> None:
    """Each beneficiary is asked to confirm or dispute by their seat's day (silence confirms)."""
    for seat in seats:
        voucher = vouchers[seat.voucher_id]
        notify(session, [voucher.beneficiary.user], "session_logged", link=page("agenda.agenda"),
               object_type="coaching_session", object_id=booked.id, starts_at=booked.starts_at,
               attendance=Msg(ATTENDANCE_TEXTS.get(seat.attendance or "", seat.attendance or "")),
               duration=f"{hours(booked.logged_minutes or booked.duration_minutes)} h", confirm_by_on=seat.confirm_by_on)


def tell_coach_seat_freed(session: Session, booked: CoachingSession, voucher: Voucher) -> None:
    """A beneficiary gave up their voucher: the coach of each session they were booked on hears of it."""
    user = coach_user(session, booked)
    if user is None:
        return
    notify(session, [user], "voucher_withdrawn", link=page("calendar.session_detail", session_id=booked.id),
           object_type="coaching_session", object_id=booked.id, code=voucher.code)
