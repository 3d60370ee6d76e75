"""Use cases of the coaching package. Services flush and never commit."""

from coaching.services.providers import listed_providers

__all__ = ["listed_providers"]
