"""The coaching package's scheduled jobs, run through the scheduler twice: each effect happens once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.clock import utcnow
from portal.scheduler import load_jobs, run_job


def iso(value):
    return value.isoformat()


def test_silence_confirms_once_through_the_scheduler(app, db_session, client, admin_headers, make_voucher, offer,
                                                     coach, slot):
    from coaching.calendar.models import SessionSeat

    voucher, _ = make_voucher()
    client.post(f"/api/v1/provider/vouchers/{voucher.id}/accept", headers=admin_headers, json={"offer_id": offer.id})
    booked = client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "starts_at": iso(slot()),
        "duration_minutes": 60}).get_json()
    client.post(f"/api/v1/sessions/{booked['id']}/log", headers=admin_headers,
                json={"attendance": {str(voucher.id): "attended"}, "duration_minutes": 60})
    seat = db_session.scalar(select(SessionSeat).where(SessionSeat.session_id == booked["id"]))
    job = load_jobs()["confirm_by_silence"]
    # The job runs on the day after the fifth working day: seen from then, the seat's time is up.
    run_at = utcnow() + timedelta(days=(seat.confirm_by_on - utcnow().date()).days + 2)
    with app.app_context():
        first = run_job(db_session, job, now=run_at)
        again = run_job(db_session, job, now=run_at)
        next_day = run_job(db_session, job, now=run_at + timedelta(days=1))
    assert (first, next_day) == ("1 confirmed", "0 confirmed") and again.startswith("skipped")
    assert seat.confirmation == "confirmed" and seat.confirmed_by_silence
