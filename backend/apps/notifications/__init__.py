"""Notifications: scan and assignment emails, scan webhooks, and a record of each delivery."""
