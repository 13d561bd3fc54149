"""Pagination: page numbers with a caller-chosen page size (capped), and, for lists that grow
to millions of rows, cursors (keyset paging) with a bounded count."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination, _positive_int
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from apps.common.counting import EXACT_COUNT_LIMIT, bounded_count
from apps.common.keyset import (
    InvalidCursor,
    cursor_decode,
    cursor_encode,
    ordering_keys,
    rows_after,
)

# Deeper offsets than this are refused before the database sees them.
MAX_PAGE_NUMBER = 10**9


class StandardPagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 500


class CursorOrPagePagination(BasePagination):
    """Keyset paging by `cursor` (the default: every page costs the same), or offset paging
    when the request names a `page` (older clients; deep pages get slower).

    `count` is exact up to EXACT_COUNT_LIMIT matches and the database's estimate beyond
    (`count_exact` says which). Without a cursor the first page is served; next/previous are
    full URLs keeping the other query parameters. The queryset must be ordered by columns of
    its own model; the primary key is added as the last tie-breaker.

    A view with a cheaper exact total for some requests (a rollup) provides
    `paginated_count(queryset) -> (count, exact)`; `bounded_count` serves the rest.
    """

    page_size = StandardPagination.page_size
    max_page_size = StandardPagination.max_page_size
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    page_query_param = "page"

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        self.size = self._page_size(request)
        self.next: str | None = None
        self.previous: str | None = None
        if self.page_query_param in request.query_params:
            rows = self._by_page(queryset, request)
        else:
            rows = self._by_cursor(queryset, request)
        counter = getattr(view, "paginated_count", None) or bounded_count
        counted: tuple[int, bool] = counter(queryset)
        self.count, self.count_exact = counted
        return rows

    def _page_size(self, request: Request) -> int:
        try:
            return _positive_int(
                request.query_params[self.page_size_query_param],
                strict=True,
                cutoff=self.max_page_size,
            )
        except (KeyError, ValueError):
            return self.page_size

    def _url(self) -> str:
        return remove_query_param(self.request.build_absolute_uri(), self.page_query_param)

    def _by_cursor(self, queryset: QuerySet, request: Request) -> list[Any]:
        keys = ordering_keys(queryset)
        cursor = request.query_params.get(self.cursor_query_param)
        values, reverse = None, False
        if cursor is not None:
            try:
                values, reverse = cursor_decode(keys, cursor)
            except InvalidCursor as exc:
                raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from exc
        rows = rows_after(queryset, keys, values, reverse=reverse, limit=self.size + 1)
        more = len(rows) > self.size
        rows = rows[: self.size]
        if reverse:
            rows.reverse()
        # Forwards, a next page exists if a row was left over, a previous one if we came
        # from a cursor; backwards the other way round.
        has_next, has_previous = (
            (cursor is not None, more) if reverse else (more, cursor is not None)
        )
        url = self._url()
        if rows and has_next:
            token = cursor_encode(keys, rows[-1], reverse=False)
            self.next = replace_query_param(url, self.cursor_query_param, token)
        if rows and has_previous:
            token = cursor_encode(keys, rows[0], reverse=True)
            self.previous = replace_query_param(url, self.cursor_query_param, token)
        return rows

    def _by_page(self, queryset: QuerySet, request: Request) -> list[Any]:
        try:
            number = _positive_int(request.query_params[self.page_query_param], strict=True)
        except ValueError as exc:
            raise NotFound("Invalid page.") from exc
        if number > MAX_PAGE_NUMBER:
            raise NotFound("Invalid page.")
        start = (number - 1) * self.size
        rows = list(queryset[start : start + self.size + 1])
        if number > 1 and not rows:
            raise NotFound("Invalid page.")
        url = remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)
        if len(rows) > self.size:
            self.next = replace_query_param(url, self.page_query_param, number + 1)
        if number == 2:
            self.previous = remove_query_param(url, self.page_query_param)
        elif number > 2:
            self.previous = replace_query_param(url, self.page_query_param, number - 1)
        return rows[: self.size]

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "count": self.count,
                "count_exact": self.count_exact,
                "next": self.next,
                "previous": self.previous,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["count", "count_exact", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "example": 123},
                "count_exact": {
                    "type": "boolean",
                    "description": f"False when more than {EXACT_COUNT_LIMIT} rows match and "
                    "count is the database's estimate.",
                },
                "next": link,
                "previous": link,
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque position from a next/previous link (the default paging).",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number: offset paging instead of cursors (deep pages are "
                "slow).",
                "schema": {"type": "integer"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (at most {self.max_page_size}).",
                "schema": {"type": "integer"},
            },
        ]
