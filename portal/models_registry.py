"""Imports every model module so the metadata (and Alembic) sees all tables."""

from coaching import models as coaching_models  # noqa: F401
from coaching import usage  # noqa: F401
from portal import audit, fund_settings, mail, scheduler  # noqa: F401
from portal.auth import models as auth_models  # noqa: F401
from vouchers import models as vouchers_models  # noqa: F401
from vouchers.employers import models as employer_models  # noqa: F401
from coaching import places  # noqa: F401
from vouchers import payouts  # noqa: F401
from vouchers.bank_statements import models as bank_statement_models  # noqa: F401
