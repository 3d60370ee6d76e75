"""Use cases of the coordinators. Services flush and never commit."""
