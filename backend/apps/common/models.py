"""Abstract base models shared by every app."""

from django.db import models


class TimeStampedModel(models.Model):
    """Creation and last-change times on every row, for audit and ordering."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
