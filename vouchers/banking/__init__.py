"""Bank statements (CAMT.053 or CODA): import, match each credit line to a contribution, and the queue of the rest."""

from __future__ import annotations


