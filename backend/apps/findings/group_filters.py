"""The grouped list's filters: every filter of the findings list, read on each group's findings.

A group is listed when at least one of its findings is in the flat list with the same query
parameters (FindingFilter and the list's `search`, unchanged), so switching between the two
views never changes what is found, only how it is shown. The group's row stays the group's
own summary (its worst open finding, every tool that agrees).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.settings import api_settings

from apps.findings.filters import FindingFilter
from apps.findings.group_selectors import issue_groups_with_member_in
from apps.findings.models import Finding, IssueGroup

# The grouped list's first open/closed switch: `status=open|closed`, now `state=open|closed`.
EARLIER_STATES = ("open", "closed")


def finding_query(params: QueryDict) -> QueryDict:
    """The grouped list's query as the findings list reads it: the earlier `status=open` or
    `status=closed` becomes the state of the same name (unless a state is given too)."""
    statuses = params.getlist("status")
    if len(statuses) != 1 or statuses[0] not in EARLIER_STATES or "state" in params:
        return params
    translated = params.copy()
    translated.pop("status")
    translated["state"] = statuses[0]
    return translated


class MemberFindingFilterBackend(DjangoFilterBackend):
    """Filters issue groups by their findings: FindingFilter and the findings list's search
    (the view's `search_fields`, FINDING_SEARCH_FIELDS) pick findings, and a group stays when
    one of its members is among them. Invalid values are the findings list's 400."""

    def get_filterset_class(self, view: Any, queryset: Any = None) -> type[FindingFilter]:
        return FindingFilter

    def get_filterset_kwargs(
        self, request: Request, queryset: QuerySet[IssueGroup], view: Any
    ) -> dict[str, Any]:
        # Every finding, not only the visible ones: a member's project is its group's, and
        # the groups are already the caller's.
        return {
            "data": finding_query(request.query_params),
            "queryset": Finding.objects.all(),
            "request": request,
        }

    def filter_queryset(
        self, request: Request, queryset: QuerySet[IssueGroup], view: Any
    ) -> QuerySet[IssueGroup]:
        filterset = self.get_filterset(request, queryset, view)
        if not filterset.is_valid():
            raise utils.translate_validation(filterset.errors)
        cleaned = filterset.form.cleaned_data
        searched = request.query_params.get(api_settings.SEARCH_PARAM, "").strip()
        if not searched and all(value in (None, "", []) for value in cleaned.values()):
            return queryset
        findings = SearchFilter().filter_queryset(request, filterset.qs, view)
        if cleaned.get("project") is not None:
            # Implied by the members' condition; said again so the group index serves it.
            queryset = queryset.filter(project_id=cleaned["project"])
        return issue_groups_with_member_in(queryset, findings)


class MemberFindingFilterSchema(DjangoFilterExtension):
    """The schema of those filters: the findings list's parameters, typed from Finding."""

    target_class = "apps.findings.group_filters.MemberFindingFilterBackend"
    priority = 1

    def get_schema_operation_parameters(
        self, auto_schema: Any, *args: Any, **kwargs: Any
    ) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = []
        for name, field in FindingFilter.base_filters.items():
            parameters += self.resolve_filter_field(
                auto_schema, Finding, FindingFilter, name, field
            )
        return parameters + SearchFilter().get_schema_operation_parameters(auto_schema.view)
