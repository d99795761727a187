"""One shape for every API error, so clients read ``detail`` and, for bad input, ``fields``."""
from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def payload_too_large() -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024} KB.")


def _as_api_exception(exc: SuspiciousOperation) -> exceptions.APIException:
    """Django's refusals of a request body, which DRF leaves to Django's HTML 400 page."""
    # Django logs these to django.security.<name> before answering; so do we.
    logging.getLogger(f"django.security.{exc.__class__.__name__}").warning("%s", exc)
    if isinstance(exc, RequestDataTooBig):
        return payload_too_large()
    if isinstance(exc, TooManyFieldsSent):
        return exceptions.ParseError(f"Too many fields: send at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}.")
    if isinstance(exc, TooManyFilesSent):
        return exceptions.ParseError(f"Too many files: send at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES}.")
    return exceptions.ParseError(f"Malformed request: {exc}")


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, SuspiciousOperation):
        exc = _as_api_exception(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {"detail": "Some fields need attention.", "fields": fields}
    elif isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        response.data = {"detail": f"Too many requests. Try again in {wait} seconds.", "retry_after": wait}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response
