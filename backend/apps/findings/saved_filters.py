"""Saved filters of the findings list: each user's own, never anyone else's."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from rest_framework.exceptions import ValidationError

from apps.findings.models import SavedFilter

# Enough for every view a person keeps at hand; a limit keeps one account from filling a table.
SAVED_FILTERS_MAX = 100


def saved_filter_list(*, user: Any) -> QuerySet[SavedFilter]:
    """The caller's saved filters, by name."""
    return SavedFilter.objects.filter(user=user)


def saved_filter_create(*, user: Any, name: str, query: str) -> SavedFilter:
    """Save `query` (the list's query string) under `name`, or replace the caller's filter of
    that name: saving again under a name updates it, as people expect of "save"."""
    name = name.strip()
    query = query.strip().lstrip("?")
    if not name:
        raise ValidationError({"name": ["Give the filter a name."]})
    with transaction.atomic():
        existing = SavedFilter.objects.select_for_update().filter(user=user, name=name).first()
        if existing is not None:
            existing.query = query
            existing.save(update_fields=["query"])
            return existing
        if SavedFilter.objects.filter(user=user).count() >= SAVED_FILTERS_MAX:
            raise ValidationError(
                {"name": [f"You have {SAVED_FILTERS_MAX} saved filters; delete one first."]}
            )
        try:
            with transaction.atomic():
                return SavedFilter.objects.create(user=user, name=name, query=query)
        except IntegrityError as exc:  # saved at the same moment by another request
            raise ValidationError({"name": ["A filter of this name was just saved."]}) from exc


def saved_filter_delete(*, user: Any, saved_filter_id: Any) -> None:
    """Delete one of the caller's saved filters; another user's is missing (404)."""
    deleted, _ = SavedFilter.objects.filter(user=user, pk=saved_filter_id).delete()
    if not deleted:
        raise Http404
