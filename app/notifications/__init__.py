"""Notifications: an outbox written with the case change, and senders (in-app, e-mail, SMS)."""
