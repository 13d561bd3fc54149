"""Keyset (cursor) paging: a page is "the rows after this row's ordering values", so page
2,000 costs what page 1 costs, with an index that matches the ordering.

The ordering always ends with the primary key (ties broken by id). Nullable columns sort with
NULL as the largest value (ASC NULLS LAST, DESC NULLS FIRST), which is how PostgreSQL's plain
b-tree index reads forwards and backwards, and is made explicit so SQLite agrees.

A cursor is url-safe base64 of JSON: the ordering it belongs to, the row's values and whether
it points backwards. It is checked field by field on the way in; anything that does not fit
the current ordering is `InvalidCursor`.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.utils.dateparse import parse_datetime

from apps.common.ids import is_valid_id

MAX_CURSOR_LENGTH = 4096


class InvalidCursor(ValueError):
    """The cursor was not made by this ordering (tampered, truncated or stale)."""


@dataclass(frozen=True)
class Key:
    """One column of the ordering."""

    field: models.Field
    desc: bool

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def token(self) -> str:
        return f"-{self.name}" if self.desc else self.name

    def order(self, reverse: bool = False) -> OrderBy:
        desc = self.desc != reverse
        if not self.field.null:
            return F(self.name).desc() if desc else F(self.name).asc()
        return F(self.name).desc(nulls_first=True) if desc else F(self.name).asc(nulls_last=True)


def ordering_keys(queryset: QuerySet) -> list[Key]:
    """The queryset's ordering as keys on its own columns, ending with the primary key (in
    the first key's direction when the ordering did not name it)."""
    model = queryset.model
    tokens = [str(t) for t in (queryset.query.order_by or model._meta.ordering or ["-pk"])]
    keys: list[Key] = []
    for token in tokens:
        name = token.lstrip("-")
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        keys.append(Key(field=field, desc=token.startswith("-")))  # type: ignore[arg-type]
        if field.primary_key:
            return keys
    keys.append(Key(field=model._meta.pk, desc=keys[0].desc if keys else True))  # type: ignore[arg-type]
    return keys


def ordered(queryset: QuerySet, keys: list[Key], reverse: bool = False) -> QuerySet:
    return queryset.order_by(*(key.order(reverse) for key in keys))


# --- cursors ---------------------------------------------------------------------------------


def cursor_encode(keys: list[Key], row: Any, reverse: bool) -> str:
    values = [_dump(getattr(row, key.field.attname)) for key in keys]
    payload = {"o": [key.token for key in keys], "v": values, "r": reverse}
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(keys: list[Key], cursor: str) -> tuple[list[Any], bool]:
    """The row values and direction a cursor holds, checked against `keys`."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor from exc
    if not isinstance(payload, dict) or set(payload) != {"o", "v", "r"}:
        raise InvalidCursor
    values, reverse = payload["v"], payload["r"]
    if payload["o"] != [key.token for key in keys] or not isinstance(reverse, bool):
        raise InvalidCursor
    if not isinstance(values, list) or len(values) != len(keys):
        raise InvalidCursor
    return [_load(key.field, value) for key, value in zip(keys, values, strict=True)], reverse


def _dump(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _load(field: models.Field, value: Any) -> Any:
    """`value` as the column holds it, if it could be one of its values."""
    if value is None and field.null:
        return None
    if field.primary_key:
        if isinstance(value, int) and is_valid_id(value):
            return value
    elif isinstance(field, models.BooleanField):
        if isinstance(value, bool):
            return value
    elif isinstance(field, models.DateTimeField):
        parsed = parse_datetime(value) if isinstance(value, str) and len(value) <= 40 else None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    elif isinstance(field, models.IntegerField):
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if is_int and (low is None or low <= value) and (high is None or value <= high):
            return value
    elif isinstance(field, models.CharField):
        fits = field.max_length is None or len(str(value)) <= field.max_length
        if isinstance(value, str) and "\x00" not in value and fits:
            return value
    raise InvalidCursor


# --- the rows after a cursor -----------------------------------------------------------------


def rows_after(
    queryset: QuerySet,
    keys: list[Key],
    values: list[Any] | None,
    *,
    reverse: bool,
    limit: int,
) -> list[Any]:
    """Up to `limit` rows that follow the row with `values` (the first rows when None), in
    the ordering, or in the reversed ordering when `reverse`. Each segment's rows are found
    by id first (`page_rows`)."""
    rows: list[Any] = []
    for segment in _segments(queryset, keys, values, reverse):
        ids = ordered(segment, keys, reverse).values("pk")[: limit - len(rows)]
        rows += page_rows(queryset, ids, keys, reverse)
        if len(rows) >= limit:
            break
    return rows


def page_rows(queryset: QuerySet, ids: QuerySet, keys: list[Key], reverse: bool) -> list[Any]:
    """The rows of `queryset` whose ids the sliced, ordered subquery `ids` picks, in order:
    one statement. The subquery reads only the ordering, the filters and the id, which an
    index can hold whole (an index-only scan), so rows that a filter rejects (another
    project's, say) cost an index entry each instead of a table row each; only the page's
    own rows are then read in full, by primary key. The outer query keeps the queryset's
    joins and columns but not its filters (the subquery applied them), so the planner has
    nothing to choose but the ids."""
    rows = queryset.all()
    rows.query.clear_where()
    return list(ordered(rows.filter(pk__in=ids), keys, reverse))


def _segments(
    queryset: QuerySet, keys: list[Key], values: list[Any] | None, reverse: bool
) -> list[QuerySet]:
    """The rows after `values` as querysets read one after another. One ordering column plus
    the id, the same way, is a row comparison an index can seek to; the NULLs of a nullable
    column are then their own segment. Any other ordering is one lexicographic filter."""
    if values is None:
        return [queryset]
    if len(keys) != 2 or keys[0].desc != keys[1].desc:
        return [queryset.filter(_lexicographic_after(keys, values, reverse))]
    key, pk = keys
    value, last_pk = values
    desc = key.desc != reverse
    beyond = TupleLessThan if desc else TupleGreaterThan
    pk_beyond = Q(pk__lt=last_pk) if desc else Q(pk__gt=last_pk)
    not_null = Q(**{f"{key.name}__isnull": False})
    is_null = Q(**{f"{key.name}__isnull": True})
    if value is not None:
        after = queryset.filter(beyond(Tuple(F(key.name), F(pk.name)), (value, last_pk)))
        return [after] if desc or not key.field.null else [after, queryset.filter(is_null)]
    if desc:  # NULLs come first: the rest of them, then every non-NULL row
        return [queryset.filter(is_null & pk_beyond), queryset.filter(not_null)]
    return [queryset.filter(is_null & pk_beyond)]


def _lexicographic_after(keys: list[Key], values: list[Any], reverse: bool) -> Q:
    """(k1, k2, ...) after (v1, v2, ...), key by key, with NULL as the largest value."""
    after = Q(pk__in=[])
    equal_so_far = Q()
    for key, value in zip(keys, values, strict=True):
        desc = key.desc != reverse
        name = key.name
        if value is None:
            beyond = Q(**{f"{name}__isnull": False}) if desc else Q(pk__in=[])
            equal = Q(**{f"{name}__isnull": True})
        else:
            beyond = Q(**{f"{name}__lt" if desc else f"{name}__gt": value})
            if not desc and key.field.null:
                beyond |= Q(**{f"{name}__isnull": True})
            equal = Q(**{name: value})
        after |= equal_so_far & beyond
        equal_so_far &= equal
    return after
