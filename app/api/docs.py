"""The OpenAPI 3.1 document (/api/v1/openapi.json) and a page that reads it (/api/v1/docs).

The document is spectree's, built from the schemas that validate requests; here it only
gains what spectree does not know: the scopes in words, the 401 header, the webhooks
(events) and the general rules. The page is rendered on the server from the same
document, so it works offline and without JavaScript.
"""

import copy

from flask import jsonify, render_template

from app.api import bp
from app.api.reference import anchor, prose, reference
from app.api.schemas.events import EVENT_MODELS, WebhookEnvelope
from app.api.spec import spec

RULES = """
**Errors** are JSON: `{"error": "not_found", "message": "…"}`. Invalid input is 422 with
one entry per bad field: `{"error": "invalid", "message": "…", "errors": [{"field":
"starts_at", "message": "…"}]}`. 401: no token, or not valid (revoked); 403: the token
lacks the scope; 404: no such object, or it belongs to another organisation than the
token's.

**Lists** come a page at a time: `?page=1&per_page=50` (at most 200); the answer has
`data`, `page`, `per_page`, `total` and `next` (the next page's URL, or null).

**Times** are ISO 8601 with an offset, in and out (`2026-12-01T18:00:00+01:00`); answers
use the service's local time. **Phone numbers** may be sent in national or international
form (`912 34 567`, `+47 912 34 567`) and come back in E.164 (`+4791234567`).

**Webhooks**: a token may have an address that events are POSTed to (see *webhooks*),
signed in `X-Samtale-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
with the token's webhook secret. Failed deliveries (timeouts, 5xx) are retried with
growing pauses.
"""
_document: dict | None = None


def document() -> dict:
    """The finished OpenAPI document (made once per process)."""
    global _document
    if _document is None:
        doc = copy.deepcopy(spec.spec)
        doc["info"]["description"] = spec.config.description + "\n" + RULES
        for path in doc["paths"].values():
            for operation in path.values():
                _explain(operation)
        _add_webhooks(doc)
        _document = doc
    return _document


def _explain(operation: dict) -> None:
    scopes = [s for requirement in operation.get("security", []) for s in requirement.get(
        "bearer", [])]  # fmt: skip
    if scopes:
        words = " or ".join(f"`{s}`" for s in scopes)
        operation["description"] = f"{operation.get('description', '')}\n\nScopes: {words}."
        operation["x-scopes"] = scopes
    unauthorised = operation.get("responses", {}).get("401")
    if unauthorised is not None:
        unauthorised["headers"] = {
            "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}
        }


def _add_webhooks(doc: dict) -> None:
    schemas = doc["components"]["schemas"]
    for model in (WebhookEnvelope, *EVENT_MODELS.values()):
        found = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(found.pop("$defs", {}))
        schemas[model.__name__] = found
    doc["webhooks"] = {event: _webhook(model) for event, model in EVENT_MODELS.items()}


def _webhook(model) -> dict:
    data = {"$ref": f"#/components/schemas/{model.__name__}"}
    envelope = {"$ref": "#/components/schemas/WebhookEnvelope"}
    schema = {"allOf": [envelope, {"properties": {"data": data}}]}
    return {
        "post": {
            "summary": model.__doc__.strip().splitlines()[0],
            "description": "Body: the envelope, with this event's fields in `data`.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
            "responses": {"200": {"description": "Any 2xx: delivered."}},
        }
    }


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document; public, like the page below."""
    return jsonify(document())


@bp.get("/docs")
def docs_page():
    """The reference as a page: every operation, its scopes, fields and answers."""
    doc = document()
    return render_template("api/docs.html", doc=doc, ref=reference(doc), prose=prose,
                           anchor=anchor)  # fmt: skip
