"""Query-string filters for the API key and user lists."""

from __future__ import annotations

import django_filters
from django.contrib.auth.models import User

from apps.accounts.models import ApiKey


class ApiKeyFilter(django_filters.FilterSet):
    revoked = django_filters.BooleanFilter(
        field_name="revoked_at",
        lookup_expr="isnull",
        exclude=True,
        label="true: only revoked keys; false: only keys not revoked.",
    )

    class Meta:
        model = ApiKey
        fields = ["revoked"]


class UserFilter(django_filters.FilterSet):
    class Meta:
        model = User
        fields = ["is_active", "is_staff", "is_superuser"]
