"""Provider change before the first session, and expiry at the end of validity."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.clock import utcnow
from portal.errors import Conflict, NotFound, ValidationFailed
from portal.permissions import Role
from tests.support.factories import make_provider, make_user
from tests.support.notices import told_exactly
from tests.support.web import login, post_form
from vouchers.ledger.models import LedgerEntry
from vouchers.ledger.services import entries as ledger
from vouchers.requests.services.requests import (
    RequestData,
    decide_voucher_request,
    submit_voucher_request,
)
from vouchers.requests.services.vouchers import (
    accept_provider_change,
    expire_vouchers,
    request_provider_change,
)
from vouchers.requests.usage import UsageEntry


@pytest.fixture
def voucher(db_session, beneficiary, admin, provider, today):
    from vouchers.requests.models import Voucher

    data = RequestData(provider_id=provider.id, insurer_code=100, initiative="coordinator", force_majeure=True,
                       contract_end_on=today - timedelta(days=5),
                       address={"street": "Rue", "number": "1", "postcode": "1000", "municipality": "Bruxelles"})
    request = submit_voucher_request(db_session, beneficiary, data, today=today, now=utcnow())
    decide_voucher_request(db_session, admin, request.id, "approve", None, today=today, now=utcnow())
    return db_session.scalar(select(Voucher).where(Voucher.request_id == request.id))


def test_provider_change_needs_the_new_providers_acceptance(db_session, beneficiary, voucher):
    other = make_provider(db_session)
    old = voucher.provider_id
    request_provider_change(db_session, beneficiary, voucher.id, other.id, now=utcnow())
    assert voucher.provider_id == old and voucher.pending_provider_id == other.id
    wrong_staff = make_user(db_session, Role.PROVIDER_ADMIN)
    with pytest.raises(NotFound):
        accept_provider_change(db_session, wrong_staff, voucher.id, now=utcnow())
    staff = make_user(db_session, Role.PROVIDER_ADMIN, provider_id=other.id)
    accept_provider_change(db_session, staff, voucher.id, now=utcnow())
    assert voucher.provider_id == other.id and voucher.pending_provider_id is None


def test_both_providers_hear_of_a_change_and_the_new_one_can_act(app, db_session, beneficiary, voucher, provider):
    old_staff = make_user(db_session, Role.PROVIDER_ADMIN, provider_id=provider.id, language="nl")
    other = make_provider(db_session)
    new_staff = make_user(db_session, Role.PROVIDER_ADMIN, provider_id=other.id, language="fr")
    request_provider_change(db_session, beneficiary, voucher.id, other.id, now=utcnow())
    told_old, told_new = told_exactly(app, db_session, "provider_change_requested", [old_staff, new_staff])
    assert voucher.code in told_new.title and other.name in told_old.body
    assert told_new.link == f"/provider/vouchers/{voucher.id}"


def test_provider_change_is_refused_after_coaching_started(db_session, beneficiary, voucher):
    other = make_provider(db_session)
    db_session.add(UsageEntry(voucher_id=voucher.id, kind="delivered", individual_minutes=60, amount_cents=15000))
    db_session.flush()
    with pytest.raises(Conflict):
        request_provider_change(db_session, beneficiary, voucher.id, other.id, now=utcnow())


def test_provider_change_to_the_same_or_an_unlisted_provider_is_refused(db_session, beneficiary, voucher):
    with pytest.raises(ValidationFailed):
        request_provider_change(db_session, beneficiary, voucher.id, voucher.provider_id, now=utcnow())
    with pytest.raises(ValidationFailed):
        request_provider_change(db_session, beneficiary, voucher.id, 987654, now=utcnow())


def test_provider_change_from_the_voucher_page(client, db_session, beneficiary, voucher):
    other = make_provider(db_session)
    login(client, beneficiary.email)
    response = post_form(client, f"/vouchers/{voucher.id}/provider", {"provider_id": str(other.id)},
                         token_from=f"/vouchers/{voucher.id}")
    assert response.status_code == 302
    assert voucher.pending_provider_id == other.id
    page = client.get(f"/vouchers/{voucher.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "still has to accept" in page


def test_expiry_releases_the_unclaimed_value_once(app, db_session, voucher, today, beneficiary):
    position_before = ledger.fund_position(db_session)
    assert expire_vouchers(db_session, today=voucher.valid_until_on, now=utcnow()) == []  # last valid day
    day_after = voucher.valid_until_on + timedelta(days=1)
    assert expire_vouchers(db_session, today=day_after, now=utcnow()) == [voucher.id]
    assert voucher.status == "expired"
    assert expire_vouchers(db_session, today=day_after, now=utcnow()) == []  # twice: no second effect
    [ended] = told_exactly(app, db_session, "voucher_expired", [beneficiary])
    assert ended.link == f"/vouchers/{voucher.id}"
    released = db_session.scalars(select(LedgerEntry.amount_cents).where(LedgerEntry.kind == "voucher_released")).all()
    assert released == [-180000]
    after = ledger.fund_position(db_session)
    assert after.available_cents == position_before.available_cents + 180000
