"""Notifications: scan and assignment emails (see email.py) and scan webhooks."""

from seculite_api.env import env

# Seconds a scan webhook may take to connect and to answer each read; then it counts as failed
# (and is tried again later, a few times).
SECULITE_WEBHOOK_TIMEOUT_SECONDS = env.float("SECULITE_WEBHOOK_TIMEOUT_SECONDS", default=10.0)

# In-app notifications: how many days before an accepted risk's last day its assignee (or the
# project's owners) are told that it ends.
SECULITE_ACCEPTANCE_NOTICE_DAYS = env.int("SECULITE_ACCEPTANCE_NOTICE_DAYS", default=7)
