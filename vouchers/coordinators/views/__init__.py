"""The coordinators' pages: their caseload and filing form, the member's invitation, the fund's list."""
