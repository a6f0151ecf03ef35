"""The OpenAPI 3.1 document and the reference page made from it."""

import re

from app.api.schemas.activities import ActivityCreate, Upsert
from app.api.schemas.events import EVENT_MODELS


def test_the_document_is_openapi_3_1_with_a_bearer_scheme(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "An API token: smt_<prefix>_<secret>."
    }  # fmt: skip
    assert "Errors" in doc["info"]["description"]


def test_every_api_route_is_documented_with_its_scopes(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    documented = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in (
            "api.openapi",
            "api.docs_page",
        ):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, path) in documented, (method, path)
            operation = doc["paths"][path][method.lower()]
            assert operation["security"] == [{"bearer": operation["x-scopes"]}]
            assert "Scopes:" in operation["description"]
            assert {"401", "403", "422"} <= set(operation["responses"])
            assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]


def test_request_schemas_are_the_validating_models(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for model in (ActivityCreate, Upsert):
        mine = model.model_json_schema()
        assert set(schemas[model.__name__]["properties"]) == set(mine["properties"])
        assert schemas[model.__name__].get("required") == mine.get("required")
        assert schemas[model.__name__]["additionalProperties"] is False
    assert schemas["ValidationProblem"]["required"] == ["message", "errors"]


def test_the_webhooks_are_documented(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert set(doc["webhooks"]) == set(EVENT_MODELS)
    for model in EVENT_MODELS.values():
        assert model.__name__ in doc["components"]["schemas"]


def test_the_reference_page_works_offline(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for needle in ("/api/v1/activities", "PUT", "Scopes (any one)", "signup.created",
                   "UpsertResult", "X-Samtale-Signature"):  # fmt: skip
        assert needle in page, needle
    assert "<script" not in page
    assert not re.search(r'(src|href)="https?://', page)
