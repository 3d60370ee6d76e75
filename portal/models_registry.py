"""Imports every model module so the metadata (and Alembic) sees all tables."""

from portal import audit, fund_settings, mail, scheduler  # noqa: F401
from portal.auth import models as auth_models  # noqa: F401
from portal.notifications import models as notification_models  # noqa: F401
from vouchers.banking import models as bank_statement_models  # noqa: F401
from vouchers.banking import payout_models  # noqa: F401
from vouchers.employers import models as employer_models  # noqa: F401
from vouchers.employers.company_access import models as company_access_models  # noqa: F401
from vouchers.requests import usage  # noqa: F401
