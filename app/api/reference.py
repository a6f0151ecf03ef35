"""The OpenAPI document turned into plain rows for the reference page (no JavaScript)."""

import json
import re

from markupsafe import Markup, escape

METHODS = ("get", "post", "put", "patch", "delete")


def reference(doc: dict) -> dict:
    """{"sections": [(tag, [operation, …])], "schemas": [(name, description, fields)],
    "webhooks": [(event, summary, schema name)]}."""
    sections: dict[str, list] = {}
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                operation = _operation(method, path, item[method])
                sections.setdefault(operation["tag"], []).append(operation)
    schemas = [
        (name, schema.get("description", ""), _fields(schema))
        for name, schema in sorted(doc["components"]["schemas"].items())
    ]
    webhooks = [
        (event, hook["post"]["summary"], _body_name(hook["post"]))
        for event, hook in doc.get("webhooks", {}).items()
    ]
    return {"sections": list(sections.items()), "schemas": schemas, "webhooks": webhooks}


def anchor(name: str) -> str:
    return "schema-" + name.replace(".", "-")


def _operation(method: str, path: str, operation: dict) -> dict:
    return {
        "id": operation.get("operationId", f"{method}-{path}"),
        "method": method.upper(),
        "path": path,
        "tag": (operation.get("tags") or ["Other"])[0],
        "summary": operation.get("summary", ""),
        "description": operation.get("description", "").split("\n\nScopes:")[0].strip(),
        "scopes": operation.get("x-scopes", []),
        "parameters": [
            {
                "name": p["name"],
                "in": p["in"],
                "required": p.get("required", False),
                "type": type_of(p.get("schema", {})),
                "description": p.get("description") or _limits(p.get("schema", {})),
            }
            for p in operation.get("parameters", [])
        ],
        "body": _body_name(operation),
        "responses": [
            (code, answer.get("description", ""), _schema_name(answer))
            for code, answer in sorted(operation.get("responses", {}).items())
        ],
    }


def _body_name(operation: dict) -> str | None:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    if "allOf" in schema:
        schema = schema["allOf"][-1].get("properties", {}).get("data", {})
    return _ref_name(schema.get("$ref"))


def _schema_name(answer: dict) -> str | None:
    schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
    return _ref_name(schema.get("$ref"))


def _ref_name(ref: str | None) -> str | None:
    return ref.rsplit("/", 1)[-1] if ref else None


def _fields(schema: dict) -> list[dict]:
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": type_of(field),
            "ref": _first_ref(field),
            "required": name in required,
            "description": " ".join(filter(None, [field.get("description"), _limits(field)])),
        }
        for name, field in schema.get("properties", {}).items()
    ]


def _first_ref(schema: dict) -> str | None:
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    for key in ("anyOf", "allOf"):
        for part in schema.get(key, []):
            if found := _first_ref(part):
                return found
    if "items" in schema:
        return _first_ref(schema["items"])
    return None


def type_of(schema: dict) -> str:
    """A schema as words: "string (date-time) or null", "list of Activity"."""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(type_of(part) for part in schema[key])
    if "allOf" in schema:
        return " and ".join(type_of(part) for part in schema["allOf"])
    if "enum" in schema:
        return "one of " + ", ".join(json.dumps(value) for value in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {type_of(schema.get('items', {}))}"
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def _limits(schema: dict) -> str:
    for key in ("anyOf", "oneOf"):
        for part in schema.get(key, []):
            if found := _limits(part):
                return found
    words = []
    if "minLength" in schema or "maxLength" in schema:
        words.append(f"{schema.get('minLength', 0)}-{schema.get('maxLength', '…')} characters")
    if "minimum" in schema or "maximum" in schema:
        words.append(f"{schema.get('minimum', '…')} to {schema.get('maximum', '…')}")
    if "maxItems" in schema:
        words.append(f"at most {schema['maxItems']} items")
    if "default" in schema and schema["default"] not in (None, [], {}):
        words.append(f"default {json.dumps(schema['default'])}")
    return "; ".join(words)


def prose(text: str):
    """A description's light Markdown (paragraphs, `code`, **bold**) as safe HTML."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    html = []
    for paragraph in paragraphs:
        safe = str(escape(paragraph))
        safe = re.sub(r"`([^`]+)`", r"<code>\1</code>", safe)
        safe = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", safe)
        html.append(f"<p>{safe}</p>")
    return Markup("\n".join(html))
