"""Every answer from /api is JSON, errors included: never an HTML page, never a traceback.

Errors look like `{"error": "not_found", "message": "…"}`; invalid input (422) adds
`"errors": [{"field": "starts_at", "message": "…"}]`, one entry per bad field.
"""

import logging

from flask import jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from app.api import bp
from app.extensions import db

log = logging.getLogger(__name__)
BEARER = 'Bearer realm="samtale"'
INT_MAX = 2_147_483_647


class ApiError(Exception):
    """Ends the request with a JSON error: status, a short code, a sentence for people."""

    def __init__(self, status: int, error: str, message: str, *, fields=None, headers=None):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message
        self.fields = fields  # [(field, message)] for 422
        self.headers = headers or {}


def problem(status: int, error: str, message: str, fields=None, headers=None):
    """A JSON error response."""
    body = {"error": error, "message": message}
    if fields is not None:
        body["errors"] = [{"field": f, "message": m} for f, m in fields]
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def invalid(field: str, message: str) -> ApiError:
    """A 422 about one field, for checks the schema cannot make (a known phone number …)."""
    return ApiError(422, "invalid", "The request has invalid fields.", fields=[(field, message)])


def not_found(what: str = "object") -> ApiError:
    return ApiError(404, "not_found", f"No such {what}.")


def conflict(message: str) -> ApiError:
    return ApiError(409, "conflict", message)


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return problem(error.status, error.error, error.message, error.fields, error.headers)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    if error.response is not None:  # a response made already (spectree's 422)
        return error.response
    name = (error.name or "error").lower().replace(" ", "_")
    return problem(error.code or 500, name, error.description or error.name)


@bp.errorhandler(Exception)
def _unexpected(error: Exception):
    # Only the type and place: a message could quote personal data from the request.
    db.session.rollback()
    log.error("api: %s in %s", type(error).__name__, request.endpoint)
    return problem(500, "internal_error", "Something went wrong on our side. Try again later.")


@bp.app_errorhandler(NotFound)
def _no_such_path(error: NotFound):
    if not _is_api():
        return error
    return problem(404, "not_found", "There is no such address in the API.")


@bp.app_errorhandler(MethodNotAllowed)
def _wrong_method(error: MethodNotAllowed):
    if not _is_api():
        return error
    allow = {"Allow": ", ".join(sorted(error.valid_methods or []))}
    return problem(405, "method_not_allowed", "This address does not take that method.",
                   headers=allow)  # fmt: skip


def _is_api() -> bool:
    return request.path == bp.url_prefix or request.path.startswith(bp.url_prefix + "/")


@bp.before_request
def _ids_in_range() -> None:
    # Ids are 32-bit in the database; a bigger one in the path finds nothing, rather than
    # reaching PostgreSQL as an out-of-range error.
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and value > INT_MAX:
            raise ApiError(404, "not_found", "No such object.")
