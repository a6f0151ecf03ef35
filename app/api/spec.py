"""One spectree instance: it validates each request against its pydantic schemas and builds
the OpenAPI 3.1 document from the very same schemas, so the two cannot drift apart.

`operation` wraps a view: the token and its scopes first (401/403 before any 422), a
JSON body check, then spectree's validation. Validation errors are reshaped to
`{"error": "invalid", "message", "errors": [{"field", "message"}]}`; the inputs that
failed are never logged (they may be phone numbers).
"""

import json
import logging
from functools import wraps
from typing import get_type_hints

from flask import request
from spectree import Response, SpecTree
from spectree.models import SecureType, SecurityScheme, SecuritySchemeData

from app.api.auth import authenticate
from app.api.errors import ApiError
from app.api.schemas.common import Problem, ValidationProblem

log = logging.getLogger(__name__)

DESCRIPTION = """Samtale's JSON API, for platforms that already keep activities and
volunteers, and for small scripts. Send `Authorization: Bearer <token>`; an admin makes
tokens on the staff pages or with `flask --app app api-token create`. Each operation
names the scopes that allow it."""


def _before(req, resp, error, _instance, _adapter) -> None:
    if error is None:
        return
    fields = []
    for item in error.errors(include_context=False):
        where = ".".join(str(part) for part in item.get("loc", ())) or "body"
        fields.append(
            {"field": where, "message": item.get("msg", "").removeprefix("Value error, ")}
        )
    body = {"error": "invalid", "message": "The request has invalid fields.", "errors": fields}
    resp.set_data(json.dumps(body))
    resp.mimetype = "application/json"


def _after(req, resp, error, _instance, _adapter) -> None:
    if error is None:
        return
    # Our own answer does not match our own schema: a bug. Say where, not what.
    places = sorted({".".join(map(str, e.get("loc", ()))) for e in error.errors()})[:5]
    log.error("api: response of %s does not match its schema at %s", req.endpoint, places)
    body = {"error": "internal_error", "message": "Something went wrong on our side."}
    resp.set_data(json.dumps(body))
    resp.mimetype = "application/json"


spec = SpecTree(
    "flask",
    mode="strict",
    title="Samtale API",
    version="1",
    description=DESCRIPTION,
    annotations=True,
    before=_before,
    after=_after,
    validation_error_model=ValidationProblem,
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    security_schemes=[
        SecurityScheme(
            name="bearer",
            data=SecuritySchemeData(
                type=SecureType.HTTP,
                scheme="bearer",
                description="An API token: smt_<prefix>_<secret>.",
            ),
        )  # fmt: skip
    ],
)


def operation(
    *scopes: str,
    tag: str,
    ok: dict[int, object],
    errors: tuple[int, ...] = (),
    shared: bool = False,
):
    """Declare an API operation: the scopes that allow it (any one), its tag in the
    document, its successful answers {status: model} and the errors it may give besides
    401, 403 and 422. `shared`: about data of the whole service (see auth)."""
    codes = {f"HTTP_{status}": model for status, model in ok.items()}
    codes.update({f"HTTP_{status}": Problem for status in (401, 403, *errors)})

    def decorate(view):
        takes_json = "json" in get_type_hints(view)
        if takes_json:
            codes["HTTP_415"] = Problem
        validated = spec.validate(
            resp=Response(**codes), tags=[tag], security={"bearer": list(scopes)},
            operation_id=view.__name__,
        )(view)  # fmt: skip

        @wraps(validated)
        def guarded(*args, **kwargs):
            authenticate(scopes, shared)
            if takes_json:
                _require_json_object()
            return validated(*args, **kwargs)

        guarded.api_scopes = scopes
        return guarded

    return decorate


def _require_json_object() -> None:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type",
                       "Send the body as JSON, with Content-Type: application/json.")  # fmt: skip
    if not isinstance(request.get_json(silent=True), dict):
        raise ApiError(422, "invalid", "The request has invalid fields.",
                       fields=[("body", "must be a JSON object")])  # fmt: skip
