"""The pages that say who runs the portal and how to reach it: help and contact, privacy, accessibility, terms."""
