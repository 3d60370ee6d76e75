"""Use cases of the vouchers package. Services flush and never commit."""

from vouchers.services.accounts import (
    BeneficiaryRegistration,
    EmployerRegistration,
    clean_enterprise_number,
    clean_iban,
    clean_niss,
    clean_onss_number,
    register_beneficiary,
    register_employer,
)

__all__ = [
    "BeneficiaryRegistration",
    "EmployerRegistration",
    "clean_enterprise_number",
    "clean_iban",
    "clean_niss",
    "clean_onss_number",
    "register_beneficiary",
    "register_employer",
]
