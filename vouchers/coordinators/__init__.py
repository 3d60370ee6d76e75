"""Return-to-work coordinators of the mutual insurers: the fund invites them; each files voucher requests on
its members' behalf, with their consent, and follows them in its caseload. The member is invited by e-mail and
takes the request into their own account through the signed link; from then on it is theirs, and the
coordinator keeps following it with them (notices, answering the fund)."""
