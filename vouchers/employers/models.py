"""Employers' declarations of medical force-majeure dismissals and their contributions."""
