"""One JSON error format for every 4xx the API returns.

    {"error": {"status": 400, "code": "invalid", "message": "...", "fields": {"name": ["..."]}}}

`fields` appears for validation errors and maps each field (dotted for nested ones, or
`non_field_errors`) to its messages.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import bad_request, page_not_found, server_error
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ServiceError(exceptions.APIException):
    """Raised by services for a rule the caller broke (409/400), with a stable code."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, message: str, *, code: str = "invalid", status_code: int = 400):
        super().__init__(detail=message, code=code)
        self.status_code = status_code


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = "The request body is larger than this server accepts."


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"
    default_detail = "The request is malformed."


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into {"field.sub": ["message", ...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def error_body(status_code: int, code: str, message: str, fields: dict | None = None) -> dict:
    body: dict[str, Any] = {"status": status_code, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        # Too many form fields or files, a broken multipart envelope: the client's fault.
        exc = BadRequest()

    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        codes = exc.get_codes()
        first_code = "invalid"
        if isinstance(codes, dict) and list(codes.keys()) == ["non_field_errors"]:
            first = codes["non_field_errors"]
            first_code = str(first[0]) if isinstance(first, list) and first else first_code
        message = "Some fields are invalid."
        if list(fields) == ["non_field_errors"]:
            message = fields["non_field_errors"][0]
        response.data = error_body(response.status_code, first_code, message, fields)
    else:
        code = exc.get_codes()
        code_str = code if isinstance(code, str) else getattr(exc, "default_code", "error")
        response.data = error_body(response.status_code, str(code_str), str(exc.detail))
    return response


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Unknown URLs under /api/ answer in the common JSON format; other paths get HTML."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(404, "not_found", "Not found."), status=404)
    return page_not_found(request, exception or Http404())


def json_bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Requests Django refuses before any view (body over DATA_UPLOAD_MAX_MEMORY_SIZE, a bad
    Host, too many fields) answer in the JSON format under /api/."""
    if not request.path.startswith("/api/"):
        return bad_request(request, exception or SuspiciousOperation())
    error = RequestTooLarge() if isinstance(exception, RequestDataTooBig) else BadRequest()
    code = str(error.default_code)
    body = error_body(error.status_code, code, str(error.default_detail))
    return JsonResponse(body, status=error.status_code)


def json_server_error(request: HttpRequest) -> HttpResponse:
    """A crash under /api/ still answers in the JSON format (never Django's HTML page)."""
    if not request.path.startswith("/api/"):
        return server_error(request)
    message = "Something went wrong on the server; it has been logged."
    return JsonResponse(error_body(500, "server_error", message), status=500)
