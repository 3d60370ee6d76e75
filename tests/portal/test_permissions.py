"""The full role × permission matrix, and ownership giving 404 rather than a hint."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from werkzeug.exceptions import NotFound

from portal.permissions import (
    ROLE_PERMISSIONS,
    Permission,
    Role,
    any_of,
    can,
    get_owned_or_404,
    owner_rule,
)

B, E, PA, C, F = Role.BENEFICIARY, Role.EMPLOYER, Role.PROVIDER_ADMIN, Role.COACH, Role.FUND_ADMIN
CO = Role.COORDINATOR  # a mutual insurer's return-to-work coordinator

# The expected matrix, written out by hand so that a change to ROLE_PERMISSIONS must be a deliberate one.
EXPECTED: dict[Permission, set[Role]] = {
    Permission.ACCOUNT_PROFILE_EDIT: {B, E, PA, C, F, CO},
    Permission.REQUEST_CREATE: {B},
    Permission.REQUEST_VIEW_OWN: {B},
    Permission.REQUEST_WITHDRAW: {B},
    Permission.REQUEST_ANSWER: {B},
    Permission.VOUCHER_VIEW_OWN: {B},
    Permission.VOUCHER_CHANGE_PROVIDER: {B},
    Permission.VOUCHER_WITHDRAW: {B},
    Permission.SESSION_CONFIRM: {B},
    Permission.DATA_EXPORT_OWN: {B},
    Permission.PROVIDER_PROFILE_EDIT: {PA},
    Permission.PROVIDER_OFFERS_MANAGE: {PA},
    Permission.PROVIDER_COACHES_MANAGE: {PA},
    Permission.PROVIDER_VOUCHERS_VIEW: {PA, C},
    Permission.PROVIDER_VOUCHERS_ACCEPT: {PA},
    Permission.SESSION_SCHEDULE: {PA, C},
    Permission.SESSION_LOG: {PA, C},
    Permission.CALENDAR_MANAGE: {PA, C},
    Permission.CLAIM_SUBMIT: {PA},
    Permission.DISPUTE_RESOLVE: {PA},
    Permission.DISMISSAL_DECLARE: {E},
    Permission.DISMISSAL_VIEW_OWN: {E},
    Permission.CONTRIBUTION_PAY: {E},
    Permission.EMPLOYER_AGENTS_MANAGE: {E},
    Permission.COMPANY_CLAIM: {E},
    Permission.ADMIN_REQUESTS_DECIDE: {F},
    Permission.ADMIN_REQUESTS_VIEW: {F},
    Permission.ADMIN_PROVIDERS_MANAGE: {F},
    Permission.ADMIN_CLAIMS_DECIDE: {F},
    Permission.ADMIN_DISPUTES_DECIDE: {F},
    Permission.ADMIN_PAYOUTS_MANAGE: {F},
    Permission.ADMIN_RECONCILE: {F},
    Permission.ADMIN_REPORTS_VIEW: {F},
    Permission.ADMIN_AUDIT_VIEW: {F},
    Permission.ADMIN_USERS_MANAGE: {F},
    Permission.ADMIN_SCHEDULER_VIEW: {F},
    Permission.COORDINATOR_FILE: {CO},
    Permission.COORDINATOR_CASELOAD: {CO},
    Permission.COORDINATOR_ANSWER: {CO},
}


@dataclass
class FakeUser:
    role: str
    id: int = 1
    is_authenticated: bool = True
    is_active: bool = True


def test_every_permission_has_an_expectation():
    assert set(EXPECTED) == set(Permission)


@pytest.mark.parametrize("permission", list(Permission))
@pytest.mark.parametrize("role", list(Role))
def test_matrix(role, permission):
    assert can(FakeUser(role.value), permission) is (role in EXPECTED[permission])
    assert (permission in ROLE_PERMISSIONS[role]) is (role in EXPECTED[permission])


@pytest.mark.parametrize("permission", list(Permission))
def test_anonymous_and_inactive_users_can_do_nothing(permission):
    assert not can(None, permission)
    assert not can(FakeUser(F.value, is_authenticated=False), permission)
    assert not can(FakeUser(F.value, is_active=False), permission)
    assert not can(FakeUser("unknown_role"), permission)


@dataclass
class Letter:
    owner_id: int


@owner_rule(Letter)
def _letter_owner(user, letter):
    return letter.owner_id == user.id


def test_ownership_decides_for_objects_and_fund_staff_see_all():
    mine, theirs = Letter(owner_id=1), Letter(owner_id=2)
    me = FakeUser(B.value, id=1)
    assert can(me, Permission.REQUEST_VIEW_OWN, mine)
    assert not can(me, Permission.REQUEST_VIEW_OWN, theirs)
    assert can(FakeUser(F.value, id=9), Permission.ADMIN_REQUESTS_VIEW, theirs)


def test_objects_without_an_owner_rule_belong_to_nobody():
    @dataclass
    class Unruled:
        pass

    assert not can(FakeUser(B.value), Permission.REQUEST_VIEW_OWN, Unruled())


def test_someone_elses_object_is_a_404(app):
    with app.test_request_context("/"):
        with pytest.raises(NotFound):
            get_owned_or_404(FakeUser(B.value, id=1), Permission.REQUEST_VIEW_OWN, Letter(owner_id=2))
        with pytest.raises(NotFound):
            get_owned_or_404(FakeUser(B.value, id=1), Permission.REQUEST_VIEW_OWN, None)
        assert get_owned_or_404(FakeUser(B.value, id=1), Permission.REQUEST_VIEW_OWN, Letter(owner_id=1))


def test_any_of_is_enough_with_one_of_its_permissions():
    either = any_of(Permission.REQUEST_ANSWER, Permission.COORDINATOR_ANSWER)
    assert can(FakeUser(B.value), either) and can(FakeUser(CO.value), either)
    assert not can(FakeUser(F.value), either) and not can(FakeUser(E.value), either)
    assert not can(None, either) and not can(FakeUser(CO.value, is_active=False), either)
    mine, theirs = Letter(owner_id=1), Letter(owner_id=2)
    assert can(FakeUser(CO.value, id=1), either, mine) and not can(FakeUser(CO.value, id=1), either, theirs)
