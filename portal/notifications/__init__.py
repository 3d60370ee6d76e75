"""Notifications: what the portal tells each person, in the portal and by e-mail (see ``services.notify``)."""
