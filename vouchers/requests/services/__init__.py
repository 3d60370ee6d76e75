"""Use cases of voucher requests and vouchers. Services flush and never commit."""
