"""Who gets to act for a company: registration that tells nobody what is known, the confirmed e-mail address an
employer account needs before it acts, and the proof that a person acts for an enterprise, by a code the fund
sends by post to the enterprise's registered office (``OwnershipClaim``)."""
