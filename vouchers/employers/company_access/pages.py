"""The pages' side of the gate (``gate.py``): an employer page where one acts sends an account that may not act yet
to the page where it can change that, instead of showing a form it could not send."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import redirect, url_for
from flask_login import current_user

from portal.db import db
from vouchers.employers.company_access.gate import EMAIL_NOT_CONFIRMED, acting_problem

T = TypeVar("T")

WHERE_TO_FIX = {EMAIL_NOT_CONFIRMED: "employer_access.confirm_email"}


def may_act_page(view: Callable[..., T]) -> Callable[..., T]:
    """Under ``@require(...)``: a logged-in employer account that may not act is sent to confirm its address, or to
    its requests to act for a company."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        problem = acting_problem(db.session, current_user)
        if problem is not None:
            return redirect(url_for(WHERE_TO_FIX.get(problem, "employer_access.ownership")))
        return view(*args, **kwargs)

    return wrapped
