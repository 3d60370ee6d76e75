"""Who may do what: the one permission module.

A permission is ``scope:resource:action``. Roles grant permissions through
``ROLE_PERMISSIONS``; ownership of a particular object is decided by owner
rules that each package registers for its model types (``owner_rule``) when the app is composed. A
user reaching someone else's object gets 404, never a hint that it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from flask import abort, redirect, request, url_for
from flask_login import current_user


class Role(StrEnum):
    BENEFICIARY = "beneficiary"
    EMPLOYER = "employer"
    PROVIDER_ADMIN = "provider_admin"
    COACH = "coach"
    FUND_ADMIN = "fund_admin"
    # A mutual insurer's return-to-work coordinator (users.insurer_code): files and follows members' requests.
    COORDINATOR = "coordinator"


class Permission(StrEnum):
    # Everyone with an account
    ACCOUNT_PROFILE_EDIT = "self:profile:edit"
    # Beneficiaries
    REQUEST_CREATE = "beneficiary:voucher_request:create"
    REQUEST_VIEW_OWN = "beneficiary:voucher_request:view"
    REQUEST_WITHDRAW = "beneficiary:voucher_request:withdraw"
    REQUEST_ANSWER = "beneficiary:voucher_request:answer"
    VOUCHER_VIEW_OWN = "beneficiary:voucher:view"
    VOUCHER_CHANGE_PROVIDER = "beneficiary:voucher:change_provider"
    VOUCHER_WITHDRAW = "beneficiary:voucher:withdraw"
    SESSION_CONFIRM = "beneficiary:session:confirm"
    DATA_EXPORT_OWN = "beneficiary:data:export"
    # Provider staff
    PROVIDER_PROFILE_EDIT = "provider:profile:edit"
    PROVIDER_OFFERS_MANAGE = "provider:offer:manage"
    PROVIDER_COACHES_MANAGE = "provider:coach:manage"
    PROVIDER_VOUCHERS_VIEW = "provider:voucher:view"
    PROVIDER_VOUCHERS_ACCEPT = "provider:voucher:accept"
    SESSION_SCHEDULE = "provider:session:schedule"
    SESSION_LOG = "provider:session:log"
    CALENDAR_MANAGE = "provider:calendar:manage"
    CLAIM_SUBMIT = "provider:claim:submit"
    DISPUTE_RESOLVE = "provider:dispute:resolve"
    # Employers
    DISMISSAL_DECLARE = "employer:dismissal:declare"
    DISMISSAL_VIEW_OWN = "employer:dismissal:view"
    CONTRIBUTION_PAY = "employer:contribution:pay"
    EMPLOYER_AGENTS_MANAGE = "employer:agent:manage"
    # Confirm one's address, prove with the letter's code that one acts for a company
    COMPANY_CLAIM = "employer:company:claim"
    # Fund administrators
    ADMIN_REQUESTS_DECIDE = "fund:voucher_request:decide"
    ADMIN_REQUESTS_VIEW = "fund:voucher_request:view"
    ADMIN_PROVIDERS_MANAGE = "fund:provider:manage"
    ADMIN_CLAIMS_DECIDE = "fund:claim:decide"
    ADMIN_DISPUTES_DECIDE = "fund:dispute:decide"
    ADMIN_PAYOUTS_MANAGE = "fund:payout:manage"
    ADMIN_RECONCILE = "fund:reconciliation:manage"
    ADMIN_REPORTS_VIEW = "fund:report:view"
    ADMIN_AUDIT_VIEW = "fund:audit:view"
    ADMIN_USERS_MANAGE = "fund:user:manage"
    ADMIN_SCHEDULER_VIEW = "fund:scheduler:view"
    # Return-to-work coordinators of the mutual insurers: only the requests they filed (owner rules)
    COORDINATOR_FILE = "coordinator:voucher_request:file"
    COORDINATOR_CASELOAD = "coordinator:voucher_request:view"
    COORDINATOR_ANSWER = "coordinator:voucher_request:answer"


class AnyOf(frozenset):  # type: ignore[type-arg]
    """Several permissions of which one is enough: a page that a member and their coordinator both use.

    ``require``, ``api_access`` and ``can`` take it where they take a permission."""

    def __repr__(self) -> str:
        return f"AnyOf({', '.join(sorted(self))})"


def any_of(*permissions: Permission) -> AnyOf:
    return AnyOf(permissions)


_EVERYONE = {Permission.ACCOUNT_PROFILE_EDIT}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.BENEFICIARY: frozenset(
        _EVERYONE
        | {
            Permission.REQUEST_CREATE,
            Permission.REQUEST_VIEW_OWN,
            Permission.REQUEST_WITHDRAW,
            Permission.REQUEST_ANSWER,
            Permission.VOUCHER_VIEW_OWN,
            Permission.VOUCHER_CHANGE_PROVIDER,
            Permission.VOUCHER_WITHDRAW,
            Permission.SESSION_CONFIRM,
            Permission.DATA_EXPORT_OWN,
        }
    ),
    Role.EMPLOYER: frozenset(
        _EVERYONE
        | {Permission.DISMISSAL_DECLARE, Permission.DISMISSAL_VIEW_OWN, Permission.CONTRIBUTION_PAY,
           Permission.EMPLOYER_AGENTS_MANAGE, Permission.COMPANY_CLAIM}
    ),
    Role.COACH: frozenset(
        _EVERYONE
        | {
            Permission.PROVIDER_VOUCHERS_VIEW,
            Permission.SESSION_SCHEDULE,
            Permission.SESSION_LOG,
            Permission.CALENDAR_MANAGE,
        }
    ),
    Role.PROVIDER_ADMIN: frozenset(
        _EVERYONE
        | {
            Permission.PROVIDER_PROFILE_EDIT,
            Permission.PROVIDER_OFFERS_MANAGE,
            Permission.PROVIDER_COACHES_MANAGE,
            Permission.PROVIDER_VOUCHERS_VIEW,
            Permission.PROVIDER_VOUCHERS_ACCEPT,
            Permission.SESSION_SCHEDULE,
            Permission.SESSION_LOG,
            Permission.CALENDAR_MANAGE,
            Permission.CLAIM_SUBMIT,
            Permission.DISPUTE_RESOLVE,
        }
    ),
    Role.FUND_ADMIN: frozenset(
        _EVERYONE
        | {
            Permission.ADMIN_REQUESTS_DECIDE,
            Permission.ADMIN_REQUESTS_VIEW,
            Permission.ADMIN_PROVIDERS_MANAGE,
            Permission.ADMIN_CLAIMS_DECIDE,
            Permission.ADMIN_DISPUTES_DECIDE,
            Permission.ADMIN_PAYOUTS_MANAGE,
            Permission.ADMIN_RECONCILE,
            Permission.ADMIN_REPORTS_VIEW,
            Permission.ADMIN_AUDIT_VIEW,
            Permission.ADMIN_USERS_MANAGE,
            Permission.ADMIN_SCHEDULER_VIEW,
        }
    ),
    Role.COORDINATOR: frozenset(
        _EVERYONE
        | {Permission.COORDINATOR_FILE, Permission.COORDINATOR_CASELOAD, Permission.COORDINATOR_ANSWER}
    ),
}

OwnerRule = Callable[[Any, Any], bool]
_OWNER_RULES: dict[type, OwnerRule] = {}

T = TypeVar("T")


def owner_rule(model: type) -> Callable[[OwnerRule], OwnerRule]:
    """Register who owns objects of ``model``: ``rule(user, obj) -> bool``."""

    def register(rule: OwnerRule) -> OwnerRule:
        _OWNER_RULES[model] = rule
        return rule

    return register


def has_permission(user: Any, permission: Permission | AnyOf) -> bool:
    if isinstance(permission, AnyOf):
        return any(has_permission(user, one) for one in permission)
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    try:
        role = Role(user.role)
    except ValueError:
        return False
    return permission in ROLE_PERMISSIONS[role]


def owns(user: Any, obj: Any) -> bool:
    for model in type(obj).__mro__:
        rule = _OWNER_RULES.get(model)
        if rule is not None:
            return bool(rule(user, obj))
    return False


def can(user: Any, permission: Permission | AnyOf, obj: Any = None) -> bool:
    """Role grants the permission, and, for an object, the user owns it (fund staff see all)."""
    if not has_permission(user, permission):
        return False
    if obj is None or user.role == Role.FUND_ADMIN:
        return True
    return owns(user, obj)


def require(*permissions: Permission | AnyOf) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """View decorator: log in first (HTML) or 401 (API); then 403 without the permission."""

    def decorator(view: Callable[..., T]) -> Callable[..., T]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if request.path.startswith("/api/"):
                    abort(401)
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not all(has_permission(current_user, p) for p in permissions):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permissions = permissions  # type: ignore[attr-defined]
        return wrapped

    return decorator


def get_owned_or_404(user: Any, permission: Permission, obj: Any) -> Any:
    """Someone else's object is reported as missing, not as forbidden."""
    if obj is None or not can(user, permission, obj):
        abort(404)
    return obj


def api_access(*permissions: Permission | AnyOf, public: bool = False) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Mark an API view: who may call it. Checked before the body is even read (see
    ``enforce_api_access``), so a caller without the right gets 401/403, never a validation error.
    API views without a mark require a logged-in caller (a safe default)."""

    def mark(view: Callable[..., T]) -> Callable[..., T]:
        view.api_access = "public" if public else tuple(permissions)  # type: ignore[attr-defined]
        return view

    return mark


def enforce_api_access(view: Any) -> None:
    access = getattr(view, "api_access", ())
    if access == "public":
        return
    if not current_user.is_authenticated:
        abort(401)
    if not all(has_permission(current_user, p) for p in access):
        abort(403)
