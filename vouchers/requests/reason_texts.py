"""The eligibility reasons in the reader's language (the domain keeps English and codes)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from portal.i18n import long_date
from vouchers.requests.domain import Reason

REASON_TEXTS = {
    "self_employed": _l("Self-employed people cannot get a coaching voucher from this fund. The fund only helps employees and job seekers."),
    "unknown_benefits_scheme": _l("Please choose employee, job seeker or self-employed."),
    "in_approved_retraining": _l("You already follow a retraining programme approved by INAMI/RIZIV, so you cannot get a coaching voucher at the same time."),
    "in_professional_rehabilitation": _l("You already follow a professional rehabilitation programme of INAMI/RIZIV, so you cannot get a coaching voucher at the same time."),
    "missing_contract_end_on": _l("Please tell us the date your work contract ended."),
    "contract_end_too_early": _l("Your contract ended on %(contract_end_on)s. Only contracts that ended on or after %(route_a_start_on)s give a right to a voucher."),
    "contract_not_ended": _l("Your contract ends on %(contract_end_on)s. You can ask for a voucher from that day on."),
    "route_a_window_closed": _l("The last day to ask for a voucher after your contract ended was %(apply_by_on)s. That day has passed."),
    "missing_incapacity_start_on": _l("Please tell us the date you became unable to work, or tell us if your employer ended your contract for medical force majeure."),
    "missing_benefits_scheme": _l("Please tell us if you are an employee, a job seeker or self-employed."),
    "incapacity_too_short": _l("You must have been unable to work for more than one year. You have been unable to work since %(incapacity_start_on)s, so you can ask from %(eligible_from_on)s."),
    "route_b_not_open": _l("People who have been unable to work for more than one year can ask for a voucher from %(route_b_start_on)s."),
}


def reason_text(reason: Reason) -> str:
    template = REASON_TEXTS.get(reason.code)
    if template is None:
        return reason.message
    params = {key: long_date(date.fromisoformat(value)) for key, value in reason.params.items()}
    try:
        return str(template) % params
    except (KeyError, ValueError):
        return reason.message
