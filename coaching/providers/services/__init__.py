"""Use cases of providers, their listing and offers. Services flush and never commit."""
