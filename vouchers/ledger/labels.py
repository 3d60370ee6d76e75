"""The ledger's accounts and kinds of entry in words, for the journal, an entry's page and the rows behind a
reconciliation figure."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACCOUNT_LABELS = {
    "cash": _l("Bank: the fund's account"),
    "committed": _l("Voucher value committed"),
    "payable": _l("Providers: approved claims to pay"),
    "commitments": _l("Voucher commitments: counterpart"),
    "contributions": _l("Employers' contributions"),
    "funding": _l("Funding of the fund"),
    "coaching": _l("Coaching paid for: approved claims"),
    "transfers": _l("Internal transfers"),
    "suspense": _l("Suspense: to be classified"),
}


KIND_LABELS = {
    "contribution_paid": _l("Contribution received"),
    "contribution_refunded": _l("Contribution refunded"),
    "funding": _l("Funding"),
    "voucher_committed": _l("Voucher value committed"),
    "voucher_released": _l("Voucher value released"),
    "voucher_recommitted": _l("Voucher value committed again"),
    "claim_approved": _l("Claim approved"),
    "claim_paid": _l("Claim paid"),
}
